"""Every lab's exported notebook runs top to bottom in a fresh Jupyter kernel (nbclient + ipykernel), with the tiny
settings the test gives the lab (the parameters cell holds them), from scratch and from the trained weights.

A lab takes part once its ``has_code`` is true; add it to ``LABS`` with a function that sets it up tiny and trains
a few steps."""

from __future__ import annotations

import io
import zipfile

import nbformat
import pytest

from core.labs.dino_lab import DinoLab, bundled_names
from core.models.dino import DinoConfig


def tiny_dino() -> DinoLab:
    lab = DinoLab()
    lab.configure("bundled", bundled_names(), DinoConfig(n_a=10, iterations=40, sample_every=20, seed=3))
    lab.trainer.train_steps(20)  # half the budget: the trained notebook trains the other half
    return lab


def tiny_text():
    from core.labs.text_lab import TextLab
    from core.models.keras_model import RNNConfig
    from core.text.text_data import TextCorpus
    from tests.support.inputs import make_text

    lab = TextLab()
    lab.configure_text("t", "test", TextCorpus(make_text()), RNNConfig(hidden=8, embed_dim=4, seq_len=8, batch_size=4))
    lab.trainer.train_steps(2)
    return lab


def tiny_music():
    from core.labs.music_lab import LSTM, MusicLab, make_config
    from core.music import music_codec as mc

    lab = MusicLab()
    lab.use_bundled("bach_chorales", mc.CodecOptions(max_chord=1))
    lab.configure_current(make_config(LSTM, hidden=8, seq_len=10, batch=4, lr=0.003, seed=0))
    lab.trainer.train_steps(2)
    return lab


LABS = {  # lab -> (its class, or where it is: the Keras labs are imported only when they take part; tiny setup)
    "dino": (DinoLab, tiny_dino),
    "text": ("core.labs.text_lab.TextLab", tiny_text),
    "music": ("core.labs.music_lab.MusicLab", tiny_music),
}


def lab_class(where):
    if isinstance(where, str):
        module, _, name = where.rpartition(".")
        return getattr(__import__(module, fromlist=[name]), name)
    return where


@pytest.mark.parametrize("trained", [False, True], ids=["scratch", "trained"])
@pytest.mark.parametrize("key", list(LABS))
def test_the_notebook_runs_top_to_bottom(key, trained, tmp_path):
    from nbclient import NotebookClient

    cls, tiny = LABS[key]
    if not lab_class(cls).has_code:
        pytest.skip(f"the {key} lab does not write its code yet (has_code is false)")
    lab = tiny()
    program = lab.get_code(trained=trained)
    with zipfile.ZipFile(io.BytesIO(program.zip(lab.code_weights() if trained else None))) as z:
        z.extractall(tmp_path)
    nb = nbformat.read(tmp_path / f"{program.stem}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].metadata.get("tags") == ["parameters"]
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    printed = "".join(o.get("text", "") for c in code for o in c.get("outputs", []) if o.get("name") == "stdout")
    assert printed.strip(), "the notebook printed what it learnt"
