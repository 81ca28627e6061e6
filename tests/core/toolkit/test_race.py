"""Architecture race (core.toolkit.race): equal turns by the race's own clock, every racer trains, one chart with every
configuration, a sample each; the lab it races for is left as it was; the memory check counts the total."""

import numpy as np
import pytest

from core import charts
from core.labs.dino_lab import DinoLab
from core.labs.lab import Schedule
from core.models.dino import DinoConfig
from core.models.trainer import StopKind
from core.toolkit.race import EVAL_POINTS, Race, lab_corpus, race_configs, race_verdict
from tests.support.inputs import NAMES, text_corpus


def dino_lab() -> DinoLab:
    lab = DinoLab()
    lab.schedule = Schedule(slice_s=0.05, tick_s=1.0, chunk_s=0.01, max_chunk=40, first_chunk=5, eval_every_s=None)
    lab.configure("test", NAMES, DinoConfig(n_a=20, seed=1, iterations=5000))
    return lab


def run(race: Race, max_ticks: int = 1000):
    for _ in range(max_ticks):
        stop = race.run_slice()
        if stop is not None:
            return stop
    raise AssertionError("the race did not finish")


def test_dino_race_equal_turns_every_racer_trains_one_chart_and_samples():
    lab = dino_lab()
    lab.run_slice()
    lab_params = {k: v.copy() for k, v in lab.trainer.parameters.items()}
    lab_step, lab_runs = lab.trainer.step, list(lab.runs)
    race = Race(lab, seconds=2.0)
    configs = race_configs(lab, [5, 20, 60])
    assert [c.n_a for c in configs] == [5, 20, 60] and all(
        c.seed == 1 and c.learning_rate == lab.trainer.config.learning_rate for c in configs
    )
    race.build(lab_corpus(lab), configs)
    mid = None
    for _ in range(10_000):
        stop = race.run_slice()
        if mid is None and race.target_s >= 1.0:
            mid = [r.spent_s for r in race.racers]
            # within a tick every clock reaches the common target, overshooting by at most its longest chunk
            for r in race.racers:
                assert race.target_s <= r.spent_s <= race.target_s + r.longest_chunk_s
        if stop is not None:
            break
    assert stop.kind == StopKind.FINISHED and "Race finished" in stop.message
    assert race.finished
    for r in race.racers:  # equal wall-clock turns, by the race's own accounting
        assert race.seconds <= r.spent_s <= race.seconds + r.longest_chunk_s
        assert r.steps > 0 and len(r.smooth) > 0  # every racer trained
        assert r.warmup_s is not None and r.chunks > 1
    assert race.spread_s() <= max(r.longest_chunk_s for r in race.racers)
    series = race.loss_series()
    assert [s.name.split(" · ")[0] for s in series] == ["n_a 5", "n_a 20", "n_a 60"]
    fig = charts.loss_figure(series, x_title="s", y_title="loss")
    assert len(fig.data) == 3 and all(len(tr.x) > 0 for tr in fig.data)
    assert max(fig.data[0].x) >= race.seconds
    for r in race.racers:
        assert r.sample is not None and r.sample.kind == "names" and len(r.sample.items) > 0
    # the lab it raced for: the same run, the same weights, the same earlier runs
    assert lab.trainer.step == lab_step and lab.runs == lab_runs
    for k, v in lab.trainer.parameters.items():
        np.testing.assert_array_equal(v, lab_params[k])


def test_racers_match_the_lab_built_models():
    lab = dino_lab()
    race = Race(lab, seconds=2.0)
    race.build(lab_corpus(lab), race_configs(lab, [20, 30]))
    fresh = lab.build_trainer(lab_corpus(lab), race.racers[0].config)
    for k, v in fresh.parameters.items():  # n_a 20, seed 1: the very model the page builds
        np.testing.assert_array_equal(race.racers[0].trainer.parameters[k], v)


def test_race_needs_two_or_three_configurations():
    lab = dino_lab()
    race = Race(lab)
    with pytest.raises(ValueError):
        race.build(lab_corpus(lab), race_configs(lab, [10]))
    with pytest.raises(ValueError):
        race.build(lab_corpus(lab), race_configs(lab, [10, 20, 30, 40]))
    assert race.run_slice().kind == StopKind.FAILED  # nothing built: a message, no crash


def test_hibernate_counts_every_racer():
    lab = dino_lab()
    race = Race(lab, seconds=2.0)
    race.build(lab_corpus(lab), race_configs(lab, [10, 20]))
    assert race.hibernate() == 8 * sum(r.trainer.param_count() for r in race.racers)
    assert race.asleep


