#!/usr/bin/env bash
# Set up .venv, then start the chat (building the index on first run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python app.py "$@"
