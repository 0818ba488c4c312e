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
# Not under a mktemp -d (mode 0700): the cluster's owner is not root.
export LEAKWATCH_POSTGRES_STATE="${TMPDIR:-/tmp}/leakwatch-postgres-$$"
export LEAKWATCH_KAFKA_STATE="$(mktemp -d)"
export LEAKWATCH_TOR_STATE="$(mktemp -d)"
trap 'scripts/postgres.sh stop; scripts/tor-net.sh stop; scripts/kafka.sh stop; rm -rf "$log" "$LEAKWATCH_KAFKA_STATE" "$LEAKWATCH_TOR_STATE"' EXIT
# Tor: scripts/tor-net.sh installs Debian's tor unless tor and tor-gencert are there, then starts
# ONE private Tor network on loopback (authorities, relays, an onion service) for every onion
# test, in the background: its ~40 s bootstrap overlaps the build. The tests wait for
# LEAKWATCH_TOR_NET (written when the onion service answers) and print every node's log on failure.
scripts/tor-net.sh background
export LEAKWATCH_TOR_NET="$LEAKWATCH_TOR_STATE/net.json"
# The dashboard's browser test: Debian's chromium + chromium-driver, installed unless present;
# LEAKWATCH_REQUIRE_BROWSER makes that test fail rather than skip if they are missing.
scripts/browser.sh install
export LEAKWATCH_REQUIRE_BROWSER=1
LEAKWATCH_KAFKA="$(scripts/kafka.sh start)"
export LEAKWATCH_KAFKA
echo "Kafka-protocol broker (tansu) for the tests at $LEAKWATCH_KAFKA"
# PostgreSQL: scripts/postgres.sh installs Debian's postgresql unless initdb and pg_ctl are
# there, and starts ONE throwaway server on a free loopback port; the alert store's suite
# (alerts/tests/store_suite.rs) and the end-to-end store test run against it (each test in a
# schema of its own).
LEAKWATCH_POSTGRES="$(scripts/postgres.sh start)"
export LEAKWATCH_POSTGRES
echo "PostgreSQL for the tests at $LEAKWATCH_POSTGRES"
status=0
cargo test --workspace --locked --no-fail-fast 2>&1 | tee "$log" || status=$?
# deploy/k8s against the real Kubernetes schemas: kubernetes-validate (PyPI), installed once into
# the build directory by scripts/k8s-check.sh, offline after that.
scripts/k8s-check.sh || status=1
# One closing line for the whole run (cargo prints one per test binary, the last often empty).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
