#!/usr/bin/env bash
# networld.sh — the single definition of netcorr's test world: three network namespaces
# joined by veth pairs, plus switchable faults. Used by hand, by the demo and by the C++
# fixture (tests/world/world.h), so all three see exactly the same network.
#
#   NAME-c (client)  c0 <==> r0  NAME-r (router)  r1 <==> s0  NAME-s (server)
#   10.71.1.2/24 fd71:1::2/64    10.71.1.1 fd71:1::1
#                                10.71.2.1 fd71:2::1        10.71.2.2/24 fd71:2::2/64
#
# Usage (as root):
#   networld.sh up NAME [--owner PID]   create the world; with --owner, `gc` removes it once
#                                       PID has died
#   networld.sh down NAME               stop its servers, delete its namespaces (idempotent)
#   networld.sh gc                      take down every world whose owner process is gone
#   networld.sh list                    names of the worlds that exist
#   networld.sh show NAME               its addresses, routes, MTUs, firewall rules, servers
#   networld.sh exec NAME c|r|s CMD...  run CMD in one namespace
#   networld.sh serve NAME tcp|udp PORT start the echo server (TCP: echo or HTTP/1.0 reply)
#   networld.sh serve NAME dns [FLAGS]  start dns_test_server on port 53 (FLAGS: its own, e.g.
#                                       --mode nxdomain --tcp answer)
#   networld.sh fault NAME FAULT [ARGS] switch on one fault (see `networld.sh help`)
#   networld.sh resolver NAME v4|v6     the client's glibc resolver asks the server's v4 or v6
#                                       address (/etc/netns/NAME-c/resolv.conf, which
#                                       `ip netns exec` mounts over /etc/resolv.conf)
#
# The client namespace resolves through the server namespace: `up` writes
# /etc/netns/NAME-c/resolv.conf, which `ip netns exec` bind-mounts over /etc/resolv.conf
# (nameserver 10.71.2.2, search netcorr.test, timeout:1 attempts:2 so a silent server costs a
# test seconds, not minutes); `down` and `gc` remove it. Nothing answers there until a DNS
# server is started (serve NAME dns, or a dns-* fault).
#
# Servers come from the examples/ build directory: $NETCORR_EXAMPLES_DIR, by default
# <repo>/build/examples. Their PIDs are kept in /run/netcorr-world/NAME/*.pid.
#
# Network safety: every address used here exists only inside the namespaces this script made;
# every wait below is bounded (a listener gets 2 s to appear, polled every 20 ms).
set -euo pipefail

readonly STATE_ROOT=/run/netcorr-world
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly EXAMPLES_DIR=${NETCORR_EXAMPLES_DIR:-"$script_dir/../../build/examples"}

readonly C4=10.71.1.2 R4C=10.71.1.1 R4S=10.71.2.1 S4=10.71.2.2
readonly C6=fd71:1::2 R6C=fd71:1::1 R6S=fd71:2::1 S6=fd71:2::2
# On the client's link, owned by no namespace: address resolution for them is never answered.
readonly ABSENT4=10.71.1.99 ABSENT6=fd71:1::99

die() {
  echo "networld: $*" >&2
  exit 1
}

