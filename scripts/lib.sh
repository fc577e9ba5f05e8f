# Shared by the scripts in this folder (sourced, not run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_NATIVE="$ROOT/build/native"
BUILD_WASM="$ROOT/build/wasm"
JOBS="$(nproc 2>/dev/null || echo 2)"
# Debian's Emscripten links with acorn from Debian's Node modules.
export NODE_PATH="${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs"
log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
