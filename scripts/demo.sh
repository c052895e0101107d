#!/usr/bin/env bash
# The demo: generate examples/tpch, build it, run its worker and API against the local NATS and
# PostgreSQL, post a few thousand generated orders and wait until every one is persisted.
# Options are passed to the driver (e.g. `scripts/demo.sh --orders 20000 --concurrency 64`).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh

out=demo-output/tpch
echo "== building nomnom"
cargo build --release --quiet -p nomnom -p nomnom-demo
echo "== nomnom check examples/tpch"
"$CARGO_TARGET_DIR/release/nomnom" check examples/tpch
echo "== nomnom generate examples/tpch --output $out"
"$CARGO_TARGET_DIR/release/nomnom" generate examples/tpch --output "$out"
echo "== building the generated project (cargo build --release in $out)"
# The workspace's lockfile and -D warnings, as the tests build generated projects: the same
# dependency builds are reused from the shared cache.
cp Cargo.lock "$out/Cargo.lock"
(cd "$out" && RUSTFLAGS="-D warnings" cargo build --release --quiet)
mkdir -p demo-output/bin
cp "$CARGO_TARGET_DIR/release/ingestion-api" "$CARGO_TARGET_DIR/release/worker" demo-output/bin/

echo "== a fresh database nomnom_demo and stream NOMNOM_DEMO"
psql -h 127.0.0.1 -U postgres -d postgres -qc 'DROP DATABASE IF EXISTS nomnom_demo WITH (FORCE)' \
  -c 'CREATE DATABASE nomnom_demo' >/dev/null
"$CARGO_TARGET_DIR/release/nomnom-demo" --bin-dir demo-output/bin --stream NOMNOM_DEMO \
  --database-url postgres://postgres@127.0.0.1:5432/nomnom_demo "$@"
