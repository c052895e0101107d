#!/usr/bin/env bash
# The demo: generate examples/tpch, build it, run its worker and API against the local NATS and
# PostgreSQL, post a few thousand generated orders and wait until every one is persisted. From
# a terminal, the API and the worker then keep running, with commands to try against them,
# until Ctrl-C; without one (stdin not a terminal, as in CI) or with `--exit-when-done`, they
# stop once the report is printed. Ctrl-C at any point stops everything the demo started.
# `--model hl7-lab` runs examples/hl7-lab instead: generated ORU^R01 lab reports as HL7 v2,
# half posted over HTTP and half sent over MLLP (port 2575, `--mllp-port` to change it).
# `--database mariadb` (or `mysql`) generates the project for MySQL/MariaDB and runs it against
# the local MariaDB (127.0.0.1:3306, root); the default is postgresql.
# Options are passed to the driver (e.g. `scripts/demo.sh --messages 20000 --concurrency 64`).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
# Warnings denied, as the tests build: the dependencies compile once in the shared cache.
export RUSTFLAGS="-D warnings"

model=tpch
database=postgresql
previous=
for argument in "$@"; do
  if [ "$previous" = --model ]; then model=$argument; fi
  if [ "$previous" = --database ]; then database=$argument; fi
  previous=$argument
done
case "$database" in
  postgresql|mysql|mariadb) ;;
  *) echo "scripts/demo.sh: unknown database $database (postgresql, mysql or mariadb)" >&2; exit 2 ;;
esac
case "$model" in
  tpch) stream=NOMNOM_DEMO ;;
  hl7-lab) stream=NOMNOM_DEMO_HL7 ;;
  *) echo "scripts/demo.sh: unknown model $model (tpch or hl7-lab)" >&2; exit 2 ;;
esac
out=demo-output/$model
bins=demo-output/bin/$model
if [ "$database" != postgresql ]; then
  out=demo-output/$model-$database
  bins=demo-output/bin/$model-$database
fi
if [ -x "$CARGO_TARGET_DIR/release/nomnom-demo" ] && [ -x "$CARGO_TARGET_DIR/release/worker" ]; then
  echo "== building (release, cached in $CARGO_TARGET_DIR: seconds unless the sources changed)"
else
  echo "== building (release) for the first time in $CARGO_TARGET_DIR: about 260 crates in all,"
  echo "   some 8 minutes on a two-core machine; later runs reuse them and take seconds"
fi
echo "== cargo build --release -p nomnom -p nomnom-demo (the CLI and the demo driver)"
cargo build --release -p nomnom -p nomnom-demo
echo "== nomnom check examples/$model"
"$CARGO_TARGET_DIR/release/nomnom" check "examples/$model"
# The demo's database is created anew below on every run, so its folder's migrations are
# regenerated too (generate refuses to change a migration a lasting database may have applied).
rm -rf "$out/migrations"
echo "== nomnom generate examples/$model --output $out --database $database"
"$CARGO_TARGET_DIR/release/nomnom" generate "examples/$model" --output "$out" --database "$database"
echo "== cargo build --release in $out (the generated ingestion-api and worker)"
# The workspace's lockfile: the same dependency versions, reused from the shared cache.
cp Cargo.lock "$out/Cargo.lock"
(cd "$out" && cargo build --release)
mkdir -p "$bins"
cp "$CARGO_TARGET_DIR/release/ingestion-api" "$CARGO_TARGET_DIR/release/worker" "$bins/"

echo "== a fresh database nomnom_demo ($database) and stream $stream"
if [ "$database" = postgresql ]; then
  psql -h 127.0.0.1 -U postgres -d postgres -qc 'DROP DATABASE IF EXISTS nomnom_demo WITH (FORCE)' \
    -c 'CREATE DATABASE nomnom_demo' >/dev/null
  url=postgres://postgres@127.0.0.1:5432/nomnom_demo
else
  mariadb -h 127.0.0.1 -u root -e 'DROP DATABASE IF EXISTS nomnom_demo; CREATE DATABASE nomnom_demo CHARACTER SET utf8mb4 COLLATE utf8mb4_bin'
  url=mysql://root@127.0.0.1:3306/nomnom_demo
fi
# exec: the driver receives Ctrl-C itself and stops the API and the worker it started.
exec "$CARGO_TARGET_DIR/release/nomnom-demo" --bin-dir "$bins" --project-dir "$out" \
  --stream "$stream" --database-url "$url" "$@"
