# Shared by the scripts/probe-*.sh (source it; it defines, it runs nothing): the PostgreSQL
# they measure, a scratch database and folder removed on exit, the tpch tables as the worker
# writes them, and the psql lines that print the probing backend's CPU time.

# PostgreSQL: PGHOST/PGPORT/PGUSER, default the machine's shared server.
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}

# Sets `db` (`<prefix>_<pid of the script>`) and `work` (a temporary folder), creates the
# database, and removes both when the script exits.
probe_scratch() { # $1: database name prefix
  db="$1_$$"
  work=$(mktemp -d)
  trap probe_cleanup EXIT
  psql -d postgres -qc "CREATE DATABASE $db"
}

probe_cleanup() {
  psql -d postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -rf "$work"
}

# The tpch tables with their keys and indexes (the columns the probes fill), with `$1` after
# `_parent_id UUID NOT NULL` (the foreign key, or nothing).
tpch_schema() {
  cat <<SQL
DROP TABLE IF EXISTS order_line_items, orders;
CREATE TABLE orders (
    _id UUID PRIMARY KEY, _message_id UUID NOT NULL, order_key TEXT NOT NULL,
    customer_key TEXT NOT NULL, total_price NUMERIC NOT NULL, order_date DATE NOT NULL,
    comment VARCHAR(200), _ingested_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (order_key));
CREATE TABLE order_line_items (
    _id UUID PRIMARY KEY, _message_id UUID NOT NULL, _parent_id UUID NOT NULL $1,
    order_key TEXT NOT NULL, line_number BIGINT NOT NULL CHECK (line_number >= 1),
    part_key TEXT NOT NULL, quantity BIGINT NOT NULL, extended_price DOUBLE PRECISION NOT NULL,
    ship_date DATE, _ingested_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (order_key, line_number));
CREATE INDEX order_line_items_parent_id_idx ON order_line_items (_parent_id);
SQL
}

# psql lines that print, as their last output, the CPU seconds (user + system) of the backend
# running them, from /proc (so the server must run on this machine).
backend_cpu_sql() {
  cat <<'SQL'
SELECT pg_backend_pid() AS pid \gset
\setenv BACKEND :pid
\! awk -v t="$(getconf CLK_TCK)" '{ printf "%.3f\n", ($14 + $15) / t }' /proc/$BACKEND/stat
SQL
}
