#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time (CI: FUZZ_SECONDS, default 20 s per
# target), after replaying its committed corpus (fuzz/corpus/TARGET: seeds and every input that
# once crashed — the regression tests). Installs cargo-fuzz and the nightly toolchain it needs
# unless they are there. A crash fails the run; its input is in fuzz/artifacts/TARGET/.
#
#   scripts/fuzz.sh [TARGET...]          default: every target (`cargo fuzz list`)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-20}"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-/var/tmp/leakwatch-fuzz-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi
if ! command -v cargo-fuzz >/dev/null; then
    cargo install cargo-fuzz --locked
fi

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    mapfile -t targets < <(cd fuzz && cargo +nightly fuzz list)
fi
(cd fuzz && cargo +nightly fuzz build -O --debug-assertions)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t" "$work/$t"
    echo "== fuzz $t: ${seconds}s (corpus fuzz/corpus/$t)"
    # New inputs go to a scratch corpus; the committed one is only read.
    status=0
    (cd fuzz && cargo +nightly fuzz run -O --debug-assertions "$t" "$work/$t" "corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=20 \
        -max_len=262144 -print_final_stats=1) >"$work/$t.log" 2>&1 || status=$?
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|INFO: Done)' "$work/$t.log" || true
    if [[ $status -ne 0 ]]; then
        tail -n 60 "$work/$t.log" >&2
        echo "fuzz $t: failed (exit $status); a crashing input is in fuzz/artifacts/$t/:" \
            "add it to fuzz/corpus/$t and a regression test" >&2
        exit 1
    fi
done
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no crash"