usage() {
  cat <<'EOF'
usage: networld.sh up NAME [--owner PID] | down NAME | gc | list | show NAME
       networld.sh exec NAME c|r|s CMD [ARGS...]
       networld.sh serve NAME tcp|udp PORT | serve NAME dns [dns_test_server FLAGS]
       networld.sh fault NAME FAULT [ARGS]
       networld.sh resolver NAME v4|v6
faults (each applies to IPv4 and IPv6):
  no-listener                 nothing to switch on: a TCP port without listener answers RST
  udp-closed PORT             nothing to switch on: a closed UDP port answers ICMP port-unreachable
  syn-drop-server PORT        server drops SYNs to PORT (connect times out)
  syn-drop-server-v6 PORT     the same for IPv6 only: a dual-stack client falls back to IPv4
  syn-drop-first PORT         server drops the first SYN from each client to PORT, later ones pass
  reject-router CODE PORT     router answers packets to the server's PORT with ICMP CODE
  reject-server CODE PORT     server answers packets to PORT with ICMP CODE
        CODE: host-unreach | net-unreach | port-unreach | admin-prohibited
  no-route                    client loses its default routes (v4 and v6)
  client-output-drop PORT     client's OUTPUT chain drops packets to PORT
  client-output-reject PORT [CODE]  client's OUTPUT chain rejects them (default port-unreach)
  reset-server PORT           server accepts, reads the request, closes with RST (SO_LINGER 0)
  syn-drop-router PORT        router drops SYNs to the server's PORT (FORWARD)
  synack-drop-router PORT     router drops the server's SYN-ACKs from PORT on the way back
  reset-router PORT           router answers SYNs to the server's PORT with an RST in the
                              server's name (REJECT --reject-with tcp-reset; the server never
                              sees them)
  udp-drop-server PORT        server drops UDP datagrams to PORT (INPUT)
  udp-answer-drop-router PORT router drops the server's UDP answers from PORT on the way back
  dns-drop                    server drops DNS queries (UDP 53)
  dns-servfail                server answers every DNS query on UDP 53 with SERVFAIL
  dns-nxdomain                server answers every DNS query with NXDOMAIN
  dns-refused                 server answers every DNS query with REFUSED
  dns-truncate [tcp-closed|tcp-answer]  UDP answers are truncated (TC=1); TCP 53 is closed
                              (RST, the default) or answers
  dns-no-aaaa                 server answers A queries, never AAAA ones
  resolver-v6                 the client's resolv.conf names fd71:2::2 instead of 10.71.2.2
(`serve NAME dns` starts the by-name server: NAME.netcorr.test is answered unless its first
label is nxdomain, refused, servfail, truncate, no-aaaa or drop; other names get NXDOMAIN)
  tls-alert PORT              server answers a TLS ClientHello with a fatal handshake_failure alert
  tls-selfsigned PORT [HOST]  openssl s_server on PORT with a self-signed certificate for HOST
                              (default test.example), made when the fault is switched on
  server-not-reading PORT     server accepts on PORT and never reads (small receive buffer):
                              the client soon sees a zero window
  pmtu-blackhole              router's server-side link MTU 1300 (IPv6 1280) and the router's
                              ICMP frag-needed / packet-too-big dropped: big segments vanish
  host-absent                 nothing to switch on: 10.71.1.99 / fd71:1::99 on the client's link
                              belong to nobody, so ARP / neighbour solicitations go unanswered
  port-range LOW HIGH         client's ephemeral port range (net.ipv4.ip_local_port_range, per
                              namespace, IPv6 too) narrowed to LOW-HIGH
EOF
}

ns() { echo "$1-$2"; }  # ns NAME c -> NAME-c
in_ns() {
  local n=$1
  shift
  ip netns exec "$n" "$@"
}

resolv_conf() { echo "/etc/netns/$(ns "$1" c)/resolv.conf"; }  # resolv_conf NAME

# write_resolv_conf NAME SERVER: the client namespace's resolver configuration.
write_resolv_conf() {
  local f
  f=$(resolv_conf "$1")
  mkdir -p "$(dirname "$f")"
  printf 'nameserver %s\nsearch netcorr.test\noptions timeout:1 attempts:2\n' "$2" >"$f.tmp"
  mv "$f.tmp" "$f"
}

remove_resolv_conf() {
  local f
  f=$(resolv_conf "$1")
  rm -f "$f" "$f.tmp"
  rmdir "$(dirname "$f")" 2>/dev/null || true
}

check_name() {
  [[ $1 =~ ^[A-Za-z0-9_]{1,24}$ ]] || die "world name '$1' must be 1-24 letters, digits or _"
}

check_port() {
  if ! [[ $1 =~ ^[0-9]{1,5}$ ]] || (($1 < 1 || $1 > 65535)); then die "bad port '$1'"; fi
}

require_world() {
  check_name "$1"
  [[ -e /run/netns/$(ns "$1" c) && -d $STATE_ROOT/$1 ]] || die "world '$1' does not exist (networld.sh up $1)"
}

