"""Every claim a bundled lesson makes is checked here, and every check here is a claim some lesson makes.

A lesson (lessons/*.md) lists what its steps and questions promise as ``- [id] text`` items
(core.toolkit.links.Claim); ``CHECKS`` holds one function per (lesson, id), registered with ``@claim``. The first
test compares the two sets, so a claim deleted from a lesson without its check, or a check left without its claim,
fails. Each check starts from the lesson's own preset (its ``params``), runs it through the trainers and data the
lab uses, seeded and counted in names or steps (never in seconds), and asserts what the claim says.

Claims about Keras training (a validation loss after so many minutes) are not made: the lessons point to the
trained starting point instead, whose recorded validation loss is checked here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

from core.files import starting_points as sps
from core.inside import param_formula
from core.labs.dino_lab import bundled_names
from core.models.dino import EXPLODE_RATIO, EXPLODE_WINDOW, DinoConfig, DinoTrainer
from core.models.trainer import Stop, StopKind
from core.toolkit import links as cl

CHECKS: dict[str, dict[str, Callable[[cl.Lesson], None]]] = {}
SEEDS = (0, 1, 2)  # every claim about a Dinosaur run holds on these seeds as well as on the preset's own


def claim(lesson: str, claim_id: str):
    """Register the check of claim ``claim_id`` of lesson ``lesson``."""

    def register(fn: Callable[[cl.Lesson], None]) -> Callable[[cl.Lesson], None]:
        assert claim_id not in CHECKS.setdefault(lesson, {}), (lesson, claim_id)
        CHECKS[lesson][claim_id] = fn
        return fn

    return register


def preset(les: cl.Lesson) -> dict:
    """The widget values a lesson's link sets: the lab's defaults, then the preset."""
    spec = cl.spec(les.lab)
    parsed = cl.parse_query(spec, les.params)
    assert parsed.problems == (), parsed.problems
    return {p.key: p.default for p in spec.params} | dict(parsed.values)


def dino_config(les: cl.Lesson) -> DinoConfig:
    """The DinoConfig the Dinosaur page builds from the lesson's preset (pages/dinosaurs.py)."""
    v = preset(les)
    return DinoConfig(
        n_a=int(v["dino_n_a"]),
        learning_rate=float(v["dino_lr"]),
        iterations=int(v["dino_iters"]),
        seed=int(v["dino_seed"]),
        sample_every=int(v["dino_sample_every"]),
        clip_value=float(v["dino_clip"]) if v["dino_clip_on"] else None,
    )


@functools.lru_cache(maxsize=32)
def run(config: DinoConfig, names: int) -> tuple[DinoTrainer, Stop | None]:
    """(a trainer run on the bundled names for ``names`` names, the stop when its guard stopped it first), trained in
    the page's chunks of 100 names; cached, so claims about one run share it. Do not train it further."""
    t = DinoTrainer(bundled_names(), replace(config, iterations=max(config.iterations, names)))
    while t.step < names:
        report = t.train_steps(min(100, names - t.step))
        if report.stop is not None and report.stop.kind is not StopKind.FINISHED:
            return t, report.stop
    return t, None


def trained(config: DinoConfig, names: int) -> DinoTrainer:
    return run(config, names)[0]


def seeds_of(config: DinoConfig) -> list[int]:
    return sorted({config.seed, *SEEDS})


# ---------------------------------------------------------------------------------------------- the registry
def test_every_claim_has_a_check_and_every_check_a_claim():
    in_text = {(les.name, c.id) for les in cl.load_lessons() for c in les.claims}
    checked = {(name, cid) for name, ids in CHECKS.items() for cid in ids}
    assert not in_text - checked, f"claims in lessons/*.md with no check here: {sorted(in_text - checked)}"
    assert not checked - in_text, f"checks here whose claim is gone from the lesson: {sorted(checked - in_text)}"


def test_every_lesson_makes_claims_and_shows_them_without_their_ids():
    for les in cl.load_lessons():
        assert les.claims, f"{les.name} lists no checked claims"
        for c in les.claims:
            assert f"[{c.id}]" not in les.body and c.text in les.body, (les.name, c.id)


