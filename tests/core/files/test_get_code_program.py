"""core.files.get_code.program: a Program written as a script (the blocks' leading imports at the top, each block's
explanation as comments), as a notebook (the parameters cell first, the same file for the same program) and as a zip."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import nbformat

from core.files.get_code.program import Block, Program

PROGRAM = Program(
    title="Tiny",
    intro="Adds two numbers.",
    blocks=(
        Block("**Settings.** The numbers.", "a = 2\nb = 3"),
        Block("Imports.", "import math\nfrom collections import (\n    Counter,\n)\n\ntotal = math.fsum([a, b])"),
        Block("Print it.", "print(total, Counter('ab')['a'])"),
    ),
    stem="tiny",
    data=(("numbers.txt", b"2\n3\n"),),
    run="Run `python tiny.py`.",
)


def test_the_script_puts_imports_first_and_runs(tmp_path):
    script = PROGRAM.script()
    code_lines = [line for line in script.split('"""', 2)[2].splitlines() if line and not line.startswith("#")]
    assert code_lines[:4] == ["import math", "from collections import (", "    Counter,", ")"]
    assert "# Settings. The numbers." in script and "**" not in script
    (tmp_path / "tiny.py").write_text(script)
    out = subprocess.run([sys.executable, "tiny.py"], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "5.0 1"


def test_the_notebook_tags_the_settings_and_is_the_same_each_time():
    nb = nbformat.reads(PROGRAM.notebook(), as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.source for c in code][0] == "a = 2\nb = 3" and code[0].metadata["tags"] == ["parameters"]
    assert "import math" in code[1].source  # the notebook keeps imports in their cell
    assert all("tags" not in c.metadata for c in code[1:])
    assert PROGRAM.notebook() == PROGRAM.notebook()


def test_the_zip_holds_everything_with_a_readme():
    with zipfile.ZipFile(io.BytesIO(PROGRAM.zip(("w.npz", b"x")))) as z:
        names = set(z.namelist())
        readme = z.read("README.txt").decode()
    assert names == {"tiny.py", "tiny.ipynb", "numbers.txt", "w.npz", "README.txt"}
    assert "Run `python tiny.py`." in readme and all(n in readme for n in names - {"README.txt"})
    with zipfile.ZipFile(io.BytesIO(PROGRAM.zip())) as z:
        assert "w.npz" not in z.namelist()
