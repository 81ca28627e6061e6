"""1. Text training throughput on the bundled Shakespeare: training characters (predicted targets) per second.

Competitors, interleaved round by round so that load on a shared machine hits all of them alike:

* ``seed_style``  the classic Keras text-generation tutorial: one-hot windows of 16 characters, LSTM 128,
  Dense softmax, RMSprop, batch 32, ``model.fit``; one prediction (the next character) per window.
* ``plain_fit``   ``model.fit`` of the exact many-to-many model the project trains
  (``core.models.keras_model.build_model`` + Adam with clipnorm + sparse cross-entropy from logits), same batch and
  window length as the project's defaults; every position is a prediction.
* ``project``     ``SequenceTrainer.train_steps`` driven the way the Text lab drives it: ~0.5 s slices of
  chunks (``core.labs.text_lab.TextLab.run_slice``, through bench.appdriver), with the page's periodic validation pass
  and live sample.
* (full mode) ``project_in_browser``: the Text lab itself in Chromium (bench/browser.py), at its defaults.
* (full mode) ``plain_fit_xla``: as plain_fit with ``jit_compile=True``.
* (quick and full) ``project_slices_only``: the project's slices without the page's validation pass and
  live sample (what that UI work costs).

Timing: ``fit`` is timed from a callback's ``on_epoch_begin`` to ``on_epoch_end`` (so the per-call data
adapter set-up, which a real user pays once, is not charged); the project is timed by wall clock around
its ticks. The first call of each (tracing/compiling) is warm-up and excluded.
"""

from __future__ import annotations

from dataclasses import asdict, replace

from bench.appdriver import AppDriver
from bench.common import DEFAULT_HIDDEN, Settings, bundled_corpus, log, median, now
from bench.competitors import SEED_BATCH, SEED_HIDDEN, SEED_WINDOW, PlainFit, SeedStyle


class Project:
    """The app's trainer, ticked as the page trains it (bench.appdriver; ``ui_work=False``: slices only, without the
    page's periodic validation pass and live sample, to show what those cost)."""

    def __init__(self, corpus, config, seconds: float, *, ui_work: bool = True):
        self.name = "project" if ui_work else "project_slices_only"
        self.driver = AppDriver(corpus, config, ui_work=ui_work)
        self.trainer = self.driver.t
        self.ticks = max(1, round(seconds / self.driver.slice_s))

    def warm_up(self) -> None:
        self.driver.tick()  # traces the train and eval functions
        self.driver.tick()

    def run(self) -> float:
        t = self.trainer
        tok0, t0 = t.tokens_seen, now()
        for _ in range(self.ticks):
            reason = self.driver.tick()
            if reason:
                raise RuntimeError(reason)
        return (t.tokens_seen - tok0) / (now() - t0)


def _interleaved(competitors, repeats: int) -> dict[str, list[float]]:
    for c in competitors:
        t0 = now()
        c.warm_up()
        log(f"  warm-up {c.name}: {now() - t0:.1f} s")
    out: dict[str, list[float]] = {c.name: [] for c in competitors}
    for r in range(repeats):
        for c in competitors:
            out[c.name].append(c.run())
        log("  round", r + 1, {k: round(v[-1]) for k, v in out.items()})
    return out


def _get_rate(result: dict, key: str) -> float | None:
    e = result.get(key)
    return e.get("chars_per_s") if isinstance(e, dict) else None


def run(s: Settings) -> dict:
    from core.models.keras_model import RNNConfig

    corpus = bundled_corpus(s)
    base = RNNConfig()
    result: dict = {}
    groups = []
    for hidden in s.tp_hidden:
        cfg = replace(base, cell="lstm", hidden=hidden)
        comps = [PlainFit(corpus, cfg, s.tp_seconds), Project(corpus, cfg, s.tp_seconds)]
        if hidden == SEED_HIDDEN:
            comps.insert(0, SeedStyle(corpus, s.tp_seconds))
            if s.tp_xla:
                comps.append(PlainFit(corpus, cfg, s.tp_seconds, jit=True))
            if s.tp_decompose:
                comps.append(Project(corpus, cfg, s.tp_seconds, ui_work=False))
        groups.append((hidden, cfg, comps))
    for hidden, cfg, comps in groups:
        log(f"[throughput] LSTM {hidden}: {', '.join(c.name for c in comps)}")
        reps = _interleaved(comps, s.repeats)
        suffix = "" if hidden == SEED_HIDDEN else f"_lstm{hidden}"
        for c in comps:
            settings = (
                dict(
                    cell="lstm",
                    hidden=SEED_HIDDEN,
                    window=SEED_WINDOW,
                    batch=SEED_BATCH,
                    input="one-hot",
                    optimizer="RMSprop 0.01",
                    counts="one predicted character per window",
                )
                if c.name == "seed_style"
                else dict(asdict(cfg), counts="batch x seq_len predicted characters per step")
            )
            if c.name.startswith("project"):
                settings["driven_as"] = c.driver.describe()
            result[c.name + suffix] = dict(
                chars_per_s=median(reps[c.name]),
                repeats=[round(x, 1) for x in reps[c.name]],
                hidden=hidden,
                settings=settings,
            )
        # paired ratios: per round, then the median (robust to load changing between rounds)
        if "plain_fit" in reps:
            pr = [p / q for p, q in zip(reps["project"], reps["plain_fit"])]
            result["ratios" + suffix] = dict(
                project_vs_plain_fit=median(pr),
                project_vs_plain_fit_of_medians=median(reps["project"]) / median(reps["plain_fit"]),
            )
            if "seed_style" in reps:
                ps = [p / q for p, q in zip(reps["project"], reps["seed_style"])]
                result["ratios" + suffix]["project_vs_seed_style"] = median(ps)
                result["ratios" + suffix]["plain_fit_vs_seed_style"] = median(
                    [p / q for p, q in zip(reps["plain_fit"], reps["seed_style"])]
                )
            if "project_slices_only" in reps:
                result["ratios" + suffix]["project_slices_only_vs_plain_fit"] = median(
                    [p / q for p, q in zip(reps["project_slices_only"], reps["plain_fit"])]
                )
            if "plain_fit_xla" in reps:
                result["ratios" + suffix]["plain_fit_xla_vs_plain_fit"] = median(
                    [p / q for p, q in zip(reps["plain_fit_xla"], reps["plain_fit"])]
                )
        for c in comps:
            del c  # free models
    if s.tp_browser_s > 0:
        from bench import browser

        log("[throughput] the Text lab in Chromium (its default settings)")
        b = browser.run(s.tp_browser_s)
        ref = _get_rate(result, f"plain_fit_lstm{DEFAULT_HIDDEN}")
        if "chars_per_s" in b and ref:
            b["vs_plain_fit_default"] = b["chars_per_s"] / ref
        result["project_in_browser"] = b
        log("[throughput] the Text lab in Chromium against plain fit, alternated round by round (1d)")
        result["project_in_browser_vs_fit"] = browser.versus_fit(3, 20.0)
        log("[throughput] a newcomer in Chromium: Start, one minute")
        result["newcomer_in_browser"] = browser.newcomer(60.0)
    result["corpus"] = dict(
        name="bundled Shakespeare (data/shakespeare.txt)", chars=len(corpus.text), vocab=corpus.vocab_size
    )
    result["repeats"] = s.repeats
    result["seconds_per_repeat"] = s.tp_seconds
    return result