# Prints the start time (field 22 of /proc/PID/stat) of a running process, which tells it
# from a later process that got the same PID; fails for a process that is gone or a zombie.
proc_identity() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  # Fields after the ")" that ends the command name; starttime is field 22 overall.
  local rest=${stat##*) }
  # shellcheck disable=SC2086
  set -- $rest
  [[ $1 != Z && $1 != X ]] || return 1
  echo "${20}"
}

is_alive() {  # is_alive PID STARTTIME
  local now
  now=$(proc_identity "$1") || return 1
  [[ $now == "$2" ]]
}

cmd_up() {
  local name=$1 owner=""
  shift
  check_name "$name"
  if [[ ${1:-} == --owner ]]; then
    owner=${2:-}
    [[ $owner =~ ^[0-9]+$ ]] || die "--owner needs a PID"
  fi
  local state=$STATE_ROOT/$name
  mkdir -p "$STATE_ROOT"
  mkdir "$state" 2>/dev/null || die "world '$name' already exists (state dir $state)"
  if [[ -n $owner ]]; then
    local start
    start=$(proc_identity "$owner") || { rmdir "$state"; die "owner PID $owner is not running"; }
    echo "$owner $start" >"$state/owner.tmp"
    mv "$state/owner.tmp" "$state/owner"
  fi
  local c r s n
  c=$(ns "$name" c) r=$(ns "$name" r) s=$(ns "$name" s)
  for n in "$c" "$r" "$s"; do
    # Never adopt (and later delete) a namespace somebody else made.
    if [[ -e /run/netns/$n ]]; then
      rm -rf "$state"
      die "namespace $n already exists and is not a world of this script"
    fi
  done
  # Any failure from here on leaves nothing behind.
  trap 'echo "networld: up $name failed at line $LINENO; removing what was made" >&2; cmd_down "$name" >/dev/null 2>&1 || true' ERR
  ip netns add "$c"
  ip netns add "$r"
  ip netns add "$s"
  for n in "$c" "$r" "$s"; do
    # Before the links exist, so their link-local addresses skip DAD too: without this the
    # first IPv6 exchange of a fresh world waits about 2 s for tentative addresses.
    in_ns "$n" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
  done
  # Created directly inside the namespaces: fixed names, no clash between concurrent worlds.
  ip link add c0 netns "$c" type veth peer name r0 netns "$r"
  ip link add r1 netns "$r" type veth peer name s0 netns "$s"
  for n in "$c" "$r" "$s"; do
    ip -n "$n" link set lo up
    # Deterministic ICMP: no rate limit on the errors the tests wait for.
    in_ns "$n" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
  done
  in_ns "$r" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  # Links up before addresses: an address added to an up link joins its solicited-node
  # multicast group at once, so the first neighbour solicitation is answered.
  ip -n "$c" link set c0 up
  ip -n "$r" link set r0 up
  ip -n "$r" link set r1 up
  ip -n "$s" link set s0 up
  ip -n "$c" addr add "$C4/24" dev c0
  ip -n "$c" addr add "$C6/64" dev c0 nodad
  ip -n "$r" addr add "$R4C/24" dev r0
  ip -n "$r" addr add "$R6C/64" dev r0 nodad
  ip -n "$r" addr add "$R4S/24" dev r1
  ip -n "$r" addr add "$R6S/64" dev r1 nodad
  ip -n "$s" addr add "$S4/24" dev s0
  ip -n "$s" addr add "$S6/64" dev s0 nodad
  ip -n "$c" route add default via "$R4C"
  ip -n "$c" -6 route add default via "$R6C"
  ip -n "$s" route add default via "$R4S"
  ip -n "$s" -6 route add default via "$R6S"
  write_resolv_conf "$name" "$S4"
  trap - ERR
  echo "world $name up: client $c ($C4 $C6), router $r, server $s ($S4 $S6)"
}

kill_pid_file() {  # stop a server we started, only if the PID still is that process
  local f=$1 pid start
  read -r pid start <"$f" || return 0
  if is_alive "$pid" "$start"; then
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do  # up to 1 s for a clean exit
      is_alive "$pid" "$start" || break
      sleep 0.02
    done
    if is_alive "$pid" "$start"; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$f"
}

