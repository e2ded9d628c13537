#!/usr/bin/env bash
# Installs what the test suite needs, idempotently, outside the clone:
#   Python venv with moto[server] (AWS emulator), boto3 (seeding), openpyxl (reading the SoA),
#   Microsoft's SARIF Multitool (npm), sarif-fmt (cargo), Debian's chromium (HTML report tests).
# Prints the tools folder; tests find it through ANNEXA_TEST_TOOLS.
set -euo pipefail
TOOLS="${ANNEXA_TEST_TOOLS:-$HOME/.cache/annexa-test-tools}"
mkdir -p "$TOOLS"

log() { echo "test-env: $*" >&2; }

# Python: moto server, boto3, openpyxl.
PY_PKGS=("moto[server]==5.2.5" "boto3" "openpyxl")
if [ ! -x "$TOOLS/venv/bin/moto_server" ] || [ ! -f "$TOOLS/venv/.annexa-ok-1" ]; then
  log "creating Python venv with ${PY_PKGS[*]}"
  python3 -m venv "$TOOLS/venv"
  "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check "${PY_PKGS[@]}"
  touch "$TOOLS/venv/.annexa-ok-1"
fi

# npm: SARIF Multitool (runs without .NET: self-contained linux build).
if [ ! -x "$TOOLS/npm/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool" ]; then
  log "installing @microsoft/sarif-multitool"
  mkdir -p "$TOOLS/npm"
  (cd "$TOOLS/npm" && npm install --silent --no-audit --no-fund @microsoft/sarif-multitool >/dev/null)
fi

# Debian: chromium for the HTML report tests, openssl for the certificate-credential tests.
if ! command -v chromium >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1; then
  log "installing chromium and openssl (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq chromium chromium-driver openssl >/dev/null
fi

# cargo: sarif-fmt, the terminal viewer for SARIF.
if [ ! -x "$TOOLS/cargo/bin/sarif-fmt" ]; then
  log "installing sarif-fmt (cargo)"
  cargo install --quiet --locked --root "$TOOLS/cargo" sarif-fmt
fi

echo "$TOOLS"
