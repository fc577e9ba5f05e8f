#!/usr/bin/env bash
# Builds dermcam and serves the app at http://127.0.0.1:8080 (PORT=... to change).
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" web
exec node "$ROOT/scripts/serve.mjs" --port "${PORT:-8080}"
