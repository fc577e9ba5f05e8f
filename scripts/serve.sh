#!/usr/bin/env bash
# Builds dermcam and serves the app at http://127.0.0.1:8080 (PORT=... to change).
#   scripts/serve.sh [--model models/NAME ...]   the models the page offers (the first is the default; the demo
#                                                when none is given; DERMCAM_MODELS works too)
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" web
node "$ROOT/scripts/build-web-assets.mjs" "$@"
exec node "$ROOT/scripts/serve.mjs" --port "${PORT:-8080}" "$@"
