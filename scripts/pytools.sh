#!/usr/bin/env bash
# The Python tools the OpenAPI tests run, from PyPI: openapi-spec-validator (is the
# document valid OpenAPI?) and schemathesis (does the API answer as its document
# says?), pinned, in a virtualenv under target/pytools (made once, reused). Prints the
# virtualenv's bin folder on stdout (progress goes to stderr):
#
#     export KILN_TEST_PYTOOLS="$(bash scripts/pytools.sh)"
set -euo pipefail
cd "$(dirname "$0")/.."

VALIDATOR=openapi-spec-validator==0.9.0
SCHEMATHESIS=schemathesis==4.32.5
VENV=${KILN_PYTOOLS_DIR:-target/pytools}
log() { echo "pytools.sh: $*" >&2; }

# Debian's python3 makes virtualenvs only with python3-venv.
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    bash scripts/need.sh python3 python3 python3-venv >/dev/null
    python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || {
        # python3 was there but not its venv module.
        [ "$(id -u)" -eq 0 ] || { log "python3-venv is missing; run as root to install it"; exit 1; }
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv >&2 ||
            { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv >&2; }
    }
fi
stamp="$VENV/.kiln-$VALIDATOR-$SCHEMATHESIS"
if [ ! -e "$stamp" ]; then
    log "installing $VALIDATOR $SCHEMATHESIS into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV" >&2
    "$VENV/bin/pip" install -q --disable-pip-version-check "$VALIDATOR" "$SCHEMATHESIS" >&2
    touch "$stamp"
fi
"$VENV/bin/openapi-spec-validator" --help >/dev/null
"$VENV/bin/schemathesis" --version >&2
cd "$VENV/bin" && pwd
