#!/bin/bash
# What netcorr with its capture costs a program, beside strace (which captures nothing) and
# strace + tcpdump side by side, in one run. Run by hand as root, not in CI:
#   sudo bench/capture_cost_bench.sh [RUNS] [NETCORR]     (default 5 runs, build-bench/netcorr)
# Every variant runs pinned to one CPU (taskset -c 0: tracer, capture threads and program
# together, the placement that makes a ptrace stop cheapest on this VM), the variants of one
# run interleaved (paired), medians reported with ratios to strace --seccomp-bpf and to the
# untraced program. netcorr is built here optimised and unsanitised unless NETCORR is given.
set -euo pipefail
RUNS=${1:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NETCORR=${2:-}
OUT=$(mktemp -d /tmp/netcorr-capbench.XXXXXX)
tcpdump_pid=
cleanup() {
  if [[ -n "$tcpdump_pid" ]]; then kill "$tcpdump_pid" 2>/dev/null || true; fi
  rm -rf "$OUT"
}
trap cleanup EXIT

if [[ -z "$NETCORR" ]]; then
  cmake -S "$ROOT" -B "$ROOT/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DNETCORR_TESTS=OFF >/dev/null
  cmake --build "$ROOT/build-bench" --target netcorr >/dev/null
  NETCORR="$ROOT/build-bench/netcorr"
fi
gcc -O2 -Wall -o "$OUT/tracer_workload" "$ROOT/bench/tracer_workload.c"
head -c 1000000 /dev/urandom >"$OUT/file"

WORKLOADS=(
  "tcp_rr 20000"
  "udp_burst 50000"
  "connect_storm 2000"
  "syscalls 100000"
  "files 2000 $OUT/file"
)
VARIANTS=(untraced strace-seccomp-net strace-yy netcorr-no-capture netcorr-capture
  strace+tcpdump)
PIN=(taskset -c 0)

start_tcpdump() {
  rm -f "$OUT/tcpdump.pcap"
  "${PIN[@]}" tcpdump -i lo -s 768 --immediate-mode -w "$OUT/tcpdump.pcap" \
    >/dev/null 2>"$OUT/tcpdump.err" &
  tcpdump_pid=$!
  # Bounded wait until it listens ("listening on lo" is its first line on stderr).
  for _ in $(seq 1 100); do
    grep -q listening "$OUT/tcpdump.err" 2>/dev/null && return 0
    sleep 0.02
  done
  echo "tcpdump did not start" >&2
  return 1
}

stop_tcpdump() {
  kill -INT "$tcpdump_pid"
  wait "$tcpdump_pid" 2>/dev/null || true
  tcpdump_pid=
}

run_variant() {
  local variant=$1
  shift
  case "$variant" in
    untraced) "${PIN[@]}" "$@" ;;
    strace-seccomp-net) "${PIN[@]}" strace -f --seccomp-bpf -e trace=network -o /dev/null "$@" ;;
    strace-yy) "${PIN[@]}" strace -f -yy -ttt -T --seccomp-bpf -e trace=network -o /dev/null "$@" ;;
    netcorr-no-capture) "${PIN[@]}" "$NETCORR" --no-capture -o /dev/null -- "$@" ;;
    netcorr-capture)
      rm -f "$OUT/netcorr.pcapng"
      "${PIN[@]}" "$NETCORR" -o /dev/null -w "$OUT/netcorr.pcapng" -- "$@"
      ;;
    strace+tcpdump)
      "${PIN[@]}" strace -f --seccomp-bpf -e trace=network -o /dev/null "$@"
      ;;
  esac
}

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '%-20s' workload
for v in "${VARIANTS[@]}"; do printf '%24s' "$v"; done
printf '\n'
for w in "${WORKLOADS[@]}"; do
  read -r -a args <<<"$w"
  declare -A times=()
  for ((r = 0; r < RUNS; r++)); do
    for v in "${VARIANTS[@]}"; do
      # tcpdump's start is not the traced program's cost: it is running before the clock starts.
      [[ "$v" == strace+tcpdump ]] && start_tcpdump
      start=$(now)
      if ! run_variant "$v" "$OUT/tracer_workload" "${args[@]}" >/dev/null 2>&1; then
        echo "FAILED: $v ${args[*]}" >&2
        exit 1
      fi
      end=$(now)
      [[ "$v" == strace+tcpdump ]] && stop_tcpdump
      times[$v]+="$(echo "$end - $start" | bc -l) "
    done
  done
  base=$(echo "${times[untraced]}" | tr ' ' '\n' | grep . | median)
  strace=$(echo "${times[strace-seccomp-net]}" | tr ' ' '\n' | grep . | median)
  printf '%-20s' "${args[0]} ${args[1]}"
  for v in "${VARIANTS[@]}"; do
    m=$(echo "${times[$v]}" | tr ' ' '\n' | grep . | median)
    printf '%24s' "$(printf '%.3fs %5.2fx %5.2fxS' "$m" "$(echo "$m / $base" | bc -l)" \
      "$(echo "$m / $strace" | bc -l)")"
  done
  printf '\n'
  unset times
done
echo "(x: ratio to untraced; xS: ratio to strace -f --seccomp-bpf -e trace=network)"
