#!/usr/bin/env bash
# What the child table's foreign key costs PostgreSQL per message, measured on the worker's own
# statement shapes: per batch of 500 orders, the upsert of the orders, the DELETE of their line
# items through `_parent_id`, and the upsert of 4 line items each, in one transaction, with
# the tpch tables' indexes (UUID `_id` keys from a hash, as the generated ids are). The same
# batches run with and without `REFERENCES orders (_id)` on `_parent_id`, alternating, and the
# figure is the CPU time of the PostgreSQL backend that ran them (from /proc, so the server
# must run on this machine). Rows are generated inside PostgreSQL, which costs the same in both.
#
#   scripts/probe-foreign-key-cost.sh [BATCHES] [ROUNDS]     (defaults 200 batches, 3 rounds)
#
# PostgreSQL: PGHOST/PGPORT/PGUSER (default 127.0.0.1:5432, postgres); it creates and drops a
# database of its own (checking after every run that all the rows are there) and drops it.
# Prints one line per run and the mean difference per order.
set -euo pipefail
batches=${1:-200}
rounds=${2:-3}
. "$(dirname "$0")/lib/probe.sh"
probe_scratch nomnom_fk_probe

for b in $(seq 1 "$batches"); do
  cat <<SQL
BEGIN;
INSERT INTO orders (_id, _message_id, order_key, customer_key, total_price, order_date, comment)
SELECT md5('o' || g)::uuid, md5('m' || g)::uuid, 'O-' || g, 'C-' || (g % 1000), g * 1.5,
       date '2020-01-01' + (g % 1000), 'comment ' || g
FROM generate_series($b * 500, $b * 500 + 499) g ORDER BY 1
ON CONFLICT (order_key) DO UPDATE SET _message_id = EXCLUDED._message_id,
    total_price = EXCLUDED.total_price, _ingested_at = now();
DELETE FROM order_line_items WHERE _parent_id = ANY(ARRAY(
    SELECT md5('o' || g)::uuid FROM generate_series($b * 500, $b * 500 + 499) g));
INSERT INTO order_line_items (_id, _message_id, _parent_id, order_key, line_number, part_key,
    quantity, extended_price, ship_date)
SELECT md5('l' || g || '-' || l)::uuid, md5('m' || g)::uuid, md5('o' || g)::uuid, 'O-' || g, l,
       'P-' || (g * l % 5000), l, g * 0.25, date '2020-01-01' + (g % 900)
FROM generate_series($b * 500, $b * 500 + 499) g, generate_series(1, 4) l ORDER BY 1
ON CONFLICT (order_key, line_number) DO UPDATE SET _message_id = EXCLUDED._message_id,
    _parent_id = EXCLUDED._parent_id, quantity = EXCLUDED.quantity, _ingested_at = now();
COMMIT;
SQL
done >"$work/batches.sql"
backend_cpu_sql >>"$work/batches.sql"

messages=$((batches * 500))
declare -A total=([with]=0 [without]=0)
for round in $(seq 1 "$rounds"); do
  for variant in with without; do
    clause=""
    [ "$variant" = with ] && clause="REFERENCES orders (_id) ON DELETE CASCADE"
    tpch_schema "$clause" | psql -d "$db" -q 2>/dev/null
    psql -d "$db" -qc CHECKPOINT
    cpu=$(psql -d "$db" -q -v ON_ERROR_STOP=1 -f "$work/batches.sql" | tail -1)
    rows=$(psql -d "$db" -Atc "SELECT (SELECT count(*) FROM orders) || ' ' || (SELECT count(*) FROM order_line_items)")
    if [ "$rows" != "$messages $((messages * 4))" ]; then
      echo "the batches wrote $rows rows, not $messages orders and $((messages * 4)) line items" >&2
      exit 1
    fi
    total[$variant]=$(echo "${total[$variant]} + $cpu" | bc)
    echo "round $round, $variant the foreign key: backend CPU $cpu s for $messages orders," \
      "$((messages * 4)) line items ($(printf %.1f "$(echo "scale=2; $cpu * 1000000 / $messages" | bc)") µs per order)"
  done
done
difference=$(echo "scale=2; (${total[with]} - ${total[without]}) * 1000000 / ($messages * $rounds)" | bc)
echo "foreign key: $(printf %.1f "$difference")" \
  "µs of PostgreSQL CPU per order of 4 line items (mean of $rounds rounds)"
