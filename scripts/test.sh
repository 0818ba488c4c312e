#!/usr/bin/env bash
# The README's test command: installs and starts what the tests need, then runs every test.
#
# Kafka: scripts/kafka.sh installs tansu (a Kafka-protocol broker from crates.io) unless it is
# already installed, and starts ONE broker on a free loopback port for every Kafka test; its
# address is passed in LEAKWATCH_KAFKA. As the PostgreSQL, browser and Tor tests land, their
# set-up goes here too (installed from the package registries, skipped when already present), so
# a newcomer still needs only this one command.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/leakwatch-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

log="$(mktemp)"
export LEAKWATCH_KAFKA_STATE="$(mktemp -d)"
trap 'scripts/kafka.sh stop; rm -rf "$log" "$LEAKWATCH_KAFKA_STATE"' EXIT
LEAKWATCH_KAFKA="$(scripts/kafka.sh start)"
export LEAKWATCH_KAFKA
echo "Kafka-protocol broker (tansu) for the tests at $LEAKWATCH_KAFKA"
status=0
cargo test --workspace --locked --no-fail-fast 2>&1 | tee "$log" || status=$?
# One closing line for the whole run (cargo prints one per test binary, the last often empty).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
