"""3. Quality against time: validation nats per character after fixed training-time budgets.

The app's defaults for each cell (``core.models.keras_model.cell_defaults``: ``RNNConfig()`` with that cell's dropout)
with the hidden size overridden (GRU and LSTM
256), trained by ``SequenceTrainer`` in the app's slices. The budget is the trainer's own ``elapsed_s``:
wall time inside ``train_steps``, including the first call's tracing (a student waits for it too), and
excluding the validation passes. Validation: the last 10% of the text (never trained on) in
non-overlapping windows of 100 characters, each read from a zero state, mean nats per character.
On tiny Shakespeare this is the same 90/10 split nanoGPT's shakespeare_char uses.

Issue #14: on tiny Shakespeare every cell (SimpleRNN, GRU, LSTM) at the app's defaults, learning-rate schedule
included, after 60 / 120 / 300 s; each point also counts the roll-backs (training stopped because the loss
exploded or turned NaN; the benchmark presses Start again, as a student would) and the trainer's events. After the
last budget, the *noise* of a live validation estimate: the spread of estimates on the same weights from disjoint
sets of validation windows of the live size (256 windows of 100 characters, core.labs.text_lab) and of the old live
size (64 windows), against the whole validation part.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from bench.appdriver import AppDriver
from bench.common import Settings, bundled_corpus, log, now, tiny_corpus

NOISE_SIZES = (64, 256)  # validation windows per estimate: the old live set, the live set now (core.labs.text_lab)
NOISE_SETS = 8  # disjoint sets per size (fewer when the validation text is short)

VAL_SEQ, VAL_BATCH = 100, 64


def val_batches(corpus, windows: int | None):
    if windows is None:
        return corpus.val_batches(max_batches=10_000, batch_size=VAL_BATCH, seq_len=VAL_SEQ)
    b = min(VAL_BATCH, windows)
    return corpus.val_batches(max_batches=max(1, windows // b), batch_size=b, seq_len=VAL_SEQ)


def validation_noise(t, corpus) -> dict:
    """Spread of validation estimates on the same weights: disjoint window sets of each live size."""
    from core.models.trainer import token_stats

    out = {}
    for n in NOISE_SIZES:
        sets = corpus.val_window_sets(NOISE_SETS, n, seq_len=VAL_SEQ, batch_size=VAL_BATCH)
        vals = [token_stats(t._eval_fn, s)[0] for s in sets]
        out[str(n)] = dict(
            windows=n,
            sets=len(sets),
            mean=float(np.mean(vals)),
            std=float(np.std(vals)),
            spread=float(np.max(vals) - np.min(vals)),
            values=[round(v, 4) for v in vals],
        )
    return out


def train_for(corpus, config, budgets, windows, noise: bool = False) -> dict:
    batches = val_batches(corpus, windows)
    d = AppDriver(corpus, config, ui_work=False, val_batches=lambda: batches)
    t = d.t
    points = []
    wall0 = now()
    for b in sorted(budgets):
        # training stopped (NaN or exploding loss, weights rolled back) and was started again, as a student would
        stops = []
        while t.elapsed_s < b:
            reason = d.tick()
            if reason:
                log("   stopped:", reason)
                stops.append(reason)
        val = t.evaluate(full=True)
        acc = t.history.last_acc()
        recent = [v for v in t.history.train.values["loss"][-50:]]
        points.append(
            dict(
                budget_s=b,
                trained_s=round(t.elapsed_s, 2),
                steps=t.step,
                chars_seen=t.tokens_seen,
                val_nats_per_char=val,
                val_accuracy=acc,
                train_nats_per_char_last50=float(np.mean(recent)) if recent else None,
                stops=stops,
                rollbacks=len(stops),
                lr_now=t.lr_now(),
            )
        )
        log(f"   {config.cell} {config.hidden} @ {b:g} s: val {val:.4f} ({t.step} steps, {t.tokens_seen:,} chars)")
    out = dict(
        config=config.label(),
        schedule=config.lr_schedule,
        val_chars=int(sum(np.size(y) for _, y in batches)),
        points=points,
        events=[list(e) for e in t.events],
        rollbacks=sum(p["rollbacks"] for p in points),
        wall_s=round(now() - wall0, 1),
    )
    vals = [p["val_nats_per_char"] for p in points]
    out["never_rises"] = all(a >= b for a, b in zip(vals, vals[1:]))
    if noise:
        out["validation_noise"] = validation_noise(t, corpus)
        log(
            "   noise: "
            + ", ".join(
                f"{k} windows: sd {v['std']:.4f}, spread {v['spread']:.4f}" for k, v in out["validation_noise"].items()
            )
        )
    return out


def run(s: Settings) -> dict:
    from core.models.keras_model import RNNConfig, cell_defaults

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
        cells = s.tiny_cells if name == "tiny_shakespeare" else s.quality_cells
        for cell in cells:
            cfg = replace(cell_defaults(cell), hidden=s.quality_hidden)  # the cell's own default dropout (CELL_DROPOUT)
            log(f"[quality] {name}: {cfg.label()}, budgets {budgets}")
            out[name][f"{cell}_{s.quality_hidden}"] = train_for(
                corpus, cfg, budgets, s.val_windows, noise=name == "tiny_shakespeare"
            )
    return out
