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

cargo test --workspace --locked