def test_claims_are_read_from_list_items_only(tmp_path):
    text = (
        "---\ntitle: T\nlab: dino\nsummary: S\nparams: hidden=8\n---\n#### Steps\n1. Press [Start] now.\n"
        "#### What you should see\n- [one] Step 1: something.\n  * [two-b] nested\n"
    )
    les = cl.parse_lesson("t", text)
    assert [(c.id, c.text) for c in les.claims] == [("one", "Step 1: something."), ("two-b", "nested")]
    assert "1. Press [Start] now." in les.body and "- Step 1: something." in les.body
    with pytest.raises(cl.LessonError, match="more than once"):
        cl.parse_lesson("t", text + "- [one] again\n")


@pytest.mark.parametrize("lesson,claim_id", sorted((les.name, c.id) for les in cl.load_lessons() for c in les.claims))
def test_claim(lesson, claim_id):
    check = CHECKS.get(lesson, {}).get(claim_id)
    assert check is not None, f"{lesson}: the claim {claim_id} has no check"
    check(cl.load_lesson(lesson))


# ---------------------------------------------------------------------------------------------- Dinosaur names
@claim("dino-from-scratch", "untrained-babble")
def _(les):
    t = DinoTrainer(bundled_names(), dino_config(les))
    v = preset(les)
    names = [
        n for n, _ in t.sample_names(v["dino_how_many"], v["dino_temp"], np.random.default_rng(v["dino_sample_seed"]))
    ]
    assert all(t.is_new(n) for n in names), names


@claim("dino-from-scratch", "stops-at-5000")
def _(les):
    config = dino_config(les)
    assert config.iterations == 5000
    t = DinoTrainer(bundled_names(), config)
    report = t.train_steps(config.iterations + 1)  # asks for more than the budget: the run stops by itself
    assert t.step == 5000 and report.stop.kind is StopKind.FINISHED
    assert [it for it, _ in t.sample_batches] == list(range(config.sample_every, 5001, config.sample_every))


@claim("dino-from-scratch", "endings-after-5000")
def _(les):
    config = dino_config(les)
    names = bundled_names()
    endings = sps.genus_endings(names)
    for seed in seeds_of(config):
        before = DinoTrainer(names, replace(config, seed=seed))
        after = trained(replace(config, seed=seed), 5000)
        share = [sps.genus_share(sps.dino_samples(t.parameters, t.char_to_ix, n=100), endings) for t in (before, after)]
        assert share[1] > share[0] + 0.2, (seed, share)


@claim("dino-from-scratch", "smooth-rises-first")
def _(les):
    config = dino_config(les)
    for seed in seeds_of(config):
        t = trained(replace(config, seed=seed), 20000)
        smooth = t.history.train.values["smooth"]
        steps = t.history.train.steps
        start = 7 * np.log(t.vocab_size)
        assert round(start, 2) == 23.07
        peak = int(np.argmax(smooth))
        assert smooth[peak] > start + 3 and steps[peak] > 300, (seed, steps[peak], smooth[peak])  # rises first
        assert smooth[-1] < smooth[peak] - 3, (seed, smooth[-1])  # then falls


@claim("dino-from-scratch", "mostly-new-at-20000")
def _(les):
    config = dino_config(les)
    v = preset(les)
    for seed in seeds_of(config):
        t = trained(replace(config, seed=seed), 20000)
        names = [n for n, _ in t.sample_names(v["dino_how_many"], 1.0, np.random.default_rng(v["dino_sample_seed"]))]
        assert sum(t.is_new(n) for n in names) > len(names) / 2, (seed, names)


@claim("dino-from-scratch", "temperature-zero-same")
def _(les):
    t = trained(dino_config(les), 20000)
    names = {n for n, _ in t.sample_names(5, 0.0, np.random.default_rng(3))}
    assert len(names) == 1, names


@claim("dino-exploding-gradients", "tight-clip-trains")
def _(les):
    config = dino_config(les)
    assert config.clip_value == 0.1 and config.learning_rate == 0.1 and config.iterations == 3000
    for seed in seeds_of(config):
        t, stop = run(replace(config, seed=seed), config.iterations)
        assert stop is None and t.step == config.iterations and t.explosions == 0, (seed, stop)


def _stop_names(config: DinoConfig) -> list[int]:
    """The name at which the guard stopped each seed's run (the run's whole budget when it did not stop)."""
    out = []
    for seed in seeds_of(config):
        t, stop = run(replace(config, seed=seed), config.iterations)
        out.append(t.step + 1 if stop is not None and stop.kind is StopKind.DIVERGED else config.iterations)
    return out


