"""core.labs.music_lab: the lab object behind the Music page. Switching between this lab's LSTM and the course's model,
the capped vocabulary, retuning, composing (argmax, sampling, bars after an opening), motif checks, the scorecard
rows and the .mid of an opening and its answer."""

from types import SimpleNamespace

import numpy as np
import pytest

from core.labs.music_lab import (
    COURSE,
    LSTM,
    MusicLab,
    copy_note,
    make_config,
    midi_file,
    model_kind,
    notes_after,
    score_table,
    seq_len_of,
    within_bars,
)
from core.models import course_model as cm
from core.models.keras_model import RNNConfig
from core.models.sampling import generate
from core.models.trainer import History
from core.music import midi_io, motif
from core.music import music_codec as mc
from core.music import music_data as md
from core.music import music_score as ms

pytestmark = pytest.mark.skipif(
    "bach_chorales" not in md.bundled_styles(), reason="no bundled Bach chorales in data/midi"
)

OPTIONS = mc.CodecOptions(max_chord=1)  # the page's default: melodies
TINY = dict(hidden=8, seq_len=10, batch=4, lr=0.003, seed=0)


def lab_with(kind: str, **kw) -> MusicLab:
    lab = MusicLab()
    lab.use_bundled("bach_chorales", OPTIONS)
    lab.configure_current(make_config(kind, **(TINY | kw)))
    return lab


@pytest.fixture(scope="module")
def course_lab():
    lab = lab_with(COURSE)
    lab.trainer.train_steps(5)
    return lab


def test_configs_name_their_model():
    a = make_config(LSTM, **TINY)
    b = make_config(COURSE, **TINY)
    assert isinstance(a, RNNConfig) and a.hidden == 8 and a.embed_dim == 32 and a.learning_rate == 0.003
    assert b == cm.CourseConfig(n_a=8, Tx=10, batch_size=4, seed=0)  # the course's Adam schedule, whatever lr says
    assert (model_kind(a), model_kind(b)) == (LSTM, COURSE) and seq_len_of(a) == seq_len_of(b) == 10


def test_switching_model_starts_a_new_run_and_says_why():
    lab = lab_with(LSTM)
    first = lab.trainer
    first.train_steps(2)
    assert lab.kind == LSTM and lab.course_vocab is None and len(lab.labels) == len(lab.corpus.vocab) > 90
    t = lab.configure_current(make_config(COURSE, **TINY))
    assert t is not first and isinstance(t, cm.CourseTrainer) and lab.kind == COURSE
    note = lab.take_restart_note()
    assert "model this lab's LSTM (embedding) → the course's model (one-hot, 90 values)" in note
    assert "The previous run stays on the chart" in note and lab.runs and lab.runs[-1].label.startswith("#1 LSTM 8")
    assert lab.run_label() == "#2 course n_a 8 · seed 0 · Bach chorales, melodies"
    # the capped vocabulary: the 89 most common values of the corpus, and one standing for the rest
    cv = lab.course_vocab
    assert len(cv.itos) == 90 and lab.labels == cv.itos and cv.itos[:89] == tuple(lab.corpus.vocab.itos[:89])
    assert t.vocab_size == 90 and t.param_count() == cm.course_param_count(8, 90)
    assert "The 89 most common values keep their own index; index 89 stands for the other" in cv.sentence
    # back to the LSTM: a new run again
    assert lab.configure_current(make_config(LSTM, **TINY)) is not t and lab.kind == LSTM and lab.course_vocab is None


def test_course_run_trains_through_the_lab_and_draws_its_chart(course_lab):
    lab = course_lab
    t = lab.trainer
    assert isinstance(t.history, History)
    before = t.step
    stop = lab.run_slice()
    assert stop is None and t.step > before
    assert len(t.history.val) >= 1  # the starting point of the validation curve (capped windows of Tx values)
    names = [s.name for s in lab.loss_series()]
    assert any(n.startswith("train · #") or n.startswith("train, running average") for n in names) and any(
        n.startswith("validation") for n in names
    )


