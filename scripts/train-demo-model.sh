#!/usr/bin/env bash
# Regenerates models/demo/ from nothing: generated data -> training (about 40 minutes on 2 cores) -> ONNX ->
# int8 weight variant -> explain graphs -> evaluation report -> photo gate and calibration (fitted, then measured
# on unseen photos). Deterministic given the same torch build.
#   scripts/train-demo-model.sh [--minutes 38]
#   scripts/train-demo-model.sh --gate-only   keeps the trained weights of models/demo: rebuilds the explain graphs
#                                             from them, refits and remeasures the photo gate and calibration
#   scripts/train-demo-model.sh --quality-only  keeps the weights and the gate's checks, calibration and prediction
#                                             sets: refits the quality thresholds alone and remeasures the gate
#   scripts/train-demo-model.sh --study-only  only re-runs the explanation methods study (REPORT.md, ~10 minutes)
source "$(dirname "$0")/lib.sh"
minutes=38
gate_only=0
study_only=0
quality_only=0
[[ "${1:-}" == "--minutes" ]] && minutes="$2"
[[ "${1:-}" == "--gate-only" ]] && gate_only=1
[[ "${1:-}" == "--study-only" ]] && study_only=1
[[ "${1:-}" == "--quality-only" ]] && quality_only=1

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
study() {
  log "explanation methods compared"
  rm -rf "$work/study"
  /usr/bin/python3 "$ROOT/scripts/demo/study_images.py" "$work/study" 60
  node "$ROOT/scripts/demo/evaluate_methods.mjs" "$out" "$work/study" 8
}
if ((study_only)); then
  study
  exit 0
fi
if ((quality_only)); then
  log "photo quality thresholds (the gate's checks, calibration and prediction sets kept)"
  rm -rf "$work/gate"
  /usr/bin/python3 "$ROOT/scripts/demo/gate_images.py" "$work/gate"
  node "$ROOT/scripts/dermcam.mjs" fit-gate --model "$out" --images "$work/gate/fit" --fit-quality --quality-only --skin-types "$work/gate/fit-skin-types.csv"
  node "$ROOT/scripts/demo/evaluate_gate.mjs" "$out" "$work/gate"
  log "models/demo is up to date; read models/demo/REPORT.md"
  exit 0
fi
if ((gate_only)); then
  log "the plain classifiers inside models/demo"
  for variant in fp32:model.onnx int8:model-int8.onnx; do
    node --input-type=module -e "
      import { readFileSync, writeFileSync } from 'node:fs';
      import { stripExplainGraph } from '$ROOT/web/js/onnx/prepared.mjs';
      writeFileSync(process.argv[2], stripExplainGraph(new Uint8Array(readFileSync(process.argv[1]))));
    " "$out/${variant#*:}" "$work/model-${variant%%:*}.onnx"
  done
else
  log "training (up to $minutes minutes)"
  /usr/bin/python3 "$ROOT/scripts/demo/train.py" "$work" --minutes "$minutes" | tee "$work/train.log"
  log "int8 weight variant"
  /usr/bin/python3 "$ROOT/scripts/demo/quantize.py" "$work/model-fp32.onnx" "$work/model-int8.onnx"
fi
log "explain graphs"
# The gate's discriminator reads the channel means of these layers: the stem, the end of each resolution and the
# target layer (texture early, content late).
gate_layers=()
for layer in features.2/Clip features.3/Add features.5/Add features.7/Add features.10/Add features.14/Clip; do
  gate_layers+=(--gate-layer "/features/${layer}_output_0")
done
node "$ROOT/scripts/dermcam.mjs" prepare "$work/model-fp32.onnx" "$out/model.onnx" --classes 3 "${gate_layers[@]}"
node "$ROOT/scripts/dermcam.mjs" prepare "$work/model-int8.onnx" "$out/model-int8.onnx" --classes 3 "${gate_layers[@]}"
if ((!gate_only)); then
  log "evaluation"
  node "$ROOT/scripts/demo/evaluate.mjs" "$work" "$out"
fi
log "photo gate, calibration and prediction sets"
rm -rf "$work/gate"
/usr/bin/python3 "$ROOT/scripts/demo/gate_images.py" "$work/gate"
node "$ROOT/scripts/dermcam.mjs" fit-gate --model "$out" --images "$work/gate/fit" --negatives "$work/gate/tune" --fit-quality --skin-types "$work/gate/fit-skin-types.csv"
node "$ROOT/scripts/demo/evaluate_gate.mjs" "$out" "$work/gate"
node "$ROOT/scripts/demo/evaluate_map_check.mjs" "$out" "$work/gate/test/lesions"
node "$ROOT/scripts/demo/evaluate_parity.mjs" "$out"
study
log "models/demo is up to date; read models/demo/REPORT.md"
