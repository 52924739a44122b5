#!/usr/bin/env bash
# Makes sure the program COMMAND is installed, installing the Debian PACKAGES that
# provide it when it is not (as root), and prints its path on stdout (and nothing else
# there; progress goes to stderr):
#
#     export KILN_TEST_CHROMEDRIVER="$(scripts/need.sh chromedriver chromium chromium-driver)"
#     export KILN_TEST_NGINX="$(scripts/need.sh nginx nginx)"
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: need.sh COMMAND PACKAGE..." >&2; exit 2; }
COMMAND=$1
shift
log() { echo "need.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# Daemons such as nginx live in sbin, which a user's PATH may lack.
find_it() { PATH="$PATH:/usr/sbin:/sbin" command -v "$COMMAND" 2>/dev/null; }

if ! find_it >/dev/null; then
    [ "$(id -u)" -eq 0 ] || die "$COMMAND is not installed; run as root to install Debian's $*"
    command -v apt-get >/dev/null 2>&1 || die "$COMMAND is not installed and apt-get is not available"
    log "installing $* (apt-get install)"
    export DEBIAN_FRONTEND=noninteractive
    # A package's own service (nginx on port 80) is not started: the tests start
    # their own, on 127.0.0.1 and ephemeral ports.
    policy=/usr/sbin/policy-rc.d
    made_policy=
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod +x "$policy"
        made_policy=1
    fi
    trap '[ -n "$made_policy" ] && rm -f "$policy"' EXIT
    if ! apt-get install -y -q --no-install-recommends "$@" >&2; then
        apt-get update -q >&2
        apt-get install -y -q --no-install-recommends "$@" >&2
    fi
    find_it >/dev/null || die "installed $*, but $COMMAND is not on PATH"
fi
find_it