def test_course_retune_keeps_the_run_and_new_sizes_restart(course_lab):
    lab = lab_with(COURSE)
    t = lab.trainer
    t.train_steps(1)
    assert lab.configure_current(make_config(COURSE, **(TINY | dict(seq_len=6, batch=2, lr=0.03)))) is t
    assert t.config.Tx == 6 and t.config.batch_size == 2 and t.config.learning_rate == 0.01  # the course's rate stays
    assert lab.take_restart_note() is None and len(t.train_steps(1).losses) == 1
    new = lab.configure_current(make_config(COURSE, **(TINY | dict(hidden=12))))
    assert new is not t and new.config.n_a == 12 and "hidden size (n_a) 8 → 12" in lab.take_restart_note()


def test_too_long_windows_are_refused_in_course_mode_too():
    lab = MusicLab()
    tune = tuple(f"N{60 + i % 5}_d4" for i in range(30))
    lab._set_corpus(("upload", ("t",), OPTIONS), md.MusicCorpus([md.Piece("tune.mid", tune)]), [])
    lab.configure_current(make_config(COURSE, **TINY))
    assert lab.can_train() is None and lab.course_vocab.sentence.endswith("nothing is folded).")
    assert len(lab.labels) == 5 and lab.trainer.vocab_size == 5
    lab.configure_current(make_config(COURSE, **(TINY | dict(seq_len=40))))
    assert "No training piece is long enough for snippets of 40 values" in lab.can_train()


def test_course_facts_are_the_courses_numbers():
    lab = lab_with(COURSE, hidden=64, seq_len=30, batch=32)
    f = lab.course_facts()
    assert (f["n_a"], f["n_values"], f["Tx"]) == (64, 90, 30)
    assert f["params"] == f["formula"] == f["course_params"] == 45_530 and (f["lstm"], f["dense"]) == (39_680, 5_850)
    assert (f["lr0"], f["decay"], f["beta_1"], f["beta_2"], f["batch"]) == (0.01, 0.01, 0.9, 0.999, 32) and f[
        "lr_now"
    ] == 0.01


def test_argmax_composition_is_deterministic_and_scored(course_lab):
    lab = course_lab
    a = lab.compose(tempo=100, seed=1, argmax=True, n_values=30)
    b = lab.compose(tempo=100, seed=2, argmax=True, n_values=30)
    assert a.trained_values == b.trained_values and a.untrained_values == b.untrained_values  # the seed doesn't matter
    assert all(r.picked == int(np.argmax(r.adjusted)) for r in a.trained) and a.argmax and a.temperature == 0.0
    assert (
        set(a.trained_values) <= set(lab.course_vocab.itos) and a.model == COURSE and a.labels == lab.course_vocab.itos
    )
    # without the composing rules, the numpy model's argmax is the course's Keras inference model's (from silence)
    plain = generate(lab.trainer.token_model(), 30, temperature=0.0, rng=np.random.default_rng(0))
    assert [r.picked for r in plain] == lab.trainer.generate_argmax(30)
    s1 = lab.compose(tempo=100, seed=1, temperature=1.0, n_values=30)
    s2 = lab.compose(tempo=100, seed=2, temperature=1.0, n_values=30)
    assert s1.trained_values != s2.trained_values and not s1.argmax  # sampling follows the seed
    labels = [label for label, _ in s1.scores]
    assert labels == [
        f"trained model (step {lab.trainer.step:,})",
        "untrained model",
        ms.CHANCE_LABEL,
        ms.VALIDATION_LABEL,
    ]
    assert s1.scores[3][1].n_pieces == len(lab.corpus.val_idx) == 10 and s1.scores[3][1].n_values <= 30
    chance = s1.scores[2][1]
    assert chance.n_pieces == ms.CHANCE_DRAWS and chance.n_values == 30


def longest_run(values) -> int:
    best = run = 0
    for i, v in enumerate(values):
        run = run + 1 if i and v == values[i - 1] else 1
        best = max(best, run)
    return best


