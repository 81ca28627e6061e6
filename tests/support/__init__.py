"""What the tests share: the repository root, page drivers (apptest) and crafted inputs (inputs)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository: where app.py is
