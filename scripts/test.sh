#!/usr/bin/env bash
# Builds everything and runs every test: native (CTest), JS (node --test), browser end-to-end (Chromium).
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" all

log "native tests (ctest)"
ctest --test-dir "$BUILD_NATIVE" --output-on-failure -j "$JOBS"

log "native tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S "$ROOT" -B "$ROOT/build/asan" -DCMAKE_BUILD_TYPE=Debug -DDERMCAM_SANITIZE=ON >/dev/null
cmake --build "$ROOT/build/asan" -j "$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$ROOT/build/asan" --output-on-failure -j "$JOBS"

log "fuzzing, a short run of every harness"
"$ROOT/scripts/fuzz.sh" "${DERMCAM_FUZZ_SECONDS:-20}"

cd "$ROOT"
log "lint (eslint, clang-format) and types (tsc over web/js)"
npx --no-install eslint .
find wasm tests/native tests/fuzz tests/bench \( -name '*.h' -o -name '*.cpp' \) -print0 | xargs -0 clang-format --dry-run --Werror
# The core as the native build compiles it (wasm/bindings/ is Emscripten's alone); .clang-tidy lists the checks.
find wasm -name '*.cpp' ! -path 'wasm/bindings/*' -print0 | xargs -0 -P "$JOBS" -n 4 clang-tidy -p "$BUILD_NATIVE" --quiet --warnings-as-errors='*'
npx --no-install tsc -p .
log "JS tests (node --test)"
node --test tests/js/
log "dist/ for deployment"
node scripts/build-dist.mjs
log "browser tests (Chromium)"
node --test --test-concurrency=1 tests/e2e/
log "slow tier: memory soaks (Node and the browser's worker) and the benchmark's quick run"
node --test --test-concurrency=1 tests/slow/
log "all tests passed"
