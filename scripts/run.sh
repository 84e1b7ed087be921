#!/usr/bin/env bash
# Install what the app needs, then start it on http://localhost:8501 (extra args go to streamlit).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
exec .venv/bin/streamlit run app.py "$@"
