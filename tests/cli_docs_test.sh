#!/usr/bin/env bash
# The man page (docs/netcorr.1) and the bash completion offer exactly the options that
# `netcorr --help` lists: a new option missing from either, or one removed from netcorr but
# still documented, fails here. Usage: cli_docs_test.sh NETCORR MAN_SOURCE COMPLETION
set -euo pipefail
netcorr=$1 man_page=$2 completion=$3
status=0

# --help: the option column, "  -p PID   ..." and "  -h, --help   ...".
help_options=$("$netcorr" --help | sed -nE 's/^  (-[^ ,]+(, -[^ ,]+)*).*/\1/p' | tr ',' '\n' |
  tr -d ' ' | sort -u)
[ "$(wc -l <<<"$help_options")" -ge 20 ] || { echo "too few options in --help:" $help_options; exit 1; }

# The man page: the tag line after each .TP whose words start with a dash (\- in roff).
man_options=$(sed -n '/^\.TP/{n;p}' "$man_page" | sed 's/\\-/-/g; s/\\f[BIRP]//g; s/"//g' |
  tr ' ,' '\n\n' | grep -E '^--?[a-zA-Z]' | sort -u)

# The completion, asked the way bash asks it: the candidates for "netcorr -" and
# "netcorr analyze -".
complete_words() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
    _netcorr; printf "%s\n" "${COMPREPLY[@]}"' _ "$completion" "$@" | sort -u
}
live_completion=$(complete_words netcorr - | grep -vx -- '--')
analyze_completion=$(complete_words netcorr analyze -)
all_completion=$(sort -u <<<"$live_completion"$'\n'"$analyze_completion")

compare() {  # compare NAME LIST: LIST must be --help's options
  if ! diff <(echo "$help_options") <(echo "$2") >/dev/null; then
    echo "FAIL: $1 and netcorr --help differ (< only in --help, > only in $1):"
    diff <(echo "$help_options") <(echo "$2") | grep '^[<>]' || true
    status=1
  else
    echo "ok: $1 lists the $(wc -l <<<"$help_options") options of --help"
  fi
}
compare "the man page" "$man_options"
compare "the completion" "$all_completion"

# analyze's own options are offered after "analyze", and the live-only ones are not.
for want in --strace --pcap --json -o; do
  grep -qx -- "$want" <<<"$analyze_completion" || { echo "FAIL: analyze does not offer $want"; status=1; }
done
for unwanted in -p --netns; do
  if grep -qx -- "$unwanted" <<<"$analyze_completion"; then echo "FAIL: analyze offers $unwanted"; status=1; fi
done
for unwanted in --strace --pcap; do
  if grep -qx -- "$unwanted" <<<"$live_completion"; then echo "FAIL: $unwanted offered outside analyze"; status=1; fi
done
grep -qx analyze <(complete_words netcorr an) || { echo "FAIL: 'analyze' not offered"; status=1; }
exit $status