cmd_down() {
  local name=$1
  check_name "$name"
  local state=$STATE_ROOT/$name f n pid
  if [[ -d $state ]]; then
    for f in "$state"/*.pid; do
      [[ -e $f ]] && kill_pid_file "$f"
    done
  fi
  for n in "$(ns "$name" c)" "$(ns "$name" r)" "$(ns "$name" s)"; do
    if [[ -e /run/netns/$n ]]; then
      # Whatever still runs inside this world's namespaces was started in the world.
      for pid in $(ip netns pids "$n" 2>/dev/null); do
        kill -KILL "$pid" 2>/dev/null || true
      done
      ip netns del "$n" 2>/dev/null || true
    fi
  done
  remove_resolv_conf "$name"
  rm -rf "$state"
}

cmd_gc() {
  [[ -d $STATE_ROOT ]] || return 0
  local d name pid start
  for d in "$STATE_ROOT"/*/; do
    [[ -f $d/owner ]] || continue
    name=$(basename "$d")
    read -r pid start <"$d/owner" || continue
    if ! is_alive "$pid" "$start"; then
      echo "networld: removing world $name (owner $pid is gone)" >&2
      cmd_down "$name" || true
    fi
  done
}

# What is switched on in a world: firewall rules, routes, MTUs and servers.
cmd_show() {
  local name=$1 node n f pid start
  require_world "$name"
  for node in c r s; do
    n=$(ns "$name" $node)
    echo "== $n"
    ip -n "$n" -brief addr show | grep -v '^lo '
    ip -n "$n" -o link show | awk '$2 != "lo:" {sub(/@.*/, "", $2); sub(/:$/, "", $2); print "mtu", $2, $5}'
    ip -n "$n" route show default | sed 's/^/route v4 /'
    ip -n "$n" -6 route show default | sed 's/^/route v6 /'
    in_ns "$n" iptables-save -c -t filter | grep '^\[.*-A ' | sed 's/^/v4 /' || true
    in_ns "$n" ip6tables-save -c -t filter | grep '^\[.*-A ' | sed 's/^/v6 /' || true
  done
  for f in "$STATE_ROOT/$name"/*.pid; do
    [[ -e $f ]] || continue
    read -r pid start <"$f" || continue
    if is_alive "$pid" "$start"; then
      echo "server $(basename "$f" .pid) pid $pid"
    else
      echo "server $(basename "$f" .pid) pid $pid (exited; log: ${f%.pid}.log)"
    fi
  done
}

cmd_list() {
  [[ -d $STATE_ROOT ]] || return 0
  local d
  for d in "$STATE_ROOT"/*/; do
    [[ -d $d ]] && basename "$d"
  done
  return 0
}

# Starts an examples/ server in the server namespace (see launch_server).
start_server() {
  local name=$1 tag=$2 proto=$3 port=$4 prog=$5
  shift 5
  local bin=$EXAMPLES_DIR/$prog
  [[ -x $bin ]] || die "$bin not built (cmake --build build --target $prog, or set NETCORR_EXAMPLES_DIR)"
  launch_server "$name" "$tag" "$proto" "$port" "$prog" "$bin" --port "$port" "$@"
}

# launch_server NAME TAG PROTO PORT LABEL CMD...: runs CMD (LABEL in messages) in the server
# namespace, detached (setsid, no inherited stdio), records its PID and waits (bounded) until it
# listens on PORT.
launch_server() {
  local name=$1 tag=$2 proto=$3 port=$4 prog=$5
  shift 5
  local state=$STATE_ROOT/$name s
  s=$(ns "$name" s)
  [[ -e $state/$tag-$port.pid ]] && die "$tag already running on port $port in world $name"
  ip netns exec "$s" setsid "$@" </dev/null >"$state/$tag-$port.log" 2>&1 &
  local pid=$!
  local start
  start=$(proc_identity "$pid") || die "$prog exited at once: $(cat "$state/$tag-$port.log")"
  echo "$pid $start" >"$state/$tag-$port.pid"
  local flag=-Hltn i
  [[ $proto == udp ]] && flag=-Hlun
  for ((i = 0; i < 100; i++)); do  # 100 x 20 ms = 2 s
    if [[ -n $(in_ns "$s" ss $flag "sport = :$port") ]]; then
      echo "$prog listening on $proto port $port in $s (pid $pid)"
      return 0
    fi
    is_alive "$pid" "$start" || break
    sleep 0.02
  done
  kill_pid_file "$state/$tag-$port.pid"
  die "$prog did not listen on $proto port $port within 2 s: $(cat "$state/$tag-$port.log")"
}