@claim("dino-exploding-gradients", "off-explodes")
def _(les):
    stops = _stop_names(replace(dino_config(les), clip_value=None))
    assert max(stops) < 500, stops


@claim("dino-exploding-gradients", "guard-says-rule")
def _(les):
    stop = run(replace(dino_config(les), clip_value=None), dino_config(les).iterations)[1]
    msg = stop.message
    assert msg.startswith("The loss exploded at name") and "Turn gradient clipping on" in msg, msg
    assert f"over {EXPLODE_WINDOW} names in a row averages more than {EXPLODE_RATIO:g} times a blind guess" in msg


@claim("dino-exploding-gradients", "course-clip-explodes")
def _(les):
    stops = _stop_names(replace(dino_config(les), clip_value=5.0))
    assert max(stops) < 500, stops


@claim("dino-exploding-gradients", "clip-one-later")
def _(les):
    config = dino_config(les)
    at_one, at_five = _stop_names(replace(config, clip_value=1.0)), _stop_names(replace(config, clip_value=5.0))
    seeds = seeds_of(config)
    assert all(one > five for one, five in zip(at_one, at_five)) and max(at_one) < config.iterations, (at_one, at_five)
    assert at_one[seeds.index(3)] > at_five[seeds.index(1)], (at_one, at_five)  # step 3's runs: clip 5 seed 1, 1 seed 3


@claim("dino-exploding-gradients", "small-rate-no-clip")
def _(les):
    config = replace(dino_config(les), learning_rate=0.01)
    for clip in (None, 5.0):
        assert _stop_names(replace(config, clip_value=clip)) == [config.iterations] * len(seeds_of(config)), clip


@claim("dino-exploding-gradients", "five-rarely-cuts")
def _(les):
    config = replace(dino_config(les), learning_rate=0.01, clip_value=5.0)
    for seed in seeds_of(config):
        t = trained(replace(config, seed=seed), config.iterations)
        cut = [clipped for _, _, _, clipped, _ in t.grad_log]
        assert len(cut) == config.iterations // 100 and sum(c > 0 for c in cut) < len(cut) / 2, (seed, cut)


@claim("dino-exploding-gradients", "tight-clip-cuts")
def _(les):
    t = trained(dino_config(les), dino_config(les).iterations)
    assert t.last_trace.clip_value == 0.1 and t.last_trace.total_clipped > 0


# ---------------------------------------------------------------------------------------------- Text
def _shakespeare() -> str:
    return (cl.ROOT / "data" / "shakespeare.txt").read_text(encoding="utf-8")


def _speaker_lines(text: str, speaker: str) -> int:
    return sum(1 for line in text.splitlines() if line == speaker)


@claim("text-temperature", "prime-in-corpus")
def _(les):
    prime, text = preset(les)["text_prime"], _shakespeare()
    from core.text.text_data import TextCorpus

    assert prime == "Brutus:" and set(prime) <= set(TextCorpus(text).chars) and _speaker_lines(text, prime) > 100
    assert "romeo" not in text.lower()  # Romeo and Juliet is not in the bundled text


@claim("text-temperature", "trained-model")
def _(les):
    v = preset(les)
    facts = sps.describe(sps.read("shakespeare"))
    assert facts["title"] == f"{v['text_cell'].upper()} {v['text_hidden']}" and v["text_layers"] == 1
    assert facts["val_loss"] < 2, facts


@claim("text-cells", "speaker-in-corpus")
def _(les):
    text = _shakespeare()
    assert _speaker_lines(text, "Brutus:") > 100 and "romeo" not in text.lower()


@claim("text-cells", "param-factors")
def _(les):
    v = preset(les)
    m, d = v["text_hidden"], v["text_embed"]
    assert m == 128
    simple = param_formula.recurrent_params("simplernn", m, d)
    lstm, gru = param_formula.recurrent_params("lstm", m, d), param_formula.recurrent_params("gru", m, d)
    assert lstm == 4 * simple and 2.9 < gru / simple < 3.1, (simple, lstm, gru)


