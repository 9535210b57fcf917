#!/bin/bash
# A long session (issue 11): netcorr attached (-p) to a small single-threaded Python HTTP server
# on loopback under a steady load of short connections, with -w and --json, for MINUTES
# minutes. Prints netcorr's RSS over time (from /proc), the calls and packets it saw per second
# and the kernel's drops (from the report so far, asked for with SIGUSR1 every minute), then
# what attaching costs the service: its throughput untraced, under `strace -f -p` and under
# `netcorr -p` (neither can use seccomp when attaching), medians of RUNS runs of 15 s.
# Run by hand as root, not in CI:
#   sudo bench/long_session_bench.sh [MINUTES] [RUNS] [NETCORR] [RATE]
#   (defaults: 10, 3, build-bench, 100)
# RUNS 0 skips the attach-cost runs. RATE: requests per second of the long session's load, paced
# in one-second batches so that minute 10 and minute 2 see the same load; 0: as fast as the
# traced server answers (its rate then drifts with the VM).
# Traffic stays on loopback; every process is stopped by its own PID.
set -euo pipefail
MINUTES=${1:-10}
RUNS=${2:-3}
NETCORR=${3:-}
RATE=${4:-100}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(mktemp -d /tmp/netcorr-longbench.XXXXXX)
PORT=18080
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$OUT"
}
trap cleanup EXIT

if [[ -z "$NETCORR" ]]; then
  cmake -S "$ROOT" -B "$ROOT/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DNETCORR_TESTS=OFF >/dev/null
  cmake --build "$ROOT/build-bench" --target netcorr tcp_client >/dev/null
  NETCORR="$ROOT/build-bench/netcorr"
fi
CLIENT="$(dirname "$NETCORR")/examples/tcp_client"
[[ -x "$CLIENT" ]] || { echo "long_session_bench: $CLIENT missing" >&2; exit 1; }

mkdir -p "$OUT/www"
echo "<html><body>netcorr long-session bench</body></html>" >"$OUT/www/index.html"
(cd "$OUT/www" && exec python3 -c '
import http.server, sys
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])),
                       http.server.SimpleHTTPRequestHandler).serve_forever()' "$PORT" \
  >/dev/null 2>&1) &
server=$!
pids+=("$server")
# The python process itself: the subshell may fork it rather than exec it.
sleep 0.5
child=$(ps -o pid= --ppid "$server" | tr -d ' ' | head -1 || true)
if [[ -n "$child" ]]; then server=$child; pids+=("$server"); fi
for _ in $(seq 1 50); do
  "$CLIENT" --host 127.0.0.1 --port "$PORT" >/dev/null 2>&1 && break
  sleep 0.1
done

# Requests the server answered in `seconds` of load from one sequential client.
requests_in() {
  local seconds=$1
  timeout "$seconds" "$CLIENT" --host 127.0.0.1 --port "$PORT" --repeat 100000 2>/dev/null |
    grep -c '^result: ok' || true
}

# Stops a tracer by its PID and waits for it, bounded.
stop() {
  kill -INT "$1" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  wait "$1" 2>/dev/null || true
}

if ((RUNS > 0)); then
echo "== attach cost: requests per second served, medians of $RUNS x 15 s" >&2
# Throughput is timed while holding the shared build lock, so no build competes for the CPUs.
exec 9>/tmp/netcorr-build.lock
flock 9
declare -A results
for run in $(seq 1 "$RUNS"); do
  for variant in untraced strace strace+tcpdump netcorr-no-capture netcorr; do
    tracer= dumper=
    case $variant in
      strace | strace+tcpdump) strace -f -p "$server" -o /dev/null 2>/dev/null & tracer=$! ;;
      netcorr-no-capture) "$NETCORR" -p "$server" --no-capture -o /dev/null 2>/dev/null &
        tracer=$! ;;
      netcorr) "$NETCORR" -p "$server" -o /dev/null -w "$OUT/attach.pcapng" 2>/dev/null &
        tracer=$! ;;
    esac
    if [[ $variant == strace+tcpdump ]]; then
      tcpdump -i lo -s 768 --immediate-mode -w "$OUT/tcpdump.pcap" "tcp port $PORT" \
        >/dev/null 2>&1 &
      dumper=$!
      pids+=("$dumper")
    fi
    [[ -n "$tracer" ]] && { pids+=("$tracer"); sleep 1.5; }
    n=$(requests_in 15)
    [[ -n "$tracer" ]] && stop "$tracer"
    [[ -n "$dumper" ]] && stop "$dumper"
    results[$variant]+="$n "
    echo "  run $run $variant: $n requests" >&2
  done
