#!/bin/bash
# Benchmark of the tracer against strace (issue 3, item 6). Run by hand as root, not in CI:
#   sudo bench/tracer_bench.sh [RUNS]          (default 5 runs per cell, medians)
# Workloads (bench/tracer_workload.c): TCP request/response, connect storm, UDP burst, a
# syscall-heavy program with no network, a file-read-heavy one. Each is timed untraced, under
# the tracer (tracer_cli_bench, or `netcorr --no-capture` when NETCORR=path is given), under
# `strace -f --seccomp-bpf -e trace=network -o /dev/null`, under the same strace told to trace
# the calls the tracer stops on (network + close/read/write/poll...), under `strace -f -o
# /dev/null`, and under the tracer with read/write untraced (--no-rw), interleaved in one run.
# Prints medians and ratios to untraced.
# The tracer is built here without sanitizers (-O2), from the same sources as the library.
set -euo pipefail
RUNS=${1:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(mktemp -d /tmp/netcorr-bench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

gcc -O2 -Wall -o "$OUT/tracer_workload" "$ROOT/bench/tracer_workload.c"
if [[ -n "${NETCORR:-}" ]]; then
  TRACER=("$NETCORR" --no-capture -o /dev/null --)
else
  SRCS=()
  for f in "$ROOT"/tracer/*.cc "$ROOT"/src/model/*.cc "$ROOT"/src/socket_model/*.cc; do
    [[ "$f" == *_test.cc ]] && continue
    SRCS+=("$f")
  done
  # shellcheck disable=SC2046
  g++ -O2 -std=c++20 -I"$ROOT" -o "$OUT/tracer_cli_bench" "${SRCS[@]}" \
    $(pkg-config --libs absl_status absl_statusor absl_strings absl_str_format absl_hash \
      absl_raw_hash_set libseccomp) -lpthread
  TRACER=("$OUT/tracer_cli_bench" -o /dev/null --)
fi
head -c 1000000 /dev/urandom >"$OUT/file"

WORKLOADS=(
  "tcp_rr 20000"
  "connect_storm 10000"
  "udp_burst 100000"
  "syscalls 100000"
  "files 2000 $OUT/file"
)
VARIANTS=(untraced netcorr strace-seccomp-net strace-same-calls strace-all)
[[ -z "${NETCORR:-}" ]] && VARIANTS+=(netcorr-no-rw)
# The calls the tracer stops on, for a like-for-like strace (its network class has no
# close/read/write/poll).
SAME_CALLS='%network,close,read,write,readv,writev,poll,ppoll,select,pselect6,epoll_wait,epoll_pwait,epoll_ctl,dup,dup2,dup3'


run_variant() {
  local variant=$1
  shift
  case "$variant" in
    untraced) "$@" ;;
    netcorr) "${TRACER[@]}" "$@" ;;
    strace-seccomp-net) strace -f --seccomp-bpf -e trace=network -o /dev/null "$@" ;;
    strace-same-calls) strace -f --seccomp-bpf -e trace="$SAME_CALLS" -o /dev/null "$@" ;;
    strace-all) strace -f -o /dev/null "$@" ;;
    netcorr-no-rw) "${TRACER[0]}" --no-rw "${TRACER[@]:1}" "$@" ;;
  esac
}

now() { date +%s.%N; }

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '%-20s' workload
for v in "${VARIANTS[@]}"; do printf '%20s' "$v"; done
printf '\n'
for w in "${WORKLOADS[@]}"; do
  read -r -a args <<<"$w"
  declare -A times=()
  for ((r = 0; r < RUNS; r++)); do
    for v in "${VARIANTS[@]}"; do
      start=$(now)
      if ! run_variant "$v" "$OUT/tracer_workload" "${args[@]}" >/dev/null 2>&1; then
        echo "FAILED: $v ${args[*]}" >&2
        exit 1
      fi
      end=$(now)
      times[$v]+="$(echo "$end - $start" | bc -l) "
    done
  done
  base=$(echo "${times[untraced]}" | tr ' ' '\n' | grep . | median)
  printf '%-20s' "${args[0]} ${args[1]}"
  for v in "${VARIANTS[@]}"; do
    m=$(echo "${times[$v]}" | tr ' ' '\n' | grep . | median)
    printf '%20s' "$(printf '%.3fs %6.2fx' "$m" "$(echo "$m / $base" | bc -l)")"
  done
  printf '\n'
  unset times
done
