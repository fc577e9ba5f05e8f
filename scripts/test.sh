#!/usr/bin/env bash
# Builds everything and runs every test: native (CTest), JS (node --test), browser end-to-end (Chromium).
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" all

log "native tests (ctest)"
ctest --test-dir "$BUILD_NATIVE" --output-on-failure -j "$JOBS"

cd "$ROOT"
log "JS tests (node --test)"
node --test tests/js/
log "dist/ for deployment"
node scripts/build-dist.mjs
log "browser tests (Chromium)"
node --test --test-concurrency=1 tests/e2e/
log "all tests passed"
