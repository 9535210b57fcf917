#!/usr/bin/env bash
# Installs what netcorr needs to build, test and demo on Debian 12. Idempotent: installs only
# what is missing, and runs `apt-get update` at most once per call.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  clang-14 libclang-rt-14-dev           # libFuzzer targets
  libpcap-dev libseccomp-dev libabsl-dev libgtest-dev libgmock-dev
  iproute2 iptables openssl curl strace tcpdump tshark procps
  dnsutils util-linux netcat-openbsd coreutils  # dig, setpriv, nc, timeout: clients the tests run
  golang-go nodejs python3              # runtime clients (tests/*_story_e2e_test.cc)
  chromium                              # opens --html pages headless (tests/html_report_e2e_test.cc)
  wireshark-common                      # editcap: shifts and cuts peer captures (path_verdict_e2e_test)
  man-db bash-completion dpkg-dev libcap2-bin  # scripts/test-install.sh, setcap tests
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root (sudo) to install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