def test_budget_counts_the_total(monkeypatch):
    from core.labs.text_lab import TextLab
    from core.models.keras_model import RNNConfig
    from core.server import budget

    corpus = text_corpus()
    lab = TextLab()
    configs = [RNNConfig(cell=c, hidden=512, embed_dim=64) for c in ("simplernn", "lstm", "gru")]
    each = [budget.training_bytes(corpus.vocab_size, c) for c in configs]
    # a budget whose session share fits the largest one alone but not the three together
    share = max(each) + 1
    monkeypatch.setenv("RNNP_SERVER_BUDGET_MB", str(share / budget.SESSION_SHARE / 2**20 * 1.0001))
    v = race_verdict(lab, corpus, configs)
    assert not v.ok and v.need == sum(each) and "together" in v.message
    monkeypatch.setenv("RNNP_SERVER_BUDGET_MB", "1000000")
    assert race_verdict(lab, corpus, configs).ok


def test_text_race_of_three_cells():
    from core.labs.text_lab import TextLab
    from core.models.keras_model import RNNConfig

    corpus = text_corpus()
    lab = TextLab()
    lab.schedule = Schedule(
        slice_s=0.1, tick_s=0.3, chunk_s=0.05, max_chunk=10, first_chunk=1, eval_every_s=5.0, sample_every_s=None
    )
    lab.configure_text(
        "t", "test", corpus, RNNConfig(cell="lstm", hidden=16, embed_dim=8, seq_len=16, batch_size=4, seed=0)
    )
    race = Race(lab, seconds=2.0)
    configs = race_configs(lab, ["simplernn", "lstm", "gru"])
    assert race_verdict(lab, corpus, configs).ok
    race.build(lab_corpus(lab), configs)
    assert [r.label for r in race.racers] == ["SimpleRNN 16", "LSTM 16", "GRU 16"]
    stop = run(race)
    assert stop.kind == StopKind.FINISHED
    for r in race.racers:
        assert r.steps > 1 and race.seconds <= r.spent_s <= race.seconds + r.longest_chunk_s
        assert len(r.val) >= 2 and r.val_times[0] == 0.0  # validation before the first step (about ln V) and on the way
        assert r.val_times[-1] == r.spent_s and len(r.val) <= EVAL_POINTS + 2  # once at the end, bounded
        assert r.sample.kind == "text" and len(r.sample.items[0]) > 0
    series = race.loss_series()
    assert len(series) == 3 and all(s.name.endswith("validation") for s in series)
    assert race.asleep  # after the race the racers keep only numpy weights (TensorFlow's objects are freed)
    assert lab.trainer.step == 0  # the lab's own run did not train


def test_no_race_without_something_to_train_on():
    from core.labs.text_lab import TextLab, TextRun
    from core.toolkit.race import unavailable

    lab = dino_lab()
    assert unavailable(lab) is None
    assert unavailable(DinoLab()) == "There is no model yet."
    text = TextLab()
    text.trainer = object()  # a loaded model that can only sample (its vocabulary lacks the text's characters)
    text.run = TextRun("x", None, ["a", "b"], uploaded=True)
    assert "can only sample" in unavailable(text)


def test_same_targets_crown_a_winner():
    lab = dino_lab()
    race = Race(lab, seconds=2.0)
    race.build(lab_corpus(lab), race_configs(lab, [5, 20]))
    stop = run(race)
    assert race.mismatch() is None
    best = race.ranking()[0]
    assert f"Lowest training loss (running average): {best[0].label}" in stop.message


def test_a_race_says_when_the_lab_has_moved_on_to_another_run():
    lab = dino_lab()
    lab.run_slice()
    race = Race(lab, seconds=2.0)
    race.build(lab_corpus(lab), race_configs(lab, [5, 20]))
    assert race.earlier_run() is None
    built_from = lab.run_label()
    lab.configure("test", NAMES, DinoConfig(n_a=12, seed=1, iterations=5000))  # a new run
    said = race.earlier_run()
    assert said is not None and built_from in said and lab.run_label() in said


def test_music_race_over_different_vocabularies_crowns_no_winner():
    from core.labs.music_lab import COURSE, LSTM, MusicLab, make_config
    from core.music import music_codec as mc
    from core.music import music_data as md

    if "bach_chorales" not in md.bundled_styles():
        pytest.skip("no bundled Bach chorales in data/midi")
    lab = MusicLab()
    lab.schedule = Schedule(slice_s=0.2, tick_s=1.0, chunk_s=0.05, max_chunk=20, first_chunk=1, eval_every_s=1.0)
    lab.use_bundled("bach_chorales", mc.CodecOptions(max_chord=1))
    lab.configure_current(make_config(LSTM, hidden=8, seq_len=10, batch=4, lr=0.003, seed=0))
    race = Race(lab, seconds=2.0)
    race.build(lab_corpus(lab), race_configs(lab, [LSTM, COURSE]))
    stop = run(race)
    sizes = [len(lab.loss_targets(r.extras)) for r in race.racers]
    assert sizes[0] == len(lab.corpus.vocab) and sizes[1] < sizes[0]
    assert stop.kind == StopKind.FINISHED
    assert "Lowest" not in stop.message and "No winner" in stop.message
    assert f"LSTM 8 over {sizes[0]} values" in stop.message and f"course n_a 8 over {sizes[1]} values" in stop.message
