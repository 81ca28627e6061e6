"""1. Text training throughput on the bundled Shakespeare: training characters (predicted targets) per second.

Competitors, interleaved round by round so that load on a shared machine hits all of them alike:

* ``seed_style``  the classic Keras text-generation tutorial: one-hot windows of 16 characters, LSTM 128,
  Dense softmax, RMSprop, batch 32, ``model.fit``; one prediction (the next character) per window.
* ``plain_fit``   ``model.fit`` of the exact many-to-many model the project trains
  (``core.keras_model.build_model`` + Adam with clipnorm + sparse cross-entropy from logits), same batch and
  window length as the project's defaults; every position is a prediction.
* ``project``     ``SequenceTrainer.train_steps`` driven the way the Text lab drives it: ~0.5 s slices of
  chunks (``core.text_lab.TextLab.run_slice``, through bench.appdriver), with the page's periodic validation pass and live sample.
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

import numpy as np

from bench.appdriver import AppDriver
from bench.common import DEFAULT_HIDDEN, Settings, bundled_corpus, log, median, now

SEED_WINDOW, SEED_BATCH, SEED_HIDDEN = 16, 32, 128


class _EpochTimer:
    def __init__(self):
        import keras

        class CB(keras.callbacks.Callback):
            def on_epoch_begin(cb, epoch, logs=None):
                cb.t0 = now()

            def on_epoch_end(cb, epoch, logs=None):
                self.times.append(now() - cb.t0)

        self.times: list[float] = []
        self.cb = CB()


class SeedStyle:
    """The classic tutorial's way: one-hot windows, one prediction per window."""

    name = "seed_style"

    def __init__(self, corpus, seconds: float, seed: int = 0):
        import keras

        V = corpus.vocab_size
        self.V = V
        self.ids = corpus.train_ids
        self.rng = np.random.default_rng(seed)
        keras.utils.set_random_seed(seed)
        self.model = keras.Sequential(
            [keras.Input((SEED_WINDOW, V)), keras.layers.LSTM(SEED_HIDDEN), keras.layers.Dense(V, activation="softmax")]
        )
        self.model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.01), loss="categorical_crossentropy")
        self.timer = _EpochTimer()
        self.seconds = seconds
        self.steps = 4

    def _data(self, n: int):
        starts = self.rng.integers(0, len(self.ids) - SEED_WINDOW - 1, size=n)
        idx = starts[:, None] + np.arange(SEED_WINDOW + 1)[None, :]
        w = self.ids[idx]  # (n, 17)
        eye = np.eye(self.V, dtype=np.float32)
        return eye[w[:, :-1]], eye[w[:, -1]]  # (n, 16, V), (n, V)

    def _fit(self, steps: int) -> float:
        x, y = self._data(steps * SEED_BATCH)
        self.model.fit(x, y, batch_size=SEED_BATCH, epochs=1, verbose=0, shuffle=False, callbacks=[self.timer.cb])
        return self.timer.times[-1]

    def warm_up(self) -> None:
        self._fit(4)  # traces
        dt = self._fit(8)
        self.steps = max(4, int(self.seconds / max(dt / 8, 1e-4)))

    def run(self) -> float:
        dt = self._fit(self.steps)
        return self.steps * SEED_BATCH / dt  # one prediction per window


class PlainFit:
    """``model.fit`` of the project's own model (same architecture, optimizer, batch and window)."""

    def __init__(self, corpus, config, seconds: float, *, jit: bool = False):
        import keras

        from core.keras_model import CLIPNORM, build_model

        self.name = "plain_fit_xla" if jit else "plain_fit"
        self.corpus, self.config, self.seconds = corpus, config, seconds
        self.rng = np.random.default_rng(config.seed)
        self.model = build_model(corpus.vocab_size, config)
        self.model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate, clipnorm=CLIPNORM),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            jit_compile=jit,
        )
        self.timer = _EpochTimer()
        self.steps = 2

    def _fit(self, steps: int) -> float:
        c = self.config
        x, y = self.corpus.sample_batch(self.rng, steps * c.batch_size, c.seq_len)
        self.model.fit(x, y, batch_size=c.batch_size, epochs=1, verbose=0, shuffle=False, callbacks=[self.timer.cb])
        return self.timer.times[-1]

    def warm_up(self) -> None:
        self._fit(2)
        dt = self._fit(3)
        self.steps = max(2, int(self.seconds / max(dt / 3, 1e-4)))

    def run(self) -> float:
        dt = self._fit(self.steps)
        return self.steps * self.config.batch_size * self.config.seq_len / dt


class Project:
    """The app's trainer, ticked like the Text lab's live fragment (``ui_work=False``: slices only, without the
    page's periodic validation pass and live sample, to show what those cost)."""

    def __init__(self, corpus, config, seconds: float, *, ui_work: bool = True):
        self.name = "project" if ui_work else "project_slices_only"
        self.driver = AppDriver(corpus, config, ui_work=ui_work)
        self.trainer = self.driver.t
        self.ticks = max(1, round(seconds / self.driver.schedule.slice_s))

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
    from core.keras_model import RNNConfig

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
                dict(cell="lstm", hidden=SEED_HIDDEN, window=SEED_WINDOW, batch=SEED_BATCH, input="one-hot", optimizer="RMSprop 0.01",
                     counts="one predicted character per window")
                if c.name == "seed_style"
                else dict(asdict(cfg), counts="batch x seq_len predicted characters per step")
            )
            if c.name.startswith("project"):
                settings["driven_as"] = c.driver.describe()
            result[c.name + suffix] = dict(
                chars_per_s=median(reps[c.name]), repeats=[round(x, 1) for x in reps[c.name]], hidden=hidden, settings=settings
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
                result["ratios" + suffix]["plain_fit_vs_seed_style"] = median([p / q for p, q in zip(reps["plain_fit"], reps["seed_style"])])
            if "project_slices_only" in reps:
                result["ratios" + suffix]["project_slices_only_vs_plain_fit"] = median(
                    [p / q for p, q in zip(reps["project_slices_only"], reps["plain_fit"])])
            if "plain_fit_xla" in reps:
                result["ratios" + suffix]["plain_fit_xla_vs_plain_fit"] = median([p / q for p, q in zip(reps["plain_fit_xla"], reps["plain_fit"])])
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
        log("[throughput] the Text lab in Chromium against plain fit, alternated round by round (issue #14, 1d)")
        result["project_in_browser_vs_fit"] = browser.versus_fit(3, 20.0)
        log("[throughput] issue #3's newcomer in Chromium: Start, one minute")
        result["newcomer_in_browser"] = browser.newcomer(60.0)
    result["corpus"] = dict(name="bundled Shakespeare (data/shakespeare.txt)", chars=len(corpus.text), vocab=corpus.vocab_size)
    result["repeats"] = s.repeats
    result["seconds_per_repeat"] = s.tp_seconds
    return result