cmd_serve() {
  local name=$1 proto=${2:-} port=${3:-}
  require_world "$name"
  if [[ $proto == dns ]]; then
    shift 2
    start_server "$name" dns udp 53 dns_test_server "$@"
    return
  fi
  check_port "$port"
  case $proto in
    tcp) start_server "$name" echo-tcp tcp "$port" echo_server ;;
    udp) start_server "$name" echo-udp udp "$port" echo_server --udp ;;
    *) die "serve: protocol must be tcp, udp or dns" ;;
  esac
}

# Points the client namespace's glibc resolver at the server (where `dns-drop` and
# `dns-servfail` act), with short, bounded retries: one second per try, two tries.
cmd_resolver() {
  local name=$1 family=${2:-} server
  require_world "$name"
  case $family in
    v4) server=$S4 ;;
    v6) server=$S6 ;;
    *) die "resolver: family must be v4 or v6" ;;
  esac
  local dir
  dir=/etc/netns/$(ns "$name" c)
  mkdir -p "$dir"
  touch "$STATE_ROOT/$name/resolver"
  printf 'nameserver %s\noptions timeout:1 attempts:2\n' "$server" >"$dir/resolv.conf"
  echo "resolver: $(ns "$name" c) asks $server"
}

# iptables and ip6tables with the same match, in one namespace.
ipt46() {
  local n=$1
  shift
  in_ns "$n" iptables -w 2 "$@"
  in_ns "$n" ip6tables -w 2 "$@"
}

reject_args() {  # reject_args CODE -> sets V4 and V6 --reject-with values
  case $1 in
    host-unreach) V4=icmp-host-unreachable V6=icmp6-addr-unreachable ;;
    net-unreach) V4=icmp-net-unreachable V6=icmp6-no-route ;;
    port-unreach) V4=icmp-port-unreachable V6=icmp6-port-unreachable ;;
    admin-prohibited) V4=icmp-admin-prohibited V6=icmp6-adm-prohibited ;;
    *) die "unknown reject code '$1' (host-unreach|net-unreach|port-unreach|admin-prohibited)" ;;
  esac
}

# reject_in NS CHAIN CODE PORT [DEST4 DEST6]: REJECT TCP and UDP to PORT with ICMP CODE.
reject_in() {
  local n=$1 chain=$2 code=$3 port=$4 d4=${5:-} d6=${6:-}
  check_port "$port"
  reject_args "$code"
  local p
  for p in tcp udp; do
    in_ns "$n" iptables -w 2 -A "$chain" ${d4:+-d "$d4"} -p $p --dport "$port" -j REJECT --reject-with "$V4"
    in_ns "$n" ip6tables -w 2 -A "$chain" ${d6:+-d "$d6"} -p $p --dport "$port" -j REJECT --reject-with "$V6"
  done
}

# tls_selfsigned NAME PORT HOST: a certificate for HOST signed by itself, made now (EC P-256,
# valid one day), served by `openssl s_server` (TLS 1.2 and 1.3) on PORT for at most an hour.
tls_selfsigned() {
  local name=$1 port=$2 host=$3
  [[ $host =~ ^[A-Za-z0-9]([A-Za-z0-9.-]{0,62})$ ]] || die "bad host name '$host'"
  local dir=$STATE_ROOT/$name/tls-selfsigned-$port
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj "/CN=$host" -addext "subjectAltName=DNS:$host" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" >"$dir/req.log" 2>&1 ||
    die "openssl req failed: $(cat "$dir/req.log")"
  launch_server "$name" tls-selfsigned tcp "$port" "openssl s_server" timeout 3600 \
    openssl s_server -accept "$port" -cert "$dir/cert.pem" -key "$dir/key.pem" -www -quiet
}

