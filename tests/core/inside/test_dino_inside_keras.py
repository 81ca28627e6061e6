"""The parameter-count formula the Text page explains (core.inside.param_formula) against Keras's own count of a built
model, for every cell (GRU with reset_after's two biases per gate) and two layers."""

import pytest

from core.inside import param_formula
from core.labs.text_lab import new_trainer
from core.models.keras_model import CELLS, RNNConfig
from core.text.text_data import TextCorpus

TEXT = "the quick brown fox jumps over the lazy dog.\nPACK MY BOX WITH FIVE DOZEN LIQUOR JUGS!\n" * 60


@pytest.mark.parametrize("cell", CELLS)
def test_formula_total_equals_the_trainers_param_count(cell):
    corpus = TextCorpus(TEXT)
    cfg = RNNConfig(cell=cell, hidden=24, layers=2, embed_dim=8, seq_len=16, batch_size=4)
    trainer = new_trainer(corpus, cfg)
    parts = param_formula.parts(corpus.vocab_size, cell, 24, 2, 8)
    assert sum(p.count for p in parts) == trainer.param_count()
    assert [p.name for p in parts] == [
        "Embedding",
        f"{param_formula.CELL_LABEL[cell]} layer 1",
        f"{param_formula.CELL_LABEL[cell]} layer 2",
        "Dense (softmax)",
    ]
