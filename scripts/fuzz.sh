#!/usr/bin/env bash
# Builds every fuzz target in fuzz/ (one per decoder of remote input) and runs each for a
# while from its seeds in fuzz/corpus/<target>/. Fails on any crash; libFuzzer leaves the input
# in fuzz/artifacts/<target>/. See DEVELOPERS.md ("Fuzzing").
# Usage: scripts/fuzz.sh [seconds-per-target, default 10] [target ...]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_rust
ensure_cargo_fuzz

secs="${1:-10}"
shift || true
# cargo-fuzz hands rustc nightly-only flags (sanitizer coverage, -Z); a stable toolchain takes
# them with RUSTC_BOOTSTRAP=1, so no nightly is needed.
export RUSTC_BOOTSTRAP=1
# The instrumented build is kept outside the clone, once per machine: most of it is the
# dependencies, which a fresh clone (as CI makes) then need not build again.
export CARGO_TARGET_DIR="${KONTOR_FUZZ_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kontor/fuzz-target}"
# No sanitizer: the code under test is safe Rust, and libFuzzer's coverage works without ASan,
# which slows every run. 16 codegen units instead of cargo-fuzz's one: see fuzz/Cargo.toml.
build=(--sanitizer none --codegen-units 16)
# More libFuzzer flags for every target, e.g. KONTOR_FUZZ_ARGS="-max_len=1000000".
read -r -a extra <<<"${KONTOR_FUZZ_ARGS:-}"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cd fuzz && cargo fuzz list)
fi

cd fuzz
logs="$(mktemp -d)"
start=$SECONDS
if ! cargo fuzz build "${build[@]}" >"$logs/build.log" 2>&1; then
  grep -Ev '^\s+(Compiling|Downloaded)|^\s+[0-9]+: |^\s+at ' "$logs/build.log" | head -60 >&2
  echo "the fuzz targets do not build" >&2
  exit 1
fi
echo "built ${#targets[@]} fuzz targets in $((SECONDS - start)) s"

failed=()
bin="$CARGO_TARGET_DIR/$(rustc -vV | sed -n 's/^host: //p')/release"
for t in "${targets[@]}"; do
  # New inputs go to a scratch folder; the committed seeds are only read. Crashes, timeouts
  # (10 s for one input) and more than 2 GiB of memory fail the run.
  work="$logs/$t-corpus"
  mkdir -p "$work" "artifacts/$t"
  if "$bin/$t" "$work" "corpus/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="artifacts/$t/" "${extra[@]}" >"$logs/$t.log" 2>&1; then
    echo "$t: $(grep -Eo 'Done [0-9]+ runs' "$logs/$t.log" | tail -1 | cut -d' ' -f2) runs, no crash"
  else
    tail -40 "$logs/$t.log" >&2
    failed+=("$t")
  fi
done
rm -rf "$logs"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing found crashes in: ${failed[*]} (inputs in fuzz/artifacts/; see DEVELOPERS.md)" >&2
  exit 1
fi
