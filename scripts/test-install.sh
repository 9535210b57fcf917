#!/usr/bin/env bash
# Uses netcorr as a user of a release would: a Release build of the netcorr target alone (in
# its own build folder, warnings as errors), `cmake --install` into a scratch DESTDIR and
# prefix, the man page read with `man -l`, the bash completion loaded by bash-completion from
# that prefix, `cpack -G DEB`, its Depends resolvable by apt, and the package extracted into a
# scratch root whose binary traces a small program. Called by scripts/test.sh; needs root (the
# trace captures packets) and what scripts/install-deps.sh installs.
# Network safety: the one trace connects to a closed port on 127.0.0.1 and nothing else.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${NETCORR_INSTALL_BUILD:-"$top/build-install"}
scratch=$(mktemp -d /tmp/netcorr-install-XXXXXX)
trap 'rm -rf "$scratch"' EXIT

step() { echo "test-install: $*" >&2; }
fail() {
  echo "test-install: FAIL: $*" >&2
  exit 1
}

step "Release build of netcorr in $build"
# CMAKE_SKIP_INSTALL_ALL_DEPENDENCY: cpack installs what the netcorr target built, without
# building every other target first.
cmake -S "$top" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNETCORR_TESTS=OFF \
  -DNETCORR_WERROR=ON -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target netcorr >/dev/null
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
[ -n "$version" ] || fail "no project version in $build/CMakeCache.txt"

# ---- cmake --install into DESTDIR + a prefix of its own -----------------------------------
prefix=/opt/netcorr-test
dest=$scratch/destdir
step "cmake --install --prefix $prefix with DESTDIR=$dest"
DESTDIR=$dest cmake --install "$build" --prefix "$prefix" >/dev/null
p=$dest$prefix
for f in bin/netcorr share/man/man1/netcorr.1.gz share/bash-completion/completions/netcorr \
  share/doc/netcorr/README.md share/doc/netcorr/docs/json.md share/doc/netcorr/docs/usage.md; do
  [ -f "$p/$f" ] || fail "cmake --install did not install $f"
done
[ -x "$p/bin/netcorr" ] || fail "bin/netcorr is not executable"
[ "$("$p/bin/netcorr" --version)" = "netcorr $version" ] || fail "installed --version"

# ---- the man page --------------------------------------------------------------------------
step "man -l share/man/man1/netcorr.1.gz"
warnings=$(MANWIDTH=80 man --warnings -l "$p/share/man/man1/netcorr.1.gz" 2>&1 >/dev/null)
[ -z "$warnings" ] || fail "groff warnings in the man page: $warnings"
page=$(MANWIDTH=80 man -l "$p/share/man/man1/netcorr.1.gz" 2>/dev/null | sed "s/.\x08//g")
for want in "netcorr $version" SYNOPSIS OPTIONS FINDINGS "EXIT STATUS" PRIVILEGES \
  "CONTAINERS AND NAMESPACES" ENVIRONMENT FILES EXAMPLES "SEE ALSO" "strace(1)" "tcpdump(8)" \
  "pcap-filter(7)" "--netns NS" refused_by_rst; do
  grep -qF -- "$want" <<<"$page" || fail "the man page lacks '$want'"
done
# man-db finds PREFIX/share/man by itself once PREFIX/bin is in PATH.
PATH="$p/bin:$PATH" man -w netcorr >/dev/null 2>&1 || fail "man netcorr: not found from PATH"

# ---- the completion, loaded the way an interactive bash loads it --------------------------
step "bash completion from $prefix, through bash-completion's loader"
[ -f /usr/share/bash-completion/bash_completion ] || fail "bash-completion is not installed"
# bash-completion 2.11 looks in $XDG_DATA_DIRS/bash-completion/completions (by default
# /usr/local/share and /usr/share, so the default prefix /usr/local needs nothing).
completions=$(PATH="$p/bin:$PATH" XDG_DATA_DIRS="$p/share:/usr/local/share:/usr/share" \
  bash --norc --noprofile -c '
  source /usr/share/bash-completion/bash_completion
  __load_completion netcorr || { echo "not loaded"; exit 0; }
  ask() {
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    COMPREPLY=(); _netcorr netcorr "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    echo "$*: ${COMPREPLY[*]}"
  }
  ask netcorr --no
  ask netcorr an
  ask netcorr analyze --st
  ask netcorr -- ls --colo')
grep -q "not loaded" <<<"$completions" && fail "bash-completion did not load $prefix's completion"
for want in "netcorr --no: --no-follow --no-capture --no-rw --no-status --no-color" "netcorr an: analyze" \
  "netcorr analyze --st: --strace" "netcorr -- ls --colo: --color"; do
  grep -qF -- "$want" <<<"$completions" || fail "completion: expected '$want', got: $completions"
done

# ---- the Debian package --------------------------------------------------------------------
step "cpack -G DEB"
rm -f "$build"/netcorr_*.deb
(cd "$build" && cpack -G DEB >/dev/null)
deb=$build/netcorr_${version}_amd64.deb
[ -f "$deb" ] || fail "cpack did not make $deb: $(ls "$build"/*.deb 2>/dev/null)"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libpcap0.8 libseccomp2 libabsl libc6 libstdc++6; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/netcorr ./usr/share/man/man1/netcorr.1.gz \
  ./usr/share/bash-completion/completions/netcorr ./usr/share/doc/netcorr/README.md; do
  grep -qF " $f" <<<"$contents" || fail "the package lacks $f"
done
# apt resolves every dependency from the archive this system uses (a simulation: nothing is
# installed or downloaded).
apt-get install -s "$deb" >"$scratch/apt.log" 2>&1 || fail "apt cannot install the package: $(tail -5 "$scratch/apt.log")"

step "dpkg-deb -x into a scratch root; its netcorr traces a program"
root=$scratch/root
dpkg-deb -x "$deb" "$root"
installed=$root/usr/bin/netcorr
[ "$("$installed" --version)" = "netcorr $version" ] || fail "the packaged --version"
# A closed port on loopback: the connect is refused, and netcorr must show the RST.
port=""
for candidate in 7 9 13 19 37; do
  if ! ss -Hltn "sport = :$candidate" | grep -q .; then port=$candidate && break; fi
done
[ -n "$port" ] || fail "no closed port on 127.0.0.1 to try"
set +e
"$installed" --json -o "$scratch/report.json" -- bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" \
  2>"$scratch/netcorr.err"
status=$?
set -e
[ "$status" -eq 1 ] || fail "netcorr exited $status, not the program's 1: $(cat "$scratch/netcorr.err")"
grep -qE '"kind": ?"refused_by_rst"' "$scratch/report.json" ||
  fail "no refused_by_rst finding: $(cat "$scratch/netcorr.err")"
step "ok: netcorr $version installs, documents itself, completes, packages and traces"
