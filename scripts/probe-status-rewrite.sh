#!/usr/bin/env bash
# What PostgreSQL spends on a message's status row when the API has recorded it `accepted`
# before the worker marks it `persisted` (the pipeline), against the worker's upsert alone
# (the drain, where no row exists yet), on the runtime's own statement shapes: per batch of
# 500 messages, the recorder's `INSERT … ON CONFLICT DO NOTHING` and the worker's `INSERT …
# ON CONFLICT (message_id, received_at) DO UPDATE`, each in its own transaction, the worker one batch
# behind the API, on the runtime's `message_status` table. Message ids are time-ordered, as UUIDv7 ids are. Three runs per table
# fill factor, on a fresh `message_status` each:
#   accepted  the API's inserts only
#   fresh     the worker's upserts only, over no rows (the drain alone)
#   both      the two interleaved (the pipeline)
# and the figure is the CPU time of the PostgreSQL backend that ran them (from /proc, so the
# server must run on this machine): the worker's share of `both` is `both - accepted`.
#
#   scripts/probe-status-rewrite.sh [BATCHES] [ROUNDS] [FILLFACTORS]
#                                   (defaults 200 batches, 3 rounds, "100 70")
#
# PostgreSQL: PGHOST/PGPORT/PGUSER (default 127.0.0.1:5432, postgres); it creates a database
# of its own, checks after every run that each row has the status it should, and drops it.
# Prints one line per run and, per fill factor, the mean of each and the share of updates
# that stayed on their page (heap-only tuples).
set -euo pipefail
batches=${1:-200}
rounds=${2:-3}
fillfactors=${3:-100 70}
. "$(dirname "$0")/lib/probe.sh"
probe_scratch nomnom_status_probe

# The runtime's own table, as the worker creates it, with the fill factor set on the
# partition the probe's rows go to (a partitioned table holds no rows of its own).
ddl="$(dirname "$0")/../crates/nomnom-runtime/src/status/message_status.sql"
schema() { # $1: fill factor
  echo "SET client_min_messages = warning;"
  echo "DROP TABLE IF EXISTS message_status;"
  cat "$ddl"
  echo "ALTER TABLE message_status_default SET (fillfactor = $1);"
}

accepted() { # $1: batch
  cat <<SQL
INSERT INTO message_status (message_id, status, entity_type, received_at)
SELECT lpad(to_hex(g), 32, '0')::uuid, 'accepted', 'Order', timestamptz '2026-01-01' + g * interval '1 ms'
FROM generate_series($1 * 500, $1 * 500 + 499) g
ON CONFLICT (message_id, received_at) DO NOTHING;
SQL
}

persisted() { # $1: batch
  cat <<SQL
INSERT INTO message_status AS s (message_id, status, entity_type, received_at,
    processed_at, error_message, retry_count, updated_at)
SELECT lpad(to_hex(g), 32, '0')::uuid, 'persisted', 'Order', timestamptz '2026-01-01' + g * interval '1 ms',
    now(), NULL, 0, now()
FROM generate_series($1 * 500, $1 * 500 + 499) g
ON CONFLICT (message_id, received_at) DO UPDATE SET status = EXCLUDED.status,
    processed_at = EXCLUDED.processed_at, error_message = EXCLUDED.error_message,
    retry_count = EXCLUDED.retry_count, updated_at = now();
SQL
}

for b in $(seq 1 "$batches"); do accepted "$b"; done >"$work/accepted.sql"
for b in $(seq 1 "$batches"); do persisted "$b"; done >"$work/fresh.sql"
for b in $(seq 1 "$batches"); do
  accepted "$b"
  [ "$b" -gt 1 ] && persisted $((b - 1))
done >"$work/both.sql"
persisted "$batches" >>"$work/both.sql"
# Its table statistics reported at once (at the end of the next statement), for the count
# of heap-only updates read after the run.
printf 'SELECT pg_stat_force_next_flush();\nSELECT 1;\n' >>"$work/both.sql"
for variant in accepted fresh both; do backend_cpu_sql >>"$work/$variant.sql"; done

# The status each run leaves on every row.
declare -A expected=([accepted]=accepted [fresh]=persisted [both]=persisted)
messages=$((batches * 500))
declare -A total
per_message() { printf %.1f "$(echo "scale=3; $1 * 1000000 / $2" | bc)"; }
for ff in $fillfactors; do
  for variant in accepted fresh both; do total[$ff,$variant]=0; done
  total[$ff,hot]=0
  total[$ff,updates]=0
done
for round in $(seq 1 "$rounds"); do
  for ff in $fillfactors; do
    for variant in accepted fresh both; do
      schema "$ff" | psql -d "$db" -q
      psql -d "$db" -qc CHECKPOINT
      cpu=$(psql -d "$db" -q -v ON_ERROR_STOP=1 -f "$work/$variant.sql" | tail -1)
      rows=$(psql -d "$db" -Atc \
        "SELECT count(*) FILTER (WHERE status = '${expected[$variant]}') || ' ' || count(*) FROM message_status")
      if [ "$rows" != "$messages $messages" ]; then
        echo "fill factor $ff, $variant: $rows rows of status ${expected[$variant]} and in all," \
          "not $messages" >&2
        exit 1
      fi
      if [ "$variant" = both ]; then
        # What the upserts did to existing rows: all updates, and those that stayed on
        # their page.
        read -r updates hot < <(psql -d "$db" -At -F' ' -c \
          "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'message_status_default'")
        total[$ff,updates]=$((total[$ff,updates] + updates))
        total[$ff,hot]=$((total[$ff,hot] + hot))
      fi
      total[$ff,$variant]=$(echo "${total[$ff,$variant]} + $cpu" | bc)
      echo "round $round, fill factor $ff, $variant: backend CPU $cpu s for $messages" \
        "messages ($(per_message "$cpu" "$messages") µs per message)"
    done
  done
done
n=$((messages * rounds))
for ff in $fillfactors; do
  worker=$(echo "${total[$ff,both]} - ${total[$ff,accepted]}" | bc)
  hot_share="–"
  if [ "${total[$ff,updates]}" -gt 0 ]; then
    hot_share="$((100 * total[$ff,hot] / total[$ff,updates]))%"
  fi
  echo "fill factor $ff: accepted insert $(per_message "${total[$ff,accepted]}" $n) µs," \
    "persisted upsert over no row $(per_message "${total[$ff,fresh]}" $n) µs," \
    "over the accepted row $(per_message "$worker" $n) µs per message" \
    "(mean of $rounds rounds; $hot_share of those updates heap-only)"
done
