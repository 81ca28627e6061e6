"""core.labs.lab.Lab.prepare / prepare_ahead and core.models.keras_trainer.KerasTrainer.prepare: the first slice's
one-time costs paid before Start. Preparing leaves the step functions traced and warm, the starting validation
measured and the untrained model's live sample made; a seeded run trained after it gives the same losses,
validation, live sample and weights as one that was not prepared; a hibernated run stays asleep."""

from dataclasses import replace

import numpy as np
import pytest

from core.labs.music_lab import COURSE, LSTM, MusicLab, make_config
from core.labs.text_lab import TextLab
from core.models.keras_model import RNNConfig, snapshot
from core.music import music_codec as mc
from core.music import music_data as md
from tests.support.inputs import text_corpus

CORPUS = text_corpus()
# dropout on: the dropout masks' random state is a model variable that a throwaway step would move on
TEXT = RNNConfig(cell="lstm", hidden=16, embed_dim=8, seq_len=16, batch_size=4, learning_rate=1e-2, dropout=0.2, seed=3)
MUSIC = dict(hidden=8, seq_len=10, batch=4, lr=0.003, seed=1)


def text_lab(prepared: bool) -> TextLab:
    lab = TextLab()
    lab.configure_text("c", "corpus", CORPUS, TEXT)
    # one step per chunk and no validation or sample due by the clock: every slice does the same whatever the timing
    lab.schedule = replace(TextLab.schedule, max_chunk=1, eval_every_s=1e9, sample_every_s=1e9)
    if prepared:
        lab.prepare_ahead().join()
    return lab


def music_lab(kind: str, prepared: bool) -> MusicLab:
    lab = MusicLab()
    lab.use_bundled("bach_chorales", mc.CodecOptions(max_chord=1))
    lab.configure_current(make_config(kind, **MUSIC))
    lab.schedule = replace(MusicLab.schedule, max_chunk=1, eval_every_s=1e9)
    if prepared:
        lab.prepare_ahead().join()
    return lab


def slices(lab, n: int = 4):
    """``n`` slices of one step each after Start; (training losses, validation losses, the live sample's text)."""
    lab.start()
    for _ in range(n):
        assert lab.run_slice(0.0) is None
    h = lab.trainer.history
    sample = getattr(lab.live_sample, "text", None)
    return list(h.train.values["loss"]), list(h.val.values["val"]), sample


def state(t) -> list:
    """Every variable of the model (the dropout's random state too) and of its optimizer, as numpy arrays."""
    weights, optimizer = snapshot(t.model, t.optimizer)
    return weights + optimizer


def same(xs: list, ys: list) -> None:
    assert len(xs) == len(ys)
    for x, y in zip(xs, ys):
        np.testing.assert_array_equal(x, y)


def same_weights(a, b) -> None:
    """The trainable weights and the optimizer's state of two runs (the dropout's random state is drawn per model)."""
    ta, tb = a.trainer, b.trainer
    same([v.numpy() for v in ta.model.trainable_variables], [v.numpy() for v in tb.model.trainable_variables])
    same(snapshot(ta.model, ta.optimizer)[1], snapshot(tb.model, tb.optimizer)[1])


def test_preparing_the_text_lab_leaves_only_training_for_the_first_slice():
    lab = text_lab(prepared=False)
    t = lab.trainer
    before = state(t)
    assert not lab.prepared
    lab.prepare_ahead().join()
    assert lab.prepared
    same(state(t), before)  # the throwaway step was undone: every variable is back
    assert t._train_fn is not None and t._eval_fn is not None and t._warm  # traced and run once
    assert t.step == 0 and len(t.history.train) == 0 and len(t.history.val) == 0  # nothing trained or recorded
    assert t._val_ahead == 0 and len(t._val_cache) == len(t.val_batches())  # the starting validation, measured
    assert lab._ahead is not None and lab._ahead[0] is t and lab._ahead[1] == 0  # the untrained model's sample
    assert lab.prepare_ahead() is None  # once per run


def test_a_prepared_text_run_trains_exactly_as_an_unprepared_one():
    a, b = text_lab(prepared=True), text_lab(prepared=False)
    ra, rb = slices(a), slices(b)
    assert ra == rb and len(ra[0]) == 4 and len(ra[1]) == 1 and ra[2]
    assert a.trainer.evaluate() == b.trainer.evaluate()  # the spread validation goes on with the same batch
    same_weights(a, b)


def test_steps_taken_after_preparing_make_validation_measure_afresh():
    a, b = text_lab(prepared=True), text_lab(prepared=False)
    for lab in (a, b):
        lab.trainer.train_steps(3)  # no validation at step 0: the prepared measurements are of other weights
    assert a.trainer.evaluate() == b.trainer.evaluate()


@pytest.mark.skipif("bach_chorales" not in md.bundled_styles(), reason="no bundled Bach chorales in data/midi")
@pytest.mark.parametrize("kind", [LSTM, COURSE])
def test_a_prepared_music_run_trains_exactly_as_an_unprepared_one(kind):
    a, b = music_lab(kind, prepared=True), music_lab(kind, prepared=False)
    assert a.trainer._warm and not b.trainer._warm
    ra, rb = slices(a), slices(b)
    assert ra == rb and len(ra[0]) == 4 and len(ra[1]) == 1
    same_weights(a, b)


def test_a_hibernated_run_is_not_woken_and_is_prepared_again_once_awake():
    lab = text_lab(prepared=True)
    lab.hibernate()
    t = lab.trainer
    assert t.asleep and not lab.prepared and lab.prepare_ahead() is None  # asleep: nothing starts
    lab.prepare()
    assert t.asleep  # called directly, it leaves a sleeping run asleep too
    t.model  # the page draws it: it wakes, without its traced functions
    assert not t._warm
    lab.prepare_ahead().join()
    assert t._warm and not t.asleep


def test_nothing_is_prepared_while_the_lab_trains():
    lab = TextLab()
    lab.configure_text("c", "corpus", CORPUS, TEXT)
    lab.start()
    assert lab.prepare_ahead() is None