def test_course_composition_never_plays_the_stand_in_nor_one_value_on_and_on(course_lab):
    lab = course_lab
    other = cm.stand_in(lab.course_vocab.mapping)
    assert other == len(lab.course_vocab.itos) - 1  # Bach's chorales have more than 90 values: the cap folds some
    # a model whose every step puts nearly all its mass on the stand-in (as a young model composing from silence can)
    stuck = np.full(len(lab.course_vocab.itos), 1e-4)
    stuck[other] = 1.0
    stuck[3] = 0.5
    stuck /= stuck.sum()
    model = SimpleNamespace(initial_state=lambda: None, next_token_probs=lambda state, token: (stuck, None))
    lab_model = lab.trainer.token_model
    lab.trainer.token_model = lambda: model
    try:
        res = lab.compose(tempo=100, argmax=True, n_values=120)
    finally:
        lab.trainer.token_model = lab_model
    picks = [r.picked for r in res.trained]
    assert other not in picks
    assert longest_run(picks) <= cm.MAX_REPEAT and len(set(picks)) > 1
    assert picks[: cm.MAX_REPEAT] == [3] * cm.MAX_REPEAT  # the most likely value allowed, until its run is full
    assert all(r.picked == int(np.argmax(r.adjusted)) for r in res.trained)
    assert motif.value_text(lab.course_vocab.itos[other]) in res.rules and str(cm.MAX_REPEAT) in res.rules
    sampled = lab.compose(tempo=100, seed=3, temperature=1.0, n_values=120)
    assert other not in [r.picked for r in sampled.trained + sampled.untrained]
    assert longest_run(sampled.trained_values) <= cm.MAX_REPEAT


def test_scorecard_row_names_the_step_of_the_weights_used():
    lab = lab_with(LSTM)
    t = lab.trainer
    t.train_steps(2)
    t.evaluate()
    best = t.keeper.best.step
    t.train_steps(3)
    assert lab.compose(tempo=100, seed=0, n_values=10).scores[0][0] == f"trained model (step {t.step:,})"
    t.restore_best()
    res = lab.compose(tempo=100, seed=0, n_values=10)
    assert t.step != best and res.scores[0][0] == f"trained model (step {best:,})"
    assert f"from step {best:,}" in res.weights


def test_earlier_runs_say_which_music_they_learned():
    lab = lab_with(LSTM)
    lab.trainer.train_steps(1)
    if "irish_folk" not in md.bundled_styles():
        pytest.skip("no bundled Irish folk tunes")
    lab.use_bundled("irish_folk", mc.CodecOptions(max_chord=2))
    lab.configure_current(make_config(LSTM, **TINY))
    assert lab.runs[-1].label == "#1 LSTM 8 · seed 0 · Bach chorales, melodies"
    assert lab.run_label() == "#2 LSTM 8 · seed 0 · Irish folk, chords of up to 2 notes"


def test_lstm_composition_has_no_rules():
    lab = lab_with(LSTM)
    lab.trainer.train_steps(2)
    assert lab.composing_rules() == {}
    assert lab.compose(tempo=100, argmax=True, n_values=10).rules == ""


def test_scorecard_reference_is_built_once_per_corpus():
    lab = MusicLab()
    lab.use_bundled("bach_chorales", OPTIONS)
    ref, why = lab.reference()
    assert why is None and lab.reference()[0] is ref
    assert ref.names == tuple(lab.corpus.pieces[i].name for i in lab.corpus.train_idx)  # training pieces only
    lab.use_bundled("bach_chorales", OPTIONS)  # the same corpus: kept
    assert lab.reference()[0] is ref
    lab.use_bundled("bach_chorales", mc.CodecOptions(max_chord=2))  # another corpus: a new reference
    assert lab.reference()[0] is not ref


