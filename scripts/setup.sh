#!/usr/bin/env bash
# Create .venv in the repo root and install qa into it (idempotent).
#   bash scripts/setup.sh          # the app and the CLI
#   bash scripts/setup.sh --test   # plus the test tools and a headless Chromium
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3

if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv with $($python --version)"
    "$python" -m venv .venv
fi
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }

# torch first, pinned: this version is a CPU wheel; a bare "torch" would pull a CUDA build of several GB.
.venv/bin/python -c "import torch" 2>/dev/null || { echo "== installing torch 2.13.0 (CPU)"; pip install torch==2.13.0; }

extras=""
[ "${1:-}" = "--test" ] && extras="[test]"
stamp=".venv/.installed$extras"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "== installing qa$extras and its dependencies"
    pip install -e ".$extras"
    touch "$stamp"
fi

if [ "${1:-}" = "--test" ] && ! command -v chromium >/dev/null; then
    echo "== installing Debian's chromium for the browser test"
    if [ "$(id -u)" = 0 ]; then apt_get="apt-get"; else apt_get="sudo apt-get"; fi
    # fonts-noto-cjk: without it Chinese renders as empty boxes in screenshots
    $apt_get update -qq && DEBIAN_FRONTEND=noninteractive $apt_get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
echo "== .venv ready"