# ---------------------------------------------------------------------------------------------- Music
def _values(les: cl.Lesson, files: list[tuple[str, bytes]]) -> list:
    from core.music.music_codec import CodecOptions
    from core.music.music_data import load_uploads

    v = preset(les)
    pieces, problems = load_uploads(files, CodecOptions(max_chord=v["music_max_chord"], transpose=v["music_transpose"]))
    assert problems == [], problems
    return pieces


@claim("music-memorise", "tiny-corpus")
def _(les):
    pieces = _values(les, [(d, (cl.MIDI_DIR / d).read_bytes()) for d in les.downloads])
    total = sum(len(p.values) for p in pieces)
    assert len(pieces) == 3 and 100 <= total < 1000, total


@claim("music-memorise", "no-validation")
def _(les):
    from core.music.music_data import MusicCorpus

    small = MusicCorpus(_values(les, [(d, (cl.MIDI_DIR / d).read_bytes()) for d in les.downloads]))
    folder = cl.MIDI_DIR / "irish_folk"
    big = MusicCorpus(_values(les, [(p.name, p.read_bytes()) for p in sorted(folder.glob("*.mid"))]))
    assert small.val_idx == [] and len(big) == 200 and len(big.val_idx) == 20, (len(big), len(big.val_idx))


@claim("text-temperature", "topk-one-greedy")
def _(les):
    from core.models.sampling import adjust_distribution

    rng = np.random.default_rng(0)
    for _ in range(20):
        p = rng.dirichlet(np.ones(65))
        for t in (0.5, 0.8, 1.0, 1.2, 1.5):
            np.testing.assert_array_equal(adjust_distribution(p, t, top_k=1), adjust_distribution(p, 0.0))


@claim("text-temperature", "temperature-one-is-model")
def _(les):
    from core.models.sampling import adjust_distribution

    p = np.random.default_rng(1).dirichlet(np.ones(65))
    np.testing.assert_allclose(adjust_distribution(p, 1.0, top_k=0), p / p.sum())


def _preset_pieces(les: cl.Lesson) -> list:
    from core.music.music_codec import CodecOptions
    from core.music.music_data import load_bundled

    v = preset(les)
    style = next(
        slug for slug, label in cl.spec("music").by_key()["music_source"].options if label == v["music_source"]
    )
    pieces, _ = load_bundled(style, CodecOptions(max_chord=v["music_max_chord"], transpose=v["music_transpose"]))
    return list(pieces)


@claim("music-course-jazz", "params-45530")
def _(les):
    from core.models import course_model as cm

    v = preset(les)
    assert v["music_model"] == "course" and v["music_hidden"] == 64
    assert cm.course_param_count(64, 90) == 4 * (64 * (90 + 64) + 64) + 64 * 90 + 90 == 45_530


@claim("music-course-jazz", "capped-to-90")
def _(les):
    from core.models import course_model as cm

    values = [p.values for p in _preset_pieces(les)]
    assert len({x for vs in values for x in vs}) > 90
    itos, mapping = cm.cap_vocabulary(values, cm.N_VALUES)
    assert len(itos) == 90 and len(set(mapping.values())) == 90


@claim("music-course-jazz", "tx-shares-weights")
def _(les):
    from core.models import course_model as cm

    v = preset(les)
    assert v["music_seq_len"] == 30
    counts = set()
    for tx in (30, 60):
        layers = cm.course_layers(90, v["music_hidden"], seed=0)
        counts.add(cm.djmodel(tx, layers).count_params())
    assert counts == {cm.course_param_count(v["music_hidden"], 90)}


@claim("text-gru-tutorial", "lesson-gru-count")
def _(les):
    v = preset(les)
    assert (v["text_cell"], v["text_hidden"], v["text_embed"]) == ("gru", 256, 256)
    assert param_formula.recurrent_params("gru", 256, 256) == 3 * (256 * 256 + 256 * 256 + 2 * 256) == 394_752


@claim("text-gru-tutorial", "tutorial-gru-count")
def _(les):
    assert param_formula.recurrent_params("gru", 1024, preset(les)["text_embed"]) == 3_938_304


@claim("text-gru-tutorial", "gru-prime-in-corpus")
def _(les):
    CHECKS["text-temperature"]["prime-in-corpus"](les)


@claim("text-gru-tutorial", "gru-temperature-one")
def _(les):
    assert preset(les)["text_temp"] == 1.0 and preset(les)["text_topk"] == 0
    CHECKS["text-temperature"]["temperature-one-is-model"](les)