@pytest.mark.parametrize("style", ["bach_chorales", "irish_folk"])
def test_validation_pieces_score_closer_than_the_untrained_model(style):
    """The issue's check, through the lab: what a real held-out piece scores is closer to the training pieces
    than what the untrained model writes."""
    if style not in md.bundled_styles():
        pytest.skip(f"no {style} corpus")
    lab = MusicLab()
    lab.use_bundled(style, OPTIONS)
    lab.configure_current(make_config(LSTM, **TINY))
    res = lab.compose(tempo=120, seed=0, temperature=1.0, n_values=100)
    (_, trained), (_, untrained), (_, chance), (_, val) = res.scores
    for k in ("pitch_class_distance", "interval_distance", "duration_distance"):
        assert getattr(val, k) < getattr(untrained, k), (k, getattr(val, k), getattr(untrained, k))


def test_motif_checks_name_errors_and_unknown_values():
    lab = lab_with(LSTM)
    ok = lab.check_motif("C4q E4q G4h")
    assert ok.ok and ok.values == ("N60_d4", "N64_d4", "N67_d8") and ok.error is None and ok.message is None
    bad = lab.check_motif("C4q X4q")
    assert not bad.ok and bad.values == () and "Token 2 'X4q'" in bad.error and "not a note name" in bad.error
    empty = lab.check_motif("   ")
    assert not empty.ok and "Type at least one note" in empty.error
    odd = lab.check_motif("C4q C4:13 C#4q")  # 13 sixteenths and a C# (the corpus is transposed to C major / A minor)
    unknown = [v for v in ("N60_d13", "N61_d4") if v not in lab.corpus.vocab]
    assert unknown and list(odd.unknown) == unknown and not odd.ok
    assert odd.message.startswith("Not in the model's vocabulary: ") and "nearest: " in odd.message
    fixed = lab.check_motif(odd.fixed_text)
    assert fixed.ok and len(fixed.values) == 3 and fixed.values[0] == "N60_d4"


def test_course_mode_checks_motifs_against_the_90_values(course_lab):
    lab = course_lab
    rare = next(v for v in lab.corpus.vocab.itos[90:] if mc.parse_value(v)[0])  # in the corpus, folded by the cap
    check = lab.check_motif(motif.decode(["N60_d4", rare]))
    assert check.unknown == (rare,) and set(lab.check_motif(check.fixed_text).values) <= set(lab.course_vocab.itos)
    # a corpus piece's bars may hold folded values: they go in as the stand-in index
    ids = lab.prime_ids(["N60_d4", rare])
    assert ids[1] == 89 and ids[0] == lab.course_vocab.itos.index("N60_d4")


def test_motif_continues_for_bars_and_the_midi_starts_with_it():
    lab = lab_with(LSTM)
    m = lab.check_motif("C4q E4q G4h")
    res = lab.compose(
        tempo=120, seed=3, temperature=1.0, bars=2, prime=m.values, start="motif", prime_label="your motif"
    )
    assert res.prime == m.values and res.bars == 2 and res.start == "motif"
    steps = [mc.value_duration(v) for v in res.trained_values]
    assert sum(steps[:-1]) < 2 * 16 <= sum(steps) or sum(steps) == 2 * 16  # exactly the values that start in 2 bars
    data = midi_file(res.prime + res.trained_values, res.tempo, program=40)
    pm = midi_io.load_midi_bytes(data)
    notes = sorted(pm.instruments[0].notes, key=lambda n: n.start)
    assert [n.pitch for n in notes[:3]] == [60, 64, 67] and pm.instruments[0].program == 40
    assert notes[0].start == pytest.approx(0.0) and notes[2].start == pytest.approx(1.0)  # quarter = 0.5 s at 120
    opening, answer = notes_after(res.prime, res.trained_values, res.tempo)
    assert len(opening) == 3 and (not answer or answer[0][0] == pytest.approx(2.0))  # the answer starts after the motif
    with pytest.raises(ValueError, match="not in the model's vocabulary"):
        lab.compose(tempo=120, bars=1, prime=("N60_d13",))
    with pytest.raises(ValueError):
        lab.compose(tempo=120, n_values=4, bars=2)


