"""core.labs.text_lab: a model zip saved from the Text lab brings its loss history back onto the chart; a zip without
one says so."""

import io
import zipfile

import pytest

from core.labs.text_lab import TextLab
from core.models.keras_model import RNNConfig
from tests.support.inputs import text_corpus

CORPUS = text_corpus()


def trained_lab() -> TextLab:
    lab = TextLab()
    cfg = RNNConfig(cell="lstm", hidden=16, embed_dim=8, seq_len=16, batch_size=4, learning_rate=1e-2, seed=0)
    t = lab.configure_text("c", "corpus", CORPUS, cfg)
    for _ in range(3):
        t.train_steps(2)
        t.evaluate()
    return lab


def test_a_saved_model_comes_back_with_its_loss_history():
    lab = trained_lab()
    old = lab.trainer.history
    data = lab.export_zip()
    assert "history.json" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    other = TextLab()
    _, said = other.load_zip(data, ("c", "corpus", CORPUS))
    h = other.trainer.history
    assert h.train.steps == old.train.steps and h.val.steps == old.val.steps
    assert h.train.values["loss"] == pytest.approx(old.train.values["loss"], abs=1e-4)
    assert h.val.values["val"] == pytest.approx(old.val.values["val"], abs=1e-4)
    assert "Its loss history is back on the chart." in said
    series = other.loss_series()
    assert series and max(len(s.x) for s in series) > 0  # the chart draws it


def test_a_zip_without_history_says_the_chart_starts_at_its_step():
    from core.files.model_zip import export_model_zip

    lab = trained_lab()
    t = lab.trainer
    data = export_model_zip(t, lab.run.chars, dict(t.summary(), corpus="c"))  # written without history.json
    other = TextLab()
    _, said = other.load_zip(data, ("c", "corpus", CORPUS))
    assert "no loss history" in said and f"step {t.step:,}" in said
    assert len(other.trainer.history.train.steps) == 0
