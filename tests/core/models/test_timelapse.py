"""Time-lapse (core.models.timelapse, core.labs.lab): spacing and bound, model_at equals the weights at that step (brute
force:
a second trainer trained to step k with the same seed), the live model untouched, hibernate's accounting."""

import numpy as np
import pytest

from core.labs.dino_lab import DinoLab
from core.labs.lab import Schedule
from core.models.dino import DinoConfig, DinoTrainer
from core.models.timelapse import MAX_SNAPSHOTS, TimeLapse, sample_names
from core.models.trainer import History
from tests.support.inputs import NAMES, text_corpus

CFG = DinoConfig(n_a=12, learning_rate=0.01, iterations=100_000, seed=3, sample_every=10**9)


class FakeModel:
    def __init__(self, w):
        self.w = w  # (4,) float64


class FakeTrainer:
    """Counts steps; its weights are the step number, so a snapshot says which step it was taken at."""

    def __init__(self):
        self.step = 0
        self.w = np.zeros(4)
        self.history = History()

    def advance(self, n=1):
        self.step += n
        self.w[:] = self.step

    def token_model(self):
        return FakeModel(self.w)  # shared, like the Dinosaur trainer's: the time-lapse must copy it


def test_spacing_and_bound_over_a_long_run():
    t, lapse = FakeTrainer(), TimeLapse()
    for _ in range(5000):
        lapse.observe(t)
        assert len(lapse) <= MAX_SNAPSHOTS
        t.advance()
    lapse.observe(t)
    steps = lapse.steps
    assert steps[0] == 0  # the untrained model stays
    assert np.all(np.diff(steps) == lapse.every)  # evenly spaced
    assert lapse.every & (lapse.every - 1) == 0  # a power of two
    assert MAX_SNAPSHOTS // 2 <= len(steps) <= MAX_SNAPSHOTS
    assert steps[-1] > 5000 - lapse.every  # spread over the whole run
    for s in lapse.snaps:  # copies, taken at their step
        assert np.all(s.model.w == s.step)
        assert not s.model.w.flags.writeable
    assert lapse.nbytes == len(steps) * 4 * 8
    assert lapse.bound_bytes() == MAX_SNAPSHOTS * 4 * 8


def test_a_snapshot_is_due_exactly_every_k_steps():
    t, lapse = FakeTrainer(), TimeLapse(max_keep=4)
    taken = []
    for _ in range(40):
        if lapse.observe(t):
            taken.append(t.step)
        t.advance(lapse.steps_to_due(t.step) or 1)  # as Lab.run_slice: chunks end at the due step
    assert taken[:4] == [0, 1, 2, 3]
    assert lapse.steps == [0, lapse.every, 2 * lapse.every, 3 * lapse.every][: len(lapse)]
    assert len(lapse) <= 4


def test_a_large_model_keeps_fewer_snapshots_within_the_byte_cap():
    t, lapse = FakeTrainer(), TimeLapse(max_bytes=10 * 4 * 8)  # room for 10 snapshots of 4 float64
    for _ in range(500):
        lapse.observe(t)
        assert len(lapse) <= 10 and lapse.nbytes <= lapse.max_bytes
        t.advance(lapse.steps_to_due(t.step) or 1)
    assert lapse.capacity() == 10 and lapse.bound_bytes() == 10 * 32
    assert np.all(np.diff(lapse.steps) == lapse.every) and len(lapse) >= 5
    assert (
        "At most 10 snapshots (fewer than 30: a lab keeps at most 0 MB of them) × 4 parameters × 8 bytes"
        in lapse.describe_bound(4)
    )
    huge, t = TimeLapse(max_bytes=1), FakeTrainer()  # never fewer than 2: the first and a later one
    for _ in range(100):
        huge.observe(t)
        assert len(huge) <= 2
        t.advance(huge.steps_to_due(t.step) or 1)
    huge.observe(t)
    assert huge.capacity() == 2 and huge.steps == [0, huge.every]


def test_a_roll_back_drops_the_snapshots_after_it():
    t, lapse = FakeTrainer(), TimeLapse()
    for _ in range(10):
        lapse.observe(t)
        t.advance()
    t.step = 4
    lapse.observe(t)
    assert lapse.steps == [0, 1, 2, 3, 4]


def dino_lab(slice_s=0.05) -> DinoLab:
    lab = DinoLab()
    lab.schedule = Schedule(slice_s=slice_s, tick_s=1.0, chunk_s=0.01, max_chunk=40, first_chunk=5, eval_every_s=None)
    lab.configure("test", NAMES, CFG)
    return lab


def trained_to(k: int) -> DinoTrainer:
    t = DinoTrainer(NAMES, CFG)
    t.train_steps(k)
    assert t.step == k
    return t


