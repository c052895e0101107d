#!/usr/bin/env bash
# The demo: generate examples/tpch, build it, run its worker and API against the local NATS and
# PostgreSQL, post a few thousand generated orders and wait until every one is persisted. From
# a terminal, the API and the worker then keep running, with commands to try against them,
# until Ctrl-C; without one (stdin not a terminal, as in CI) or with `--exit-when-done`, they
# stop once the report is printed. Ctrl-C at any point stops everything the demo started.
# Options are passed to the driver (e.g. `scripts/demo.sh --orders 20000 --concurrency 64`).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
# Warnings denied, as the tests build: the dependencies compile once in the shared cache.
export RUSTFLAGS="-D warnings"

out=demo-output/tpch
if [ -x "$CARGO_TARGET_DIR/release/nomnom-demo" ] && [ -x "$CARGO_TARGET_DIR/release/worker" ]; then
  echo "== building (release, cached in $CARGO_TARGET_DIR: seconds unless the sources changed)"
else
  echo "== building (release) for the first time in $CARGO_TARGET_DIR: about 260 crates in all,"
  echo "   some 8 minutes on a two-core machine; later runs reuse them and take seconds"
fi
echo "== cargo build --release -p nomnom -p nomnom-demo (the CLI and the demo driver)"
cargo build --release -p nomnom -p nomnom-demo
echo "== nomnom check examples/tpch"
"$CARGO_TARGET_DIR/release/nomnom" check examples/tpch
# The demo's database is created anew below on every run, so its folder's migrations are
# regenerated too (generate refuses to change a migration a lasting database may have applied).
rm -rf "$out/migrations"
echo "== nomnom generate examples/tpch --output $out"
"$CARGO_TARGET_DIR/release/nomnom" generate examples/tpch --output "$out"
echo "== cargo build --release in $out (the generated ingestion-api and worker)"
# The workspace's lockfile: the same dependency versions, reused from the shared cache.
cp Cargo.lock "$out/Cargo.lock"
(cd "$out" && cargo build --release)
mkdir -p demo-output/bin
cp "$CARGO_TARGET_DIR/release/ingestion-api" "$CARGO_TARGET_DIR/release/worker" demo-output/bin/

echo "== a fresh database nomnom_demo and stream NOMNOM_DEMO"
psql -h 127.0.0.1 -U postgres -d postgres -qc 'DROP DATABASE IF EXISTS nomnom_demo WITH (FORCE)' \
  -c 'CREATE DATABASE nomnom_demo' >/dev/null
# exec: the driver receives Ctrl-C itself and stops the API and the worker it started.
exec "$CARGO_TARGET_DIR/release/nomnom-demo" --bin-dir demo-output/bin --project-dir "$out" --stream NOMNOM_DEMO \
  --database-url postgres://postgres@127.0.0.1:5432/nomnom_demo "$@"
