"""the same settings with the same seed give the same first 100 steps of loss (same machine).

Two fresh Text labs, built as a link builds them (the page's config -> ``TextLab.configure_text``), train 100 steps
each; their losses agree within float tolerance. Weights, dropout and the batch order are all seeded from the
config's seed (core.models.keras_model, core.models.keras_trainer), and TensorFlow's CPU kernels are deterministic for a
fixed
thread count, so no process-wide op determinism is switched on (bench/reproducible.py measures both).
A different seed must give different losses, so the test can fail.
"""

import numpy as np
import pytest

from core.labs.text_lab import TextLab
from core.models.keras_model import RNNConfig
from tests.support.inputs import text_corpus

CORPUS = text_corpus()


def first_losses(cfg: RNNConfig, steps: int = 100) -> list[float]:
    lab = TextLab()
    t = lab.configure_text("corpus", "test text", CORPUS, cfg)
    losses = []
    while len(losses) < steps:
        losses += t.train_steps(min(25, steps - len(losses))).losses  # in chunks, as the live page trains
    return losses


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_same_settings_same_seed_same_first_100_losses(cell):
    cfg = RNNConfig(cell=cell, hidden=24, layers=2, embed_dim=8, seq_len=24, batch_size=8, dropout=0.1, seed=7)
    a, b = first_losses(cfg), first_losses(cfg)
    assert len(a) == len(b) == 100
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    c = first_losses(RNNConfig(**{**cfg.__dict__, "seed": 8}))
    assert np.max(np.abs(np.asarray(a) - np.asarray(c))) > 1e-3  # another seed: another run
