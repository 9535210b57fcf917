#!/usr/bin/env bash
# The README's main command: installs what is missing, builds netcorr, brings up a throwaway
# three-namespace network with five faults in it, and runs the bundled demo_app under netcorr,
# which prints what went wrong with each call and why. Everything it creates is removed on exit.
# Extra arguments go to netcorr (e.g. --json, --all, -o FILE).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

if [ "$(id -u)" -ne 0 ]; then
  echo "demo: needs root (network namespaces, ptrace, packet capture): sudo $0" >&2
  exit 1
fi

"$top/scripts/install-deps.sh"
build=${NETCORR_DEMO_BUILD:-"$top/build-demo"}
echo "demo: building netcorr in $build ..." >&2
"$top/scripts/build.sh" "$build" -DNETCORR_TESTS=OFF -DNETCORR_SANITIZE=OFF >/dev/null
netcorr="$build/netcorr"
[ -x "$netcorr" ] || { echo "demo: the build did not produce $netcorr" >&2; exit 1; }

export NETCORR_EXAMPLES_DIR="$build/examples"
world="ncdemo$$"
cleanup() { "$top/examples/demo_world.sh" down "$world" >/dev/null 2>&1 || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

"$top/examples/demo_world.sh" up "$world" >/dev/null
pcap="$build/demo.pcapng"
html="$build/demo.html"
cat >&2 <<MSG
demo: world '$world' is up: client 10.71.1.2 -> router 10.71.1.1 -> server 10.71.2.2
demo: running: netcorr -w $pcap --html $html -- demo_app   (in the client namespace)

MSG
set +e
"$top/tests/world/networld.sh" exec "$world" c "$netcorr" -w "$pcap" --html "$html" "$@" -- \
  "$build/examples/demo_app"
status=$?
set -e
echo >&2
echo "demo: demo_app exited with status $status (netcorr passes it through)." >&2
[ -f "$pcap" ] && echo "demo: packets with evidence comments: tshark -r $pcap -Y frame.comment" >&2
[ -f "$html" ] && echo "demo: the same findings as a page, with a sequence diagram each: open $html" >&2
exit 0
