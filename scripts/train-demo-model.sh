#!/usr/bin/env bash
# Regenerates models/demo/ from nothing: generated data -> training (about 40 minutes on 2 cores) -> ONNX ->
# int8 weight variant -> explain graphs -> evaluation report -> photo gate and calibration (fitted, then measured
# on unseen photos). Deterministic given the same torch build.
#   scripts/train-demo-model.sh [--minutes 38]
source "$(dirname "$0")/lib.sh"
minutes=38
[[ "${1:-}" == "--minutes" ]] && minutes="$2"

"$ROOT/scripts/setup.sh"
missing=()
for package in python3-torch python3-onnx python3-opencv python3-numpy python3-sklearn python3-matplotlib; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  SUDO=""; [[ "$(id -u)" == 0 ]] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
"$ROOT/scripts/build.sh" web

work="$ROOT/build/demo"
out="$ROOT/models/demo"
mkdir -p "$work" "$out"
log "training (up to $minutes minutes)"
/usr/bin/python3 "$ROOT/scripts/demo/train.py" "$work" --minutes "$minutes" | tee "$work/train.log"
log "int8 weight variant"
/usr/bin/python3 "$ROOT/scripts/demo/quantize.py" "$work/model-fp32.onnx" "$work/model-int8.onnx"
log "explain graphs"
node "$ROOT/scripts/dermcam.mjs" prepare "$work/model-fp32.onnx" "$out/model.onnx" --classes 3
node "$ROOT/scripts/dermcam.mjs" prepare "$work/model-int8.onnx" "$out/model-int8.onnx" --classes 3
log "evaluation"
node "$ROOT/scripts/demo/evaluate.mjs" "$work" "$out"
log "photo gate and calibration"
/usr/bin/python3 "$ROOT/scripts/demo/gate_images.py" "$work/gate"
node "$ROOT/scripts/dermcam.mjs" fit-gate --model "$out" --images "$work/gate/fit"
node "$ROOT/scripts/demo/evaluate_gate.mjs" "$out" "$work/gate"
log "models/demo is up to date; read models/demo/REPORT.md"