def test_piece_bars_are_whole_bars_of_a_corpus_piece():
    lab = MusicLab()
    lab.use_bundled("bach_chorales", OPTIONS)
    piece = lab.corpus.pieces[0].values
    assert lab.piece_bars(0, 1, 2) == tuple(motif.take_bars(piece, 1, 2))
    assert 1 <= lab.piece_length_bars(0) and lab.piece_length_bars(0) >= motif.n_bars(piece)


def test_within_bars_keeps_the_values_that_start_inside():
    from core.models.sampling import StepRecord

    labels = ["N60_d8", "N62_d4", "R_d16"]
    recs = [
        StepRecord(probs=np.ones(3) / 3, adjusted=np.ones(3) / 3, picked=i, p_picked=1 / 3) for i in (0, 1, 1, 2, 0)
    ]
    assert [r.picked for r in within_bars(recs, labels, 1)] == [0, 1, 1]  # 8 + 4 + 4 = 16 steps: one bar
    assert [r.picked for r in within_bars(recs, labels, 2)] == [0, 1, 1, 2]  # the rest starts at 16, ends at 32


def test_score_table_and_copy_note_read_the_scores():
    ref = ms.Reference.build([("a", ["N60_d4", "N62_d4", "N64_d4", "N65_d4", "N67_d4", "N69_d4"])])
    rows = ms.scorecard([("trained", ["N60_d4", "N62_d4", "N64_d4", "N65_d4", "N71_d4"]), ("rests", ["R_d4"])], ref)
    table = score_table(rows)
    assert [r[""] for r in table] == ["trained", "rests"]
    assert table[0]["longest copy"] == "4" and table[0]["in key"] == "100%" and table[0]["range (semitones)"] == "11"
    assert (
        table[1]["in key"] == "–" and table[1]["pitch-class distance"] == "–"
    )  # no notes: nothing to measure, no error
    assert (
        copy_note(rows)
        == "The trained model's longest copy: 4 values in a row from a (its values 1–4), from value 1 of the "
        "composition."
    )
    assert copy_note(rows[1:]) is None


def test_hibernate_frees_a_course_run(course_lab):
    lab = lab_with(COURSE)
    lab.trainer.train_steps(1)
    kept = lab.hibernate()
    assert kept > 0 and lab.trainer.asleep
    res = lab.compose(tempo=100, argmax=True, n_values=5)  # wakes it
    assert len(res.trained) == 5 and not lab.trainer.asleep


def test_values_are_written_one_way_on_screen(course_lab):
    """The temperature view, the time-lapse's inspector and the course's notes write a value as the motif syntax
    does (C4q, [C4 E4]h, Rq), never as the codec's token (N60_d4)."""
    import re

    token = re.compile(r"\b(?:N\d+|C[\d.]+|R)_d\d+\b")
    assert len(course_lab.names) == len(course_lab.labels)
    assert all(motif.encode(n) == [v] for n, v in zip(course_lab.names, course_lab.labels))  # the same values
    sample = course_lab.short_sample(course_lab.trainer.token_model(), 0)
    assert not any(token.search(label) for label in sample.labels)
    vocab = course_lab.course_vocab
    assert not token.search(cm.composing_note(vocab.mapping, vocab.itos))


def test_the_codec_explanation_writes_values_as_the_page_does():
    """assets/explain/music_codec.md's examples are the motif spelling, each the value the take-home code stores."""
    from tests.support import ROOT

    text = (ROOT / "assets" / "explain" / "music_codec.md").read_text(encoding="utf-8")
    for shown, stored in (("C4q", "N60_d4"), ("[C4 E4 G4]e", "C60.64.67_d2"), ("Rq", "R_d4")):
        assert f"`{shown}`" in text and f"`{stored}`" in text
        assert motif.encode(shown) == [stored] and motif.value_text(stored) == shown
    assert text.index("`C4q`") < text.index("`N60_d4`")  # the readable spelling first; the token only for the code
