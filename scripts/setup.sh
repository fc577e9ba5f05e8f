#!/usr/bin/env bash
# Installs what dermcam needs on Debian 12 and is not there yet (apt packages, then `npm ci`).
# Safe to run again: it only installs what is missing. Needs root or sudo for apt.
source "$(dirname "$0")/lib.sh"

APT_PACKAGES=(
  cmake make g++ pkg-config       # native build
  googletest libgtest-dev         # native unit tests
  libbenchmark-dev                # native benchmarks
  clang libclang-rt-14-dev        # libFuzzer harnesses (scripts/fuzz.sh)
  clang-format clang-tidy         # the C++ style and lint checks (.clang-format, .clang-tidy; scripts/test.sh)
  emscripten                      # the WebAssembly build (Debian's 3.1.6)
  libstb-dev                      # stb_image / stb_image_write
  chromium                        # browser end-to-end tests
  poppler-utils                   # the printed report's PDF: its text layer and a page as PNG (tests/e2e/phone.browser.test.mjs)
  python3-onnx                    # onnx.proto, compiled into web/prebuilt/onnx-proto.mjs
  python3-numpy python3-pil python3-skimage python3-opencv python3-matplotlib  # fixture/colormap scripts
  python3-sklearn                 # KPCA-CAM reference maps (scripts/fixtures/make-cam-references.py)
  python3-torch python3-torchvision  # a clinic's classifier, trained and exported (tests/e2e/torch-pack.browser.test.mjs)
)

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)

if ((${#missing[@]})); then
  log "installing apt packages: ${missing[*]}"
  SUDO=""
  [[ "$(id -u)" == 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

cd "$ROOT"
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  log "npm ci"
  npm ci --no-audit --no-fund --ignore-scripts
fi
