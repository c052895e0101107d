#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints with warnings denied, then every test
# tier (unit, golden snapshots, compiled generated projects, end to end against the real NATS
# and PostgreSQL, fault and cluster tests) and the benchmark's smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup-tests.sh
# Warnings are errors everywhere, and with the same flags as the generated projects' builds
# the dependencies they share compile once in the shared cache.
export RUSTFLAGS="-D warnings"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy (warnings denied)"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test --no-run (builds every test binary; a cold build takes several minutes)"
artifacts=$(mktemp)
trap 'rm -f "$artifacts"' EXIT
cargo test --workspace --no-run --message-format=json-render-diagnostics >"$artifacts"
echo "== cargo test (each test binary named as it starts; durations and failures at the end)"
# --no-fail-fast runs every binary even after a failure; cargo's status (pipefail) is the
# script's, and the filter lists every binary that did not pass.
cargo test --workspace --no-fail-fast -- --quiet --test-threads "${NOMNOM_TEST_THREADS:-4}" 2>&1 \
  | python3 scripts/lib/test-binaries.py "$artifacts"
