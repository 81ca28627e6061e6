"""A program a student takes home: explained blocks of code, written out as a script or as a notebook.

Each lab's exporter builds a ``Program`` from the lab's current settings: a title, an introduction, and blocks of
(sentence or two of explanation, code). The first block holds the settings the student chose (the notebook tags it
``parameters``, so a test or papermill can set a tiny step count); the rest is the same for every setting except
where a setting changes the code itself (no dead branches for settings the student did not choose).

The script is the blocks in order, each explanation as ``#`` comments; the notebook has one markdown cell and one
code cell per block. Both import only what the blocks import (numpy, keras, pretty_midi), never this project.
"""

from __future__ import annotations

import textwrap
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

    def script(self) -> str:
        """The program as one runnable .py file."""
        head = '"""' + self.title + "\n\n" + _wrap(self.intro, "") + '\n"""\n'
        parts = [head]
        for block in self.blocks:
            parts.append(_wrap(block.text, "# ") + "\n" + block.code.strip("\n") + "\n")
        return "\n\n".join(parts)

    def notebook(self) -> str:
        """The program as a .ipynb document (nbformat 4): a markdown cell and a code cell per block."""
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        cells = [nbformat.v4.new_markdown_cell(f"# {self.title}\n\n{self.intro}")]
        for i, block in enumerate(self.blocks):
            cells.append(nbformat.v4.new_markdown_cell(block.text))
            code = nbformat.v4.new_code_cell(block.code.strip("\n"))
            if i == 0:
                code.metadata["tags"] = ["parameters"]
            cells.append(code)
        nb.cells = cells
        nbformat.validate(nb)
        return nbformat.writes(nb)

    def files(self) -> dict[str, bytes]:
        """{file name: bytes} of the script and the notebook."""
        return {f"{self.stem}.py": self.script().encode(), f"{self.stem}.ipynb": self.notebook().encode()}


def _wrap(text: str, prefix: str) -> str:
    """Wraps each paragraph of ``text`` to WIDTH, with ``prefix`` on every line (blank lines kept)."""
    out = []
    for para in text.strip().split("\n\n"):
        lines = textwrap.wrap(" ".join(para.split()), WIDTH - len(prefix)) or [""]
        out.append("\n".join((prefix + line).rstrip() for line in lines))
    return ("\n" + prefix.rstrip() + "\n").join(out)
