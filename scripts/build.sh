#!/usr/bin/env bash
# Builds dermcam. Usage: scripts/build.sh [web|native|all]   (default: all)
#   web:    build/wasm   -> web/prebuilt/dermcam-core.{mjs,wasm}, quality-ranges.mjs and onnx-proto.mjs (committed:
#           a static host needs no compiler), then web/generated/ (ONNX Runtime Web from npm, precache list)
#           (everything the app serves)
#   native: build/native -> libdermcam_core.a, tests, benchmarks, tools
source "$(dirname "$0")/lib.sh"
what="${1:-all}"

if [[ "$what" == native || "$what" == all ]]; then
  log "native build"
  # compile_commands.json: what clang-tidy reads (scripts/test.sh)
  cmake -S "$ROOT" -B "$BUILD_NATIVE" -DCMAKE_BUILD_TYPE=Release -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
  cmake --build "$BUILD_NATIVE" -j "$JOBS"
fi
if [[ "$what" == web || "$what" == all ]]; then
  log "WebAssembly build"
  emcmake cmake -S "$ROOT" -B "$BUILD_WASM" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD_WASM" -j "$JOBS"
  log "ONNX protobuf module, ONNX Runtime Web, precache list"
  node "$ROOT/scripts/build-onnx-proto.mjs"
  node "$ROOT/scripts/build-quality-ranges.mjs"
  node "$ROOT/scripts/build-web-assets.mjs"
fi
