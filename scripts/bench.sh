#!/usr/bin/env bash
# Builds everything and runs the benchmark suite; prints the tables and rewrites BENCHMARKS.md.
#   scripts/bench.sh [--runs 20] [--soak 500] [--quick]
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" all
exec node "$ROOT/scripts/bench.mjs" "$@"
