"""Running an exported program (core.files.get_code) as a student does: in its own Python process, in a folder that
holds only what the download ships; reading what it prints; checking it with the project's ruff settings."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

RUFF = Path(sys.executable).parent / "ruff"
REPO = Path(__file__).resolve().parents[2]


def run(script: str, folder: Path, name: str) -> str:
    """Run ``script`` as ``python <name>`` in ``folder``; its standard output (the test fails with its errors)."""
    (folder / name).write_text(script, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, name],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=240,
        env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def losses(out: str) -> dict[int, float]:
    """{step: loss} of the program's ``step <n> loss <x>`` lines."""
    return {int(m[1]): float(m[2]) for m in re.finditer(r"^step (\d+) loss (\S+)$", out, re.M)}


def ruff_clean(script: str, folder: Path) -> None:
    """ruff check (the project's settings) passes on ``script``."""
    path = folder / "exported.py"
    path.write_text(script, encoding="utf-8")
    done = subprocess.run(
        [str(RUFF), "check", "--no-cache", "--config", str(REPO / "pyproject.toml"), str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def settings_of(program) -> dict:
    """The settings block's constants (``NAME = literal``) of a core.files.get_code.program.Program, read with ast."""
    import ast

    out = {}
    for node in ast.parse(program.blocks[0].code).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) and node.targets[0].id.isupper():
            out[node.targets[0].id] = ast.literal_eval(node.value)
    return out