cmd_fault() {
  local name=$1 fault=${2:-}
  shift 2 || true
  require_world "$name"
  local c r s
  c=$(ns "$name" c) r=$(ns "$name" r) s=$(ns "$name" s)
  case $fault in
    no-listener)
      echo "no-listener: nothing to do, any TCP port without a listener on $S4/$S6 answers RST" ;;
    udp-closed)
      check_port "${1:-}"
      if [[ -n $(in_ns "$s" ss -Hlun "sport = :$1") ]]; then die "UDP port $1 has a listener"; fi
      echo "udp-closed: nothing to do, UDP port $1 on $S4/$S6 answers ICMP port-unreachable" ;;
    syn-drop-server)
      check_port "${1:-}"
      ipt46 "$s" -A INPUT -p tcp --syn --dport "$1" -j DROP ;;
    syn-drop-server-v6)
      check_port "${1:-}"
      in_ns "$s" ip6tables -w 2 -A INPUT -p tcp --syn --dport "$1" -j DROP ;;
    syn-drop-first)
      check_port "${1:-}"
      # `recent` remembers each source once it has been dropped: the first SYN from a client
      # is lost, its retransmission (and every later SYN) passes.
      ipt46 "$s" -A INPUT -p tcp --syn --dport "$1" -m recent --name "ncfirst$1" --rcheck -j ACCEPT
      ipt46 "$s" -A INPUT -p tcp --syn --dport "$1" -m recent --name "ncfirst$1" --set -j DROP ;;
    reject-router)
      # FORWARD, so the ICMP error comes from the router (10.71.1.1 / fd71:1::1 towards the
      # client), not from the destination.
      [[ $# -eq 2 ]] || die "reject-router CODE PORT"
      reject_in "$r" FORWARD "$1" "$2" "$S4" "$S6" ;;
    reject-server)
      [[ $# -eq 2 ]] || die "reject-server CODE PORT"
      reject_in "$s" INPUT "$1" "$2" ;;
    host-absent)
      if ip -n "$c" neigh show "$ABSENT4" | grep -q lladdr ||
        ip -n "$c" -6 neigh show "$ABSENT6" | grep -q lladdr; then
        die "host-absent: $ABSENT4 / $ABSENT6 answered address resolution"
      fi
      echo "host-absent: nothing to do, $ABSENT4 and $ABSENT6 on the client's link belong to nobody" ;;
    port-range)
      [[ $# -eq 2 ]] || die "port-range LOW HIGH"
      check_port "$1"
      check_port "$2"
      (($1 <= $2)) || die "port-range: LOW $1 above HIGH $2"
      in_ns "$c" sysctl -qw net.ipv4.ip_local_port_range="$1 $2" ;;
    no-route)
      ip -n "$c" route del default
      ip -n "$c" -6 route del default ;;
    client-output-drop)
      check_port "${1:-}"
      ipt46 "$c" -A OUTPUT -p tcp --dport "$1" -j DROP
      ipt46 "$c" -A OUTPUT -p udp --dport "$1" -j DROP ;;
    client-output-reject)
      check_port "${1:-}"
      reject_in "$c" OUTPUT "${2:-port-unreach}" "$1" ;;
    reset-server)
      check_port "${1:-}"
      start_server "$name" reset tcp "$1" reset_server ;;
    syn-drop-router)
      check_port "${1:-}"
      in_ns "$r" iptables -w 2 -A FORWARD -d "$S4" -p tcp --syn --dport "$1" -j DROP
      in_ns "$r" ip6tables -w 2 -A FORWARD -d "$S6" -p tcp --syn --dport "$1" -j DROP ;;
    synack-drop-router)
      check_port "${1:-}"
      in_ns "$r" iptables -w 2 -A FORWARD -s "$S4" -p tcp --sport "$1" \
        --tcp-flags SYN,ACK SYN,ACK -j DROP
      in_ns "$r" ip6tables -w 2 -A FORWARD -s "$S6" -p tcp --sport "$1" \
        --tcp-flags SYN,ACK SYN,ACK -j DROP ;;
    reset-router)
      check_port "${1:-}"
      in_ns "$r" iptables -w 2 -A FORWARD -d "$S4" -p tcp --dport "$1" \
        -j REJECT --reject-with tcp-reset
      in_ns "$r" ip6tables -w 2 -A FORWARD -d "$S6" -p tcp --dport "$1" \
        -j REJECT --reject-with tcp-reset ;;
    udp-drop-server)
      check_port "${1:-}"
      ipt46 "$s" -A INPUT -p udp --dport "$1" -j DROP ;;
    udp-answer-drop-router)
      check_port "${1:-}"
      in_ns "$r" iptables -w 2 -A FORWARD -s "$S4" -p udp --sport "$1" -j DROP
      in_ns "$r" ip6tables -w 2 -A FORWARD -s "$S6" -p udp --sport "$1" -j DROP ;;
    dns-drop)
      ipt46 "$s" -A INPUT -p udp --dport 53 -j DROP ;;
    dns-servfail | dns-nxdomain | dns-refused)
      start_server "$name" dns udp 53 dns_test_server --mode "${fault#dns-}" ;;
    dns-truncate)
      case ${1:-tcp-closed} in
        tcp-closed) start_server "$name" dns udp 53 dns_test_server --mode truncate ;;
        tcp-answer) start_server "$name" dns udp 53 dns_test_server --mode truncate --tcp answer ;;
        *) die "dns-truncate tcp-closed|tcp-answer" ;;
      esac ;;
    dns-no-aaaa)
      start_server "$name" dns udp 53 dns_test_server --mode no-aaaa ;;
    resolver-v6)
      write_resolv_conf "$name" "$S6" ;;
    tls-alert)
      check_port "${1:-}"
      start_server "$name" tls tcp "$1" tls_alert_server ;;
    server-not-reading)
      check_port "${1:-}"
      start_server "$name" not-reading tcp "$1" not_reading_server ;;
    tls-selfsigned)
      check_port "${1:-}"
      tls_selfsigned "$name" "$1" "${2:-test.example}" ;;
    pmtu-blackhole)
      ip -n "$r" link set r1 mtu 1300
      in_ns "$r" sysctl -qw net.ipv6.conf.r1.mtu=1280
      # The router still notices the oversized packets; only its reports never leave.
      in_ns "$r" iptables -w 2 -A OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP
      in_ns "$r" ip6tables -w 2 -A OUTPUT -p icmpv6 --icmpv6-type packet-too-big -j DROP ;;
    "" | help) usage; exit 1 ;;
    *) die "unknown fault '$fault' (networld.sh help)" ;;
  esac
}

main() {
  local cmd=${1:-help}
  shift || true
  case $cmd in
    help | -h | --help) usage ;;
    list) cmd_list ;;
    gc) [[ $EUID -eq 0 ]] || die "needs root"; cmd_gc ;;
  esac
  case $cmd in
    help | -h | --help | list | gc) return 0 ;;
  esac
  [[ $EUID -eq 0 ]] || die "needs root (network namespaces, iptables)"
  local name=${1:-}
  [[ -n $name ]] || { usage >&2; exit 1; }
  shift
  case $cmd in
    up) cmd_up "$name" "$@" ;;
    down) cmd_down "$name" ;;
    serve) cmd_serve "$name" "$@" ;;
    fault) cmd_fault "$name" "$@" ;;
    resolver) cmd_resolver "$name" "$@" ;;
    show) cmd_show "$name" ;;
    exec)
      check_name "$name"
      local node=${1:-}
      shift || true
      [[ $node == c || $node == r || $node == s ]] || die "exec: node must be c, r or s"
      [[ $# -gt 0 ]] || die "exec: no command"
      require_world "$name"
      exec ip netns exec "$(ns "$name" "$node")" "$@" ;;
    *) usage >&2; exit 1 ;;
  esac
}

main "$@"
