"""A program a student takes home: explained blocks of code, written out as a script or as a notebook.

Each lab's exporter builds a ``Program`` from the lab's current settings: a title, an introduction, and blocks of
(sentence or two of explanation, code). The first block holds the settings the student chose (the notebook tags it
``parameters``, so a test or papermill can set a tiny step count); the rest is the same for every setting except
where a setting changes the code itself (no dead branches for settings the student did not choose).

The script is the blocks in order, each explanation as ``#`` comments, with the import lines a block starts with
moved to the top of the file (as Python's style asks; the notebook keeps them in their cell); the notebook has one
markdown cell and one code cell per block. Both import only what the blocks import (numpy, keras, pretty_midi), never
this project. ``data`` holds the files the program reads besides trained weights (a copy of the corpus), and
``zip(weights)`` puts the script, the notebook, those files and the weights in one archive with a README.
"""

from __future__ import annotations

import ast
import io
import textwrap
import zipfile
from dataclasses import dataclass

import nbformat

WIDTH = 100  # explanations are wrapped to this width in the script


@dataclass(frozen=True)
class Block:
    """One step of the program."""

    text: str  # what the block does, in a sentence or two (markdown)
    code: str  # the Python source of the block, without a trailing newline


@dataclass(frozen=True)
class Program:
    """A lab's training code for one choice of settings."""

    title: str  # e.g. "Dinosaur names: a character-level RNN in numpy"
    intro: str  # a paragraph: what the program does and how to run it (markdown)
    blocks: tuple[Block, ...]  # blocks[0] holds the settings (the notebook's parameter cell)
    stem: str  # file name stem, e.g. "dinosaur_rnn" gives dinosaur_rnn.py and dinosaur_rnn.ipynb
    data: tuple[tuple[str, bytes], ...] = ()  # (file name, bytes) the program reads, e.g. the copy of the corpus
    run: str = ""  # how to run it, one paragraph (markdown): the zip's README

    def script(self) -> str:
        """The program as one runnable .py file (the blocks' leading imports gathered at the top)."""
        head = '"""' + self.title + "\n\n" + _wrap(self.intro, "") + '\n"""\n'
        imports, parts = [], []
        for block in self.blocks:
            lifted, code = _leading_imports(block.code.strip("\n"))
            if lifted:
                imports.append(lifted)
            parts.append(_wrap(block.text.replace("**", ""), "# ") + ("\n" + code if code else "") + "\n")
        top = head + ("\n" + "\n\n".join(imports) + "\n" if imports else "")  # one blank line after the imports
        return top + "\n" + "\n\n".join(parts)

    def notebook(self) -> str:
        """The program as a .ipynb document (nbformat 4): a markdown cell and a code cell per block."""
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        cells = [_cell("markdown", f"# {self.title}\n\n{self.intro}", "intro")]
        for i, block in enumerate(self.blocks):
            cells.append(_cell("markdown", block.text, f"text-{i}"))
            cells.append(_cell("code", block.code.strip("\n"), f"code-{i}", ["parameters"] if i == 0 else None))
        nb.cells = cells
        nbformat.validate(nb)  # once for the whole notebook (nbformat's new_*_cell validate every cell: 30x slower)
        return nbformat.writes(nb)

    def files(self) -> dict[str, bytes]:
        """{file name: bytes} of the script and the notebook."""
        return {f"{self.stem}.py": self.script().encode(), f"{self.stem}.ipynb": self.notebook().encode()}

    def contents(self, weights: tuple[str, bytes] | None = None) -> dict[str, bytes]:
        """{file name: bytes} of everything the program needs: the script, the notebook, ``data`` and ``weights``
        ((file name, bytes), when the program loads them)."""
        return {**self.files(), **dict(self.data), **dict([weights] if weights else [])}

    def zip(self, weights: tuple[str, bytes] | None = None) -> bytes:
        """One .zip of ``contents(weights)`` with a README.txt that says what each file is and how to run it."""
        files = self.contents(weights)
        readme = [self.title, "", _wrap(self.run or self.intro, ""), ""]
        width = max(len(name) for name in files)
        readme += [f"{name:<{width}}  {_ROLE.get(name.rsplit('.', 1)[-1], 'read by the program')}" for name in files]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name, content in files.items():
                z.writestr(name, content)
            z.writestr("README.txt", "\n".join(readme) + "\n")
        return buf.getvalue()


def _cell(kind: str, source: str, cell_id: str, tags: list[str] | None = None) -> nbformat.NotebookNode:
    """A notebook cell ("markdown" or "code") with a fixed id: the same program gives the same file."""
    cell = {"cell_type": kind, "id": cell_id, "metadata": {"tags": tags} if tags else {}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return nbformat.from_dict(cell)


_ROLE = {  # what a file of the zip is, by its extension (README.txt)
    "py": "the program, to run with python",
    "ipynb": "the same program as a notebook: open it in Jupyter or Colab",
    "npz": "the trained weights (numpy arrays; the program loads them)",
    "txt": "the data: a copy of what the app trained on",
}


def _leading_imports(code: str) -> tuple[str, str]:
    """(the import statements ``code`` starts with, the rest of it), each without surrounding blank lines."""
    body = ast.parse(code).body
    n = 0
    while n < len(body) and isinstance(body[n], (ast.Import, ast.ImportFrom)):
        n += 1
    if n == 0:
        return "", code
    lines = code.split("\n")
    end = body[n - 1].end_lineno
    return "\n".join(lines[:end]).strip("\n"), "\n".join(lines[end:]).strip("\n")


def _wrap(text: str, prefix: str) -> str:
    """Wraps each paragraph of ``text`` to WIDTH, with ``prefix`` on every line (blank lines kept)."""
    out = []
    for para in text.strip().split("\n\n"):
        lines = textwrap.wrap(" ".join(para.split()), WIDTH - len(prefix)) or [""]
        out.append("\n".join((prefix + line).rstrip() for line in lines))
    return ("\n" + prefix.rstrip() + "\n").join(out)
