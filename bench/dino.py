"""4. The numpy Dinosaur RNN: iterations (names) per second, and held-out NLL per character vs a bigram.

Split: the bundled names shuffled with a fixed seed, the last 10% held out. ``DinoTrainer`` (the page's
defaults: ``DinoConfig()``, only the iteration cap lifted so the time budget decides) trains on the rest
in the page's slices (``core.labs.dino_lab.DinoLab.run_slice``: the lab object the page uses). Held-out NLL per
character: each name
is read from the zero state as the course samples (X = [None] + name, Y = name + '\\n'), summed
cross-entropy over all names / number of predicted characters (letters + the closing newline).
Baseline: a bigram count model P(c | previous c) with add-one smoothing (as in makemore), '\\n' as the
start and end symbol, fitted on the same training names.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from bench.common import DINOS, Settings, log, now


def split_names(names: list[str], seed: int = 0, held_out: float = 0.1) -> tuple[list[str], list[str]]:
    order = np.random.default_rng(seed).permutation(len(names))
    n_out = max(1, int(round(len(names) * held_out)))
    shuffled = [names[i] for i in order]
    return shuffled[:-n_out], shuffled[-n_out:]


def bigram_nll(train: list[str], test: list[str], chars: list[str], alpha: float = 1.0) -> float:
    ix = {c: i for i, c in enumerate(chars)}
    V = len(chars)
    counts = np.full((V, V), alpha)
    nl = ix["\n"]
    for name in train:
        seq = [nl] + [ix[c] for c in name] + [nl]
        for a, b in zip(seq, seq[1:]):
            counts[a, b] += 1
    logp = np.log(counts / counts.sum(axis=1, keepdims=True))
    total, n = 0.0, 0
    for name in test:
        seq = [nl] + [ix[c] for c in name] + [nl]
        for a, b in zip(seq, seq[1:]):
            total -= logp[a, b]
            n += 1
    return total / n


def rnn_nll(trainer, test: list[str]) -> float:
    from core.models import numpy_rnn as nr

    total, n = 0.0, 0
    a0 = np.zeros((trainer.config.n_a, 1))
    for name in test:
        X = [None] + [trainer.char_to_ix[c] for c in name]
        Y = X[1:] + [trainer.char_to_ix["\n"]]
        loss, _ = nr.rnn_forward(X, Y, a0, trainer.parameters)
        total += loss
        n += len(Y)
    return total / n


def run(s: Settings) -> dict:
    from core.labs.dino_lab import DinoLab
    from core.models.dino import DinoConfig, load_names

    names = load_names(DINOS)
    train, test = split_names(names)
    train_chars = set("".join(train))
    dropped = [n for n in test if not set(n) <= train_chars]
    test = [n for n in test if set(n) <= train_chars]
    config = replace(DinoConfig(), iterations=10**9)
    lab = DinoLab()
    trainer = lab.configure("bench", train, config)
    slice_s = lab.schedule.slice_s
    bigram = bigram_nll(train, test, trainer.chars)
    curve = [dict(trained_s=0.0, iterations=0, nll=rnn_nll(trainer, test))]
    trained = 0.0
    beat_at = None
    next_check = s.dino_check_every_s
    while trained < s.dino_seconds:
        t0 = now()
        lab.run_slice()
        trained += now() - t0
        if trained >= next_check or trained >= s.dino_seconds:
            nll = rnn_nll(trainer, test)
            curve.append(dict(trained_s=round(trained, 2), iterations=trainer.step, nll=nll))
            if beat_at is None and nll < bigram:
                beat_at = round(trained, 2)
            next_check += s.dino_check_every_s
    final = curve[-1]
    log(
        f"[dino] {trainer.step} names in {trained:.1f} s; held-out NLL {final['nll']:.4f} vs bigram {bigram:.4f}; "
        f"beat at {beat_at}"
    )
    return dict(
        iterations_per_s=trainer.step / trained,
        trained_s=round(trained, 2),
        iterations=trainer.step,
        heldout_nll_per_char=final["nll"],
        bigram_nll_per_char=float(bigram),
        beats_bigram=bool(final["nll"] < bigram),
        seconds_to_beat_bigram=beat_at,
        curve=[dict(c, nll=round(c["nll"], 4)) for c in curve],
        settings=dict(
            config=dict(
                n_a=config.n_a, learning_rate=config.learning_rate, clip_value=config.clip_value, seed=config.seed
            ),
            train_names=len(train),
            heldout_names=len(test),
            heldout_dropped_unknown_chars=len(dropped),
            heldout_chars=sum(len(n) + 1 for n in test),
            slice_s=slice_s,
            bigram_smoothing="add-one",
        ),
    )
