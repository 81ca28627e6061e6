#!/usr/bin/env bash
# Set up (first time only) and run every test: the linter (ruff), core (pytest), pages (AppTest) and the
# real-browser suite (Playwright driving Debian's Chromium). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements-dev.txt
scripts/system_packages.sh chromium fonts-dejavu-core fonts-noto-color-emoji haproxy
/usr/bin/chromium --version
mkdir -p test-artifacts/screenshots
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
