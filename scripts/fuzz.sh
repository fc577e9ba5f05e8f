#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan + UBSan) and runs each for SECONDS (default 20) from the
# committed seed corpus; the JavaScript readers' harnesses (onnx, model_json) run under scripts/fuzz-js.mjs,
# coverage-guided too. Findings are written to build/fuzz/findings/; the script fails if there are any.
#   scripts/fuzz.sh [SECONDS] [HARNESS...]      e.g. scripts/fuzz.sh 3600 cam   (see tests/fuzz/README.md)
source "$(dirname "$0")/lib.sh"
seconds="${1:-20}"
shift || true
harnesses=("${@:-decode exif preprocess cam onnx model_json}")
read -r -a harnesses <<< "${harnesses[*]}"

CXX=clang++ cmake -S "$ROOT" -B "$ROOT/build/fuzz" -DDERMCAM_FUZZ=ON -DBUILD_TESTING=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$ROOT/build/fuzz" -j "$JOBS"
findings="$ROOT/build/fuzz/findings"
mkdir -p "$findings"
status=0
for name in "${harnesses[@]}"; do
  work="$ROOT/build/fuzz/corpus/$name"   # grows across runs; the committed corpus stays read-only
  mkdir -p "$work"
  log "fuzzing $name for ${seconds}s"
  if [[ -f "$ROOT/tests/fuzz/${name}_fuzzer.mjs" ]]; then
    DERMCAM_FUZZ_DIR="$ROOT/build/fuzz" node "$ROOT/scripts/fuzz-js.mjs" "$seconds" "$name" || status=1
    continue
  fi
  if ! "$ROOT/build/fuzz/tests/fuzz/${name}_fuzzer" "$work" "$ROOT/tests/fuzz/corpus/$name" \
      -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$findings/${name}-" \
      -print_final_stats=1 2>"$findings/$name.log"; then
    status=1
    tail -n 30 "$findings/$name.log" >&2
  else
    grep -E "^Done|stat::number_of_executed_units" "$findings/$name.log" | head -n 1
  fi
done
exit "$status"
