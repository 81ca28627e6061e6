#!/usr/bin/env bash
# Set up (first time only) and start the app on http://localhost:8501
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements.txt
exec .venv/bin/python -m streamlit run app.py "$@"
