#!/usr/bin/env bash
# demo_world.sh — the world demo_app expects: the test world with the five faults it meets.
#
#   examples/demo_world.sh up NAME       create world NAME and switch the faults on
#   examples/demo_world.sh faults NAME   switch the faults on in an existing world
#   examples/demo_world.sh down NAME     remove the world
#
# Then: tests/world/networld.sh exec NAME c build/examples/demo_app
# (or with netcorr in front of demo_app). Needs root; the servers come from
# $NETCORR_EXAMPLES_DIR (default build/examples).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
networld=$top/tests/world/networld.sh

faults() {
  local name=$1
  "$networld" fault "$name" no-listener                     # step 1: port 7001 -> RST
  "$networld" fault "$name" syn-drop-server 7002            # step 2: SYNs vanish
  "$networld" fault "$name" reject-router host-unreach 7003 # step 3: ICMP from the router
  "$networld" fault "$name" reset-server 7004               # step 4: RST after the request
  "$networld" fault "$name" dns-drop                        # step 5: DNS query unanswered
}

case ${1:-} in
  up)
    [[ -n ${2:-} ]] || { echo "usage: demo_world.sh up NAME" >&2; exit 2; }
    "$networld" up "$2"
    faults "$2" || { "$networld" down "$2"; exit 1; }
    echo "run: $networld exec $2 c ${NETCORR_EXAMPLES_DIR:-$top/build/examples}/demo_app"
    ;;
  faults)
    [[ -n ${2:-} ]] || { echo "usage: demo_world.sh faults NAME" >&2; exit 2; }
    faults "$2"
    ;;
  down)
    [[ -n ${2:-} ]] || { echo "usage: demo_world.sh down NAME" >&2; exit 2; }
    "$networld" down "$2"
    ;;
  *)
    echo "usage: demo_world.sh up|faults|down NAME" >&2
    exit 2
    ;;
esac