done
flock -u 9
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
u=$(echo "${results[untraced]}" | median)
s=$(echo "${results[strace]}" | median)
echo
echo "| attached to the server | requests/s | vs untraced | vs strace -f -p |"
echo "|---|---|---|---|"
for variant in untraced strace strace+tcpdump netcorr-no-capture netcorr; do
  n=$(echo "${results[$variant]}" | median)
  case $variant in
    strace) label="strace -f -p" ;;
    strace+tcpdump) label="strace -f -p + tcpdump -w" ;;
    netcorr-no-capture) label="netcorr -p --no-capture" ;;
    netcorr) label="netcorr -p -w (capture on)" ;;
    *) label=$variant ;;
  esac
  awk -v l="$label" -v u="$u" -v s="$s" -v n="$n" 'BEGIN {
    printf "| %s | %.0f | %.2fx | %.2fx |\n", l, n / 15, n / u, n / s }'
done
fi

echo "== long session: $MINUTES minutes attached under load (${RATE:-0} requests/s; 0: unpaced)" >&2
"$NETCORR" -p "$server" --json -o "$OUT/long.json" -w "$OUT/long.pcapng" -C 200 -W 2 \
  2>"$OUT/long.err" &
netcorr=$!
pids+=("$netcorr")
sleep 1.5
if ((RATE > 0)); then
  # One batch of RATE requests a second; a batch that runs late starts the next one at once.
  (while :; do
    t0=$(date +%s%N)
    "$CLIENT" --host 127.0.0.1 --port "$PORT" --repeat "$RATE" >/dev/null 2>&1
    left=$(( (1000000000 - ($(date +%s%N) - t0)) / 1000000 ))
    ((left > 0)) && sleep "$(awk -v ms="$left" 'BEGIN {printf "%.3f", ms / 1000}')"
  done) &
else
  (while :; do "$CLIENT" --host 127.0.0.1 --port "$PORT" --repeat 100000 >/dev/null 2>&1; done) &
fi
load=$!
pids+=("$load")
echo
echo "| minute | RSS (MB) | peak RSS (MB) | calls seen | packets seen | calls/s | packets/s | kernel drops | calls kept | packets kept |"
echo "|---|---|---|---|---|---|---|---|---|---|"
prev_calls=0 prev_packets=0
for minute in $(seq 1 "$MINUTES"); do
  sleep 60
  kill -USR1 "$netcorr"
  # The report so far replaces long.json; wait (bounded) until it is complete JSON.
  for _ in $(seq 1 100); do
    sleep 0.2
    python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$OUT/long.json" 2>/dev/null && break
  done
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$netcorr/status")
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$netcorr/status")
  read -r calls packets drops ckept pkept < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
t = d["totals"]
print(t["calls_seen"], t["packets_seen"], d["capture"]["kernel_dropped"], t["calls_kept"],
      t["packets_kept"])' "$OUT/long.json")
  awk -v m="$minute" -v r="$rss" -v h="$hwm" -v c="$calls" -v p="$packets" -v pc="$prev_calls" \
    -v pp="$prev_packets" -v d="$drops" -v ck="$ckept" -v pk="$pkept" 'BEGIN {
    printf "| %d | %.1f | %.1f | %d | %d | %.0f | %.0f | %d | %d | %d |\n", m, r / 1024, h / 1024,
      c, p, (c - pc) / 60, (p - pp) / 60, d, ck, pk }'
  prev_calls=$calls prev_packets=$packets
done
kill "$load" 2>/dev/null || true
wait "$load" 2>/dev/null || true
stop "$netcorr"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["findings"] if x["severity"] == "failure"]
print("final report: %d findings (%d failures), stop reason: %s, files: %s" % (
    len(d["findings"]), len(f), d["session"]["stop_reason"],
    ", ".join(x["path"].split("/")[-1] for x in d["capture"]["files"])))' "$OUT/long.json"
kill -0 "$server" && echo "the server is still running after netcorr stopped"
