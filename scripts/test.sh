#!/usr/bin/env bash
# The README's test command: installs and starts what the tests need, then runs every test.
#
# Today the suite needs nothing beyond the Rust toolchain. As the Kafka, PostgreSQL, browser and
# Tor tests land, their set-up goes here (installed from the package registries, skipped when
# already present), so a newcomer still needs only this one command.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/leakwatch-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --locked 2>&1 | tee "$log" || status=$?
# One closing line for the whole run (cargo prints one per test binary, the last often empty).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