def test_model_at_equals_a_second_trainer_trained_to_that_step():
    lab = dino_lab()
    while lab.trainer.step < 300:
        assert lab.run_slice() is None
    steps = lab.timelapse.steps
    assert len(steps) >= 10 and steps[0] == 0
    for k in [steps[0], steps[1], steps[len(steps) // 2], steps[-1]]:
        snap = lab.model_at(k)
        ref = trained_to(k)
        for name, w in ref.parameters.items():
            np.testing.assert_array_equal(snap.parameters[name], w)  # bit for bit
        got = sample_names(snap, ref.chars, 6, seed=11)
        want = sample_names(ref.token_model(), ref.chars, 6, seed=11)
        assert [n for n, _ in got] == [n for n, _ in want]
    with pytest.raises(KeyError):
        lab.model_at(steps[1] + 1 if steps[1] + 1 not in steps else -5)


def test_scrubbing_leaves_the_live_model_untouched():
    lab = dino_lab()
    while lab.trainer.step < 200:
        lab.run_slice()
    live_before = {k: v.copy() for k, v in lab.trainer.parameters.items()}
    for k in lab.snapshot_steps():  # scrub through every step, sampling and inspecting each
        s = lab.short_sample(lab.model_at(k), seed=0)
        assert s.kind == "names" and len(s.items) == len(s.records)
        m = lab.model_at(k)
        if k != lab.trainer.step:
            assert all(not a.flags.writeable for a in m.parameters.values())
            assert all(not np.shares_memory(a, lab.trainer.parameters[n]) for n, a in m.parameters.items())
    for k, v in lab.trainer.parameters.items():
        np.testing.assert_array_equal(v, live_before[k])
    while lab.trainer.step < 400:  # training goes on exactly as without scrubbing
        lab.run_slice()
    ref = trained_to(lab.trainer.step)
    for k, v in ref.parameters.items():
        np.testing.assert_array_equal(lab.trainer.parameters[k], v)
    assert lab.trainer.smooth_loss == ref.smooth_loss


def test_bound_and_hibernate_count_the_snapshots():
    lab = dino_lab()
    while lab.trainer.step < 150:
        lab.run_slice()
    params = lab.trainer.param_count()
    lapse = lab.timelapse
    assert lapse.nbytes == len(lapse) * params * 8  # float64 weights, nothing else
    assert lab.hibernate() == 8 * params + lapse.nbytes
    text = lapse.describe_bound(params)
    assert f"{MAX_SNAPSHOTS} snapshots × {params:,} parameters × 8 bytes (float64)" in text
    assert f"{MAX_SNAPSHOTS * params * 8 / 2**20:,.1f} MB" in text


def test_a_new_run_starts_a_new_time_lapse():
    lab = dino_lab()
    lab.run_slice()
    assert len(lab.timelapse) > 1
    lab.configure("test", NAMES, DinoConfig(n_a=13, seed=3))
    assert len(lab.timelapse) == 0 and lab.snapshot_steps() == [0]
    lab.run_slice()
    assert lab.timelapse.steps[0] == 0 and lab.model_at(0).parameters["Waa"].shape == (13, 13)


def test_text_lab_snapshots_match_a_second_keras_trainer():
    from core.labs.text_lab import TextLab, new_trainer
    from core.models.keras_model import RNNConfig

    corpus = text_corpus()
    cfg = RNNConfig(cell="gru", hidden=16, embed_dim=8, seq_len=16, batch_size=4, learning_rate=1e-2, seed=2)
    lab = TextLab()
    lab.schedule = Schedule(
        slice_s=0.2, tick_s=0.3, chunk_s=0.05, max_chunk=8, first_chunk=1, eval_every_s=None, sample_every_s=None
    )
    lab.configure_text("t", "test", corpus, cfg)
    while lab.trainer.step < 12:
        assert lab.run_slice() is None
    k = lab.timelapse.steps[len(lab.timelapse) // 2]
    assert k > 0
    ref = new_trainer(corpus, cfg)
    ref.train_steps(k)
    snap, want = lab.model_at(k), ref.token_model()
    probe = [corpus.stoi[c] for c in corpus.text[:30]]
    for model_a, model_b in [(snap, want)]:
        sa, sb = model_a.initial_state(), model_b.initial_state()
        for tok in probe:
            pa, sa = model_a.next_token_probs(sa, tok)
            pb, sb = model_b.next_token_probs(sb, tok)
            np.testing.assert_allclose(pa, pb, atol=1e-5)
    s = lab.short_sample(snap, seed=0)
    assert s.kind == "text" and len(s.items[0]) > 0
    from core.labs.text_lab import progress_sample
    from core.models.timelapse import SAMPLE_CHARS, SAMPLE_TEMPERATURE

    text, _ = progress_sample(snap, corpus, SAMPLE_CHARS, SAMPLE_TEMPERATURE, np.random.default_rng(0))
    assert s.items[0] == text  # the same text the lab's live-sample code draws from these weights
    # the snapshot's bytes: float32 weights plus the sampler's per-character input table
    assert lab.timelapse.snaps[-1].itemsize == 4
    assert lab.timelapse.per_snapshot_bytes() >= 4 * lab.trainer.param_count()


def test_the_live_step_shows_the_live_weights_even_after_they_were_replaced():
    lab = dino_lab()
    lab.run_slice()
    s = lab.trainer.step
    lab.timelapse.observe(lab.trainer)  # a snapshot at the live step, if the slice did not end on one
    assert s in lab.timelapse.steps
    lab.trainer.parameters = {k: v + 1.0 for k, v in lab.trainer.parameters.items()}  # e.g. the best weights put back
    np.testing.assert_array_equal(lab.model_at(s).parameters["by"], lab.trainer.parameters["by"])
    np.testing.assert_allclose(
        lab.timelapse.at(s).model.parameters["by"], lab.trainer.parameters["by"] - 1.0, atol=1e-12
    )


def test_the_recovery_store_counts_a_closed_tabs_snapshots():
    from core.server.recovery import RecoveryStore

    lab = dino_lab()
    while lab.trainer.step < 100:
        lab.run_slice()
    store = RecoveryStore(is_active=lambda owner: False)
    store.register("tok", "gone", {"dino": lab}, {})
    store.sweep()
    entry = store._entries["tok"]
    assert entry.hibernated and entry.nbytes == 8 * lab.trainer.param_count() + lab.timelapse.nbytes
    assert lab.timelapse.nbytes == len(lab.timelapse) * 8 * lab.trainer.param_count() > 0


def test_spacing_in_words_is_singular_for_one_step():
    lapse = TimeLapse()
    assert lapse.spacing() == "every step"  # not "every 1 steps"
    lapse.every = 4
    assert lapse.spacing() == "every 4 steps"
