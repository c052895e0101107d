#!/usr/bin/env bash
# What the hidden ids' order costs PostgreSQL as the tables grow, on the worker's own statement
# shapes: per batch of 500 new orders, the upsert of the orders, the DELETE of their line items
# through `_parent_id`, and the upsert of 4 line items each, in one transaction, with the tpch
# tables' keys, indexes and foreign key. Two ways of making `_id`, each into empty tables:
#
#   hashed   a hash of the row's key (nomnom before time-ordered ids): every insert into the
#            `_id` and `_parent_id` indexes lands on a random page;
#   ordered  the message's time first, then a hash (`nomnom_runtime::db::row_ids::row_id`),
#            with the orders' upsert answering the stored ids as the generated code does.
#
# Every CHUNK batches it prints the wall time, the PostgreSQL backend's CPU time (from /proc,
# so the server must run on this machine) and the WAL written per order, and the database's
# size; after each way it checks that every row is there.
#
#   scripts/probe-id-locality.sh [BATCHES] [CHUNK] [WAYS]   (defaults 6000, 500, "hashed ordered")
#
# PostgreSQL: PGHOST/PGPORT/PGUSER (default 127.0.0.1:5432, postgres); it creates a database
# of its own and drops it. The defaults write 3 million orders each way (3.5 GB, 15–25 min).
set -euo pipefail
batches=${1:-6000}
chunk=${2:-500}
ways=${3:-hashed ordered}
. "$(dirname "$0")/lib/probe.sh"
probe_scratch nomnom_id_probe

# The `_id` of order g (line l): a hash of its key, or its message's time (the order number
# stands for the message's millisecond) followed by a hash.
order_id() {
  if [ "$1" = hashed ]; then echo "md5('o' || g)::uuid"
  else echo "(lpad(to_hex(g), 12, '0') || '7' || substr(md5('o' || g), 1, 19))::uuid"; fi
}
line_id() {
  if [ "$1" = hashed ]; then echo "md5('l' || g || '-' || l)::uuid"
  else echo "(lpad(to_hex(g), 12, '0') || '7' || substr(md5('l' || g || '-' || l), 1, 19))::uuid"; fi
}

batch_sql() { # way batch
  local way=$1 b=$2 oid lid
  oid=$(order_id "$way")
  lid=$(line_id "$way")
  local orders="SELECT $oid AS _id, md5('m' || g)::uuid AS _message_id, 'O-' || g AS order_key,
       'C-' || (g % 1000) AS customer_key, g * 1.5 AS total_price,
       date '2020-01-01' + (g % 1000) AS order_date, 'comment ' || g AS comment
FROM generate_series($b * 500, $b * 500 + 499) g"
  local upsert="ON CONFLICT (order_key) DO UPDATE SET _message_id = EXCLUDED._message_id,
    total_price = EXCLUDED.total_price, _ingested_at = now()"
  echo "BEGIN;"
  if [ "$way" = hashed ]; then
    echo "INSERT INTO orders (_id, _message_id, order_key, customer_key, total_price, order_date, comment)
$orders ORDER BY 1 $upsert;"
  else
    echo "WITH proposed AS ($orders),
written AS (INSERT INTO orders (_id, _message_id, order_key, customer_key, total_price, order_date, comment)
  SELECT * FROM proposed ORDER BY 3 $upsert RETURNING _id, order_key)
SELECT count(*) AS kept FROM proposed JOIN written ON written.order_key = proposed.order_key
WHERE written._id <> proposed._id;"
  fi
  cat <<SQL
DELETE FROM order_line_items WHERE _parent_id = ANY(ARRAY(
    SELECT $oid FROM generate_series($b * 500, $b * 500 + 499) g));
INSERT INTO order_line_items (_id, _message_id, _parent_id, order_key, line_number, part_key,
    quantity, extended_price, ship_date)
SELECT $lid, md5('m' || g)::uuid, $oid, 'O-' || g, l,
       'P-' || (g * l % 5000), l, g * 0.25, date '2020-01-01' + (g % 900)
FROM generate_series($b * 500, $b * 500 + 499) g, generate_series(1, 4) l ORDER BY 4, 5
ON CONFLICT (order_key, line_number) DO UPDATE SET _message_id = EXCLUDED._message_id,
    _parent_id = EXCLUDED._parent_id, quantity = EXCLUDED.quantity, _ingested_at = now();
COMMIT;
SQL
}

# The batches first..last, then the backend's CPU seconds as the last line.
chunk_sql() { # way first last
  for b in $(seq "$2" "$3"); do batch_sql "$1" "$b"; done
  backend_cpu_sql
}

per_order() { # value orders → value per order, one decimal
  printf %.1f "$(echo "scale=3; $1 / $2" | bc)"
}

for way in $ways; do
  tpch_schema "REFERENCES orders (_id) ON DELETE CASCADE" | psql -d "$db" -q 2>/dev/null
  psql -d "$db" -qc CHECKPOINT
  declare -a figures=()
  first=1
  while [ "$first" -le "$batches" ]; do
    last=$((first + chunk - 1))
    [ "$last" -gt "$batches" ] && last=$batches
    orders=$(((last - first + 1) * 500))
    chunk_sql "$way" "$first" "$last" >"$work/chunk.sql"
    wal_start=$(psql -d "$db" -Atc "SELECT pg_current_wal_insert_lsn()")
    started=$(date +%s.%N)
    cpu=$(psql -d "$db" -q -v ON_ERROR_STOP=1 -f "$work/chunk.sql" | tail -1)
    ended=$(date +%s.%N)
    wal=$(psql -d "$db" -Atc "SELECT pg_current_wal_insert_lsn() - '$wal_start'::pg_lsn")
    size=$(psql -d "$db" -Atc "SELECT pg_database_size(current_database()) / 1048576")
    wall_us=$(per_order "($ended - $started) * 1000000" "$orders")
    cpu_us=$(per_order "$cpu * 1000000" "$orders")
    wal_b=$((wal / orders))
    figures+=("$wall_us")
    echo "$way: $((last * 500)) orders, ${size} MiB: ${wall_us} µs per order," \
      "backend CPU ${cpu_us} µs, WAL ${wal_b} B"
    first=$((last + 1))
  done
  rows=$(psql -d "$db" -Atc "SELECT (SELECT count(*) FROM orders) || ' ' || (SELECT count(*) FROM order_line_items)")
  if [ "$rows" != "$((batches * 500)) $((batches * 2000))" ]; then
    echo "$way: the batches wrote $rows rows, not $((batches * 500)) orders and $((batches * 2000)) line items" >&2
    exit 1
  fi
  echo "$way: first chunk ${figures[0]} µs per order, last ${figures[-1]} µs"
  unset figures
done
