#!/usr/bin/env bash
# Benchmark: `leakwatch scan` over a mixed corpus against a 460,177-resident bundle (one core and
# all cores; start-up; peak memory), and, in the same run, the naive peer that holds the raw data:
# ripgrep with every raw field value of the register as a literal (`rg -c -F -f raw_values.txt`).
#
#   bench/scan.sh [CORPUS_MB] [RESIDENTS]
#
# Work files stay in $BENCH_DIR (default /var/tmp/leakwatch-bench) so reruns skip the set-up.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/leakwatch-target}"
mb="${1:-240}"
n="${2:-460177}"
work="${BENCH_DIR:-/var/tmp/leakwatch-bench}"
mkdir -p "$work"
cargo build --release --locked --quiet
cargo build --release --locked --quiet -p matcher --example corpus --example lookalikes
bin="$CARGO_TARGET_DIR/release/leakwatch"
corpus_bin="$CARGO_TARGET_DIR/release/examples/corpus"
command -v rg >/dev/null || { apt-get install -y ripgrep >/dev/null 2>&1 || cargo install ripgrep --locked; }

# (Re)built when missing or unreadable by this build (a bundle of an older format version).
if [ ! -s "$work/r$n.lwfp" ] || ! "$bin" fingerprint inspect "$work/r$n.lwfp" >/dev/null 2>&1; then
  "$bin" demo-data --residents "$n" --seed 1 --out "$work/reg$n" 2>/dev/null
  [ -s "$work/secret.key" ] || "$bin" keygen --out "$work/secret.key" 2>/dev/null
  "$bin" fingerprint build --records "$work/reg$n/residents.csv" --schema "$work/reg$n/schema.toml" \
    --key-file "$work/secret.key" --out "$work/r$n.lwfp" 2>/dev/null
fi
# (Re)made when missing or older than the file names that tell each document's kind.
# Its summary line (how many look-alike people it wrote) is kept beside it.
if [ ! -f "$work/corpus$mb/000/000000-en.txt" ] || [ ! -s "$work/corpus$mb.made" ]; then
  rm -rf "$work/corpus$mb"
  "$corpus_bin" "$work/corpus$mb" "$mb" "$n" 1 | tee "$work/corpus$mb.made"
fi
lookalikes=$(sed -n 's/.* \([0-9]*\) look-alike people$/\1/p' "$work/corpus$mb.made")
if [ ! -s "$work/raw_values$n.txt" ]; then
  python3 - "$work/reg$n/residents.csv" "$work/raw_values$n.txt" <<'PY'
import csv, sys
values = set()
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = csv.reader(f)
    next(rows)
    for row in rows:
        values.update(v for v in row[1:] if v)
with open(sys.argv[2], "w", encoding="utf-8") as out:
    out.write("\n".join(sorted(values)) + "\n")
PY
fi
corpus_bytes=$(du -sb "$work/corpus$mb" | cut -f1)
docs=$(find "$work/corpus$mb" -type f | wc -l)
literals=$(wc -l < "$work/raw_values$n.txt")
echo "corpus: $docs documents, $corpus_bytes bytes; register: $n residents; peer literals: $literals"

measure() { /usr/bin/time -f "%e %M" -o "$work/time" "$@" || true; read -r secs kb < <(tail -n 1 "$work/time"); }

: > "$work/empty.txt"
for run in 1 2 3; do
  measure "$bin" scan --bundle "$work/r$n.lwfp" --key-file "$work/secret.key" --stats "$work/empty.txt" 2> "$work/stats.json" >/dev/null
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(f\"start-up (run {sys.argv[3]}): {d['load_seconds']:.3f} s to open the bundle and build the index; matcher heap {d['matcher_heap_bytes']/2**20:.1f} MiB; peak RSS {int(sys.argv[2])//1024} MiB\")" "$work/stats.json" "$kb" "$run"
done

for threads in 1 2; do
  measure "$bin" scan --bundle "$work/r$n.lwfp" --key-file "$work/secret.key" --threads "$threads" \
    --stats --min-confidence medium "$work/corpus$mb" 2> "$work/stats.json" > "$work/found.jsonl"
  python3 - "$work/stats.json" "$secs" "$kb" "$threads" "$work/found.jsonl" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
docs = sum(1 for _ in open(sys.argv[5]))
print(f"leakwatch scan, {sys.argv[4]} thread(s): {d['mb_per_second']:.0f} MB/s scanning "
      f"({d['bytes']/1e6:.0f} MB in {d['scan_seconds']:.2f} s), {float(sys.argv[2]):.2f} s wall in all, "
      f"peak RSS {int(sys.argv[3])//1024} MiB; findings high {d['findings_high']}, medium {d['findings_medium']}, "
      f"low {d['findings_low']}; {docs} documents reported")
if sys.argv[4] == "1":
    s = d["stage_seconds"]
    mb = d["bytes"] / 1e6
    print("  seconds by stage (one thread; read: the reader thread, overlapped with the scan; "
          f"the scan waited {d['read_wait_seconds']:.2f} s for it):")
    done = 0.0
    for k in ["decode", "html", "fold", "candidates", "walk", "corroborate"]:
        done += s[k]
        print(f"    {k:<12}{s[k]:6.2f} s   stages up to here alone: {mb / done:5.0f} MB/s")
    print(f"    {'read':<12}{s['read']:6.2f} s")
PY
  if [ "$threads" = 1 ]; then
    ours=$secs
    # The findings in the look-alike dumps: true collisions (a look-alike person with a
    # resident's name, or reading, and birth date) and the others.
    "$CARGO_TARGET_DIR/release/examples/lookalikes" "$work/secret.key" "$work/found.jsonl" \
      "$lookalikes" "$n" 1
  else
    ours_all=$secs
  fi
done

# Each kind of document alone, one thread (the file names say the kind; see the corpus example).
for kind in en ja html dump leak; do
  mapfile -t kind_files < <(find "$work/corpus$mb" -type f -name "*-$kind.txt" | sort)
  "$bin" scan --bundle "$work/r$n.lwfp" --key-file "$work/secret.key" --threads 1 --stats \
    --min-confidence medium "${kind_files[@]}" 2> "$work/stats.json" > /dev/null || true
  python3 - "$work/stats.json" "$kind" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
names = {"en": "English logs and code", "ja": "Japanese prose", "html": "HTML pages",
         "dump": "look-alike dumps", "leak": "leaks of residents"}
print(f"  {names[sys.argv[2]]:<22} {d['mb_per_second']:5.0f} MB/s one thread "
      f"({d['bytes']/1e6:.0f} MB in {d['scan_seconds']:.2f} s, {d['documents']} documents)")
PY
done

if [ "${SKIP_PEER:-0}" != 1 ]; then
  measure rg -c -F -f "$work/raw_values$n.txt" "$work/corpus$mb" > "$work/rg.out"
  echo "peer rg -c -F -f raw_values.txt: ${secs} s wall, peak RSS $((kb / 1024)) MiB, $(wc -l < "$work/rg.out") files with a literal"
  python3 -c "import sys; print(f'whole run: leakwatch is {float(sys.argv[3])/float(sys.argv[2]):.1f}x faster than the peer on all cores (rg uses every core too), {float(sys.argv[3])/float(sys.argv[1]):.1f}x on one thread')" "$ours" "$ours_all" "$secs"
fi
