#!/usr/bin/env bash
# Builds dermcam. Usage: scripts/build.sh [wasm|native|all]   (default: all)
#   wasm:   build/wasm   -> web/generated/dermcam-core.{mjs,wasm}   (what the app serves)
#   native: build/native -> libdermcam_core.a, tests, tools
source "$(dirname "$0")/lib.sh"
what="${1:-all}"

if [[ "$what" == native || "$what" == all ]]; then
  log "native build"
  cmake -S "$ROOT" -B "$BUILD_NATIVE" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD_NATIVE" -j "$JOBS"
fi
if [[ "$what" == wasm || "$what" == all ]]; then
  log "WebAssembly build"
  emcmake cmake -S "$ROOT" -B "$BUILD_WASM" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD_WASM" -j "$JOBS"
fi
