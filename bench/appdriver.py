"""Drive a SequenceTrainer the way the Text lab does on every UI tick (pages/text.py ``run_slice``).

The page's constants are read from pages/text.py itself (module-level literals, parsed, not imported: the
page runs Streamlit code at import), so the benchmark follows the page if they change. The chunk rule
(steps per chunk aimed at ~0.25 s, 1..50) and the slice loop (``ui.live.timed_slice``) are the page's.
"""

from __future__ import annotations

import ast
import time

import numpy as np

from bench.common import ROOT

PAGE_DEFAULTS = dict(
    SLICE_SECONDS=0.5, TICK_SECONDS=0.75, EVAL_EVERY_S=4.0, SAMPLE_EVERY_S=8.0, LIVE_SAMPLE_CHARS=200, LIVE_SAMPLE_TEMPERATURE=0.8,
    VAL_BATCHES=4, VAL_BATCH=32, VAL_SEQ=100,
)


def page_constants(path=ROOT / "pages" / "text.py") -> dict:
    """Module-level literal constants of the Text page (falls back to PAGE_DEFAULTS for any it lacks)."""
    out = dict(PAGE_DEFAULTS)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return out
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        try:
            value = ast.literal_eval(node.value)
        except ValueError:
            continue
        targets = node.targets[0]
        names = [targets] if isinstance(targets, ast.Name) else list(getattr(targets, "elts", []))
        values = [value] if isinstance(targets, ast.Name) else list(value) if isinstance(value, tuple) else []
        for n, v in zip(names, values):
            if isinstance(n, ast.Name) and n.id in out:
                out[n.id] = v
    return out


class AppDriver:
    """One Text-lab session: ``tick()`` = what the live fragment does once (a slice, plus the periodic
    validation pass and live sample, with its real-word check, that the page does while training)."""

    def __init__(self, trainer, corpus, *, ui_work: bool = True):
        from ui.live import timed_slice  # the app's slice loop

        self.c = page_constants()
        self.t = trainer
        self.corpus = corpus
        self.ui_work = ui_work  # periodic evaluation + live sample, as the page does
        self._timed_slice = timed_slice
        self.last_eval = 0.0
        self.last_sample = 0.0
        self.evals = 0
        self.samples = 0

    def _chunk(self):
        t = self.t
        per_step = t.elapsed_s / t.step if t.step else 0.25
        n = int(np.clip(0.25 / max(per_step, 1e-4), 1, 50))
        return t.train_steps(n).stopped_reason

    def tick(self) -> str | None:
        t = self.t
        if self.ui_work and t.step == 0 and len(t.val_history) == 0:
            t.evaluate()
            self.last_eval = time.monotonic()
        reason = self._timed_slice(self._chunk, self.c["SLICE_SECONDS"])
        if self.ui_work:
            now = time.monotonic()
            if now - self.last_eval >= self.c["EVAL_EVERY_S"]:
                t.evaluate()
                self.evals += 1
                self.last_eval = time.monotonic()
            if now - self.last_sample >= self.c["SAMPLE_EVERY_S"]:
                from core.text_data import progress_sample  # the page's live sample and its real-word check

                rng = np.random.default_rng([t.config.seed, t.step])
                progress_sample(t.numpy_model(), self.corpus, self.c["LIVE_SAMPLE_CHARS"], self.c["LIVE_SAMPLE_TEMPERATURE"], rng)
                self.samples += 1
                self.last_sample = time.monotonic()
        return reason


def new_trainer(corpus, config, *, val_batches=None):
    """A SequenceTrainer on ``corpus`` with the page's validation windows (or the given ones)."""
    from core.keras_rnn import SequenceTrainer

    c = page_constants()
    if val_batches is None:
        fixed = corpus.val_batches(c["VAL_BATCHES"], c["VAL_BATCH"], c["VAL_SEQ"])
        val_batches = lambda: fixed  # noqa: E731
    return SequenceTrainer(corpus.vocab_size, config, corpus.sample_batch, val_batches)
