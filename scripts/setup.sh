#!/usr/bin/env bash
# Prepares this machine for nomnom's demo and builds: PostgreSQL and NATS (JetStream) running
# on their standard loopback ports (installed from Debian's packages when missing) and the
# shared build cache. What only the tests need (a current nats-server for cluster tests, the
# Helm engine for chart tests) is in scripts/setup-tests.sh, which sources this one.
# Idempotent: a second run changes nothing. Source it (`. scripts/setup.sh`) to keep its
# exported variables (CARGO_TARGET_DIR, NOMNOM_TARGET_DIR).
set -euo pipefail

log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

have_port() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

apt_install() {
  if [ -z "${NOMNOM_APT_UPDATED:-}" ]; then
    apt-get update -qq >/dev/null
    export NOMNOM_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

wait_port() {
  local port=$1 what=$2
  for _ in $(seq 1 100); do
    have_port "$port" && return 0
    sleep 0.2
  done
  log "$what did not come up on port $port"
  return 1
}

# --- PostgreSQL -----------------------------------------------------------------------------
if ! have_port 5432; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    log "installing PostgreSQL from Debian's packages"
    apt_install postgresql
  fi
  log "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -n | tail -1)" main start
  wait_port 5432 PostgreSQL
fi
# Tests and the demo connect as postgres over TCP without a password (trust on loopback).
if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  log "PostgreSQL refuses password-less loopback connections for user postgres;"
  log "allow them in pg_hba.conf (host all all 127.0.0.1/32 trust) for the tests"
  exit 1
fi

# --- NATS with JetStream --------------------------------------------------------------------
if ! have_port 4222; then
  if [ ! -x /usr/sbin/nats-server ]; then
    log "installing nats-server from Debian's packages"
    apt_install nats-server
  fi
  log "starting NATS with JetStream"
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  wait_port 4222 NATS
fi

# --- One build cache shared by the workspace and every generated project --------------------
export NOMNOM_TARGET_DIR="${NOMNOM_TARGET_DIR:-$HOME/.cache/nomnom/target}"
export CARGO_TARGET_DIR="$NOMNOM_TARGET_DIR"
mkdir -p "$NOMNOM_TARGET_DIR"
log "ready: PostgreSQL :5432, NATS :4222, build cache $NOMNOM_TARGET_DIR"
