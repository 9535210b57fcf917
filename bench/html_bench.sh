#!/usr/bin/env bash
# The --html page of a long session: `netcorr analyze --html` of a generated strace log and
# capture (bench/analyze_input_gen.cc, default 100,000 packets), without and with --all: the
# page's size, the time netcorr takes to write it, and the time headless Chromium takes to open
# and render it (load event to the page's "rendered" mark) and to draw the first finding's story
# after a click (tests/html/browser_check.js: one Chromium, no network, every wait bounded).
# Usage: bench/html_bench.sh [PACKETS]
# Builds netcorr optimised and unsanitised in build-demo/ (as scripts/demo.sh does), or uses
# NETCORR_BENCH_BINARY when set. Builds and timed runs take the shared build lock.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
packets=${1:-100000}
lock=/tmp/netcorr-build.lock
work=$(mktemp -d /tmp/netcorr-htmlbench.XXXXXX)
[ -n "${NETCORR_BENCH_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT  # NETCORR_BENCH_KEEP=1: keep the pages

for tool in node chromium pkg-config g++ /usr/bin/time unshare; do
  command -v "$tool" >/dev/null || { echo "html_bench: $tool missing" >&2; exit 1; }
done
netcorr=${NETCORR_BENCH_BINARY:-}
if [ -z "$netcorr" ]; then
  build=${NETCORR_DEMO_BUILD:-"$top/build-demo"}
  NETCORR_BUILD_TARGET=netcorr flock "$lock" "$top/scripts/build.sh" "$build" -DNETCORR_TESTS=OFF \
    -DNETCORR_SANITIZE=OFF >/dev/null
  netcorr="$build/netcorr"
fi

sources=("$top"/capture/pcapng_writer.cc "$top"/capture/testing/packet_builder.cc
         "$top"/bench/analyze_input_gen.cc)
for f in "$top"/src/model/*.cc; do
  case "$f" in *_test.cc) ;; *) sources+=("$f") ;; esac
done
# shellcheck disable=SC2046
flock "$lock" g++ -O2 -DNDEBUG -std=c++20 -I"$top" "${sources[@]}" -o "$work/gen" \
  $(pkg-config --cflags --libs absl_status absl_statusor absl_strings absl_str_format absl_hash)
"$work/gen" "$work/app.strace" "$work/app.pcapng" "$packets"

pages=()
for variant in context all; do
  flags=()
  [ "$variant" = all ] && flags=(--all)
  t=$(flock "$lock" /usr/bin/time -f '%e' "$netcorr" analyze --strace "$work/app.strace" \
        --pcap "$work/app.pcapng" "${flags[@]}" --html "$work/$variant.html" -o /dev/null 2>&1 | tail -1)
  echo "$variant $t $(stat -c %s "$work/$variant.html")" >>"$work/sizes"
  pages+=("{\"name\": \"$variant\", \"html\": \"$work/$variant.html\", \"max_findings\": 1}")
done
config="{\"chromium\": \"$(command -v chromium)\", \"timeout_ms\": 300000, \"pages\": [$(IFS=,; echo "${pages[*]}")]}"
echo "$config" >"$work/config.json"
flock "$lock" node "$top/tests/html/browser_check.js" "$work/config.json" >"$work/seen.json"

echo "input: $packets packets, $(wc -l <"$work/app.strace") strace lines" >&2
printf '| page | findings, packets on it | netcorr writes it (s) | size (MB) | Chromium: navigation to rendered (ms) | of which: data parsed, indexed, page drawn at (ms) | first story: arrows drawn |\n|---|---|---|---|---|---|---|\n'
node -e '
const fs = require("fs");
const seen = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
if (seen.error) { console.error(seen.error); process.exit(1); }
const sizes = fs.readFileSync(process.argv[2], "utf8").trim().split("\n").map((l) => l.split(" "));
for (const [i, p] of seen.pages.entries()) {
  const [name, secs, bytes] = sizes[i];
  const f = p.findings[0] || {};
  console.log(`| ${name === "all" ? "--all" : "default (context around findings)"} | ${p.on_page.findings}, ${p.on_page.packets} | ${secs} | ${(bytes / 1e6).toFixed(1)} | ${p.load_ms} | ${Math.round(p.timings.parsed_ms)}, ${Math.round(p.timings.indexed_ms)}, ${Math.round(p.render_ms)} | ${(f.arrows || []).length} |`);
}' "$work/seen.json" "$work/sizes"
