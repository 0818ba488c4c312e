#!/usr/bin/env bash
# Benchmark: build a fingerprint bundle for a 460,177-resident register (Amagasaki's size) and
# open it again. Prints build seconds, bundle bytes per resident, load seconds and peak memory.
#
#   bench/build.sh [RESIDENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/leakwatch-target}"
n="${1:-460177}"
cargo build --release --locked --quiet
bin="$CARGO_TARGET_DIR/release/leakwatch"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$bin" demo-data --residents "$n" --seed 1 --out "$work/reg" 2>/dev/null
"$bin" keygen --out "$work/secret.key" 2>/dev/null
csv_bytes=$(stat -c %s "$work/reg/residents.csv")

measure() { /usr/bin/time -f "%e %M" -o "$work/time" "$@"; read -r secs kb < "$work/time"; }

echo "register: $n residents, $csv_bytes bytes of CSV"
for run in 1 2 3; do
  measure "$bin" fingerprint build --records "$work/reg/residents.csv" --schema "$work/reg/schema.toml" \
    --key-file "$work/secret.key" --out "$work/r.lwfp" --json > "$work/build.json" 2>/dev/null
  bytes=$(stat -c %s "$work/r.lwfp")
  echo "build run $run: ${secs} s wall, peak RSS $((kb / 1024)) MiB, bundle $bytes bytes = $(( bytes / n )) bytes/resident"
done
for run in 1 2 3; do
  measure "$bin" fingerprint verify "$work/r.lwfp" --key-file "$work/secret.key" > "$work/verify.json"
  load=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(f\"{d['load_seconds']:.3f} s load, {d['heap_bytes']/2**20:.1f} MiB bundle heap\")" "$work/verify.json")
  echo "open run $run: $load, process peak RSS $((kb / 1024)) MiB"
done
