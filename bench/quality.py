"""3. Quality against time: validation nats per character after fixed training-time budgets.

The app's defaults (``core.keras_model.RNNConfig()``) with the cell and hidden size overridden (GRU and LSTM
256), trained by ``SequenceTrainer`` in the app's slices. The budget is the trainer's own ``elapsed_s``:
wall time inside ``train_steps``, including the first call's tracing (a student waits for it too), and
excluding the validation passes. Validation: the last 10% of the text (never trained on) in
non-overlapping windows of 100 characters, each read from a zero state, mean nats per character.
On tiny Shakespeare this is the same 90/10 split nanoGPT's shakespeare_char uses.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from bench.appdriver import AppDriver
from bench.common import Settings, bundled_corpus, log, now, tiny_corpus

VAL_SEQ, VAL_BATCH = 100, 64


def val_batches(corpus, windows: int | None):
    if windows is None:
        return corpus.val_batches(max_batches=10_000, batch_size=VAL_BATCH, seq_len=VAL_SEQ)
    b = min(VAL_BATCH, windows)
    return corpus.val_batches(max_batches=max(1, windows // b), batch_size=b, seq_len=VAL_SEQ)


def train_for(corpus, config, budgets, windows) -> dict:
    batches = val_batches(corpus, windows)
    d = AppDriver(corpus, config, ui_work=False, val_batches=lambda: batches)
    t = d.t
    points = []
    wall0 = now()
    for b in sorted(budgets):
        stops = []  # training stopped (NaN or exploding loss, weights rolled back) and was started again, as a student would
        while t.elapsed_s < b:
            reason = d.tick()
            if reason:
                log("   stopped:", reason)
                stops.append(reason)
        val = t.evaluate()
        recent = [v for v in t.history.train.values["loss"][-50:]]
        points.append(
            dict(budget_s=b, trained_s=round(t.elapsed_s, 2), steps=t.step, chars_seen=t.tokens_seen, val_nats_per_char=val,
                 train_nats_per_char_last50=float(np.mean(recent)) if recent else None, stops=stops)
        )
        log(f"   {config.cell} {config.hidden} @ {b:g} s: val {val:.4f} ({t.step} steps, {t.tokens_seen:,} chars)")
    return dict(
        config=config.label(), val_chars=int(sum(np.size(y) for _, y in batches)), points=points, wall_s=round(now() - wall0, 1)
    )


def run(s: Settings) -> dict:
    from core.keras_model import RNNConfig

    base = RNNConfig()
    out: dict = dict(defaults=base.label(), budgets_s=list(s.quality_budgets), tiny_budgets_s=list(s.tiny_budgets))
    corpora = [("bundled_shakespeare", bundled_corpus(s), s.quality_budgets)]
    tiny = tiny_corpus(s)
    if tiny is not None:
        corpora.append(("tiny_shakespeare", tiny, s.tiny_budgets))
    else:
        out["tiny_shakespeare"] = None
    for name, corpus, budgets in corpora:
        out[name] = dict(chars=len(corpus.text), vocab=corpus.vocab_size)
        for cell in s.quality_cells:
            cfg = replace(base, cell=cell, hidden=s.quality_hidden)
            log(f"[quality] {name}: {cfg.label()}, budgets {budgets}")
            out[name][f"{cell}_{s.quality_hidden}"] = train_for(corpus, cfg, budgets, s.val_windows)
    return out
