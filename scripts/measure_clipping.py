"""The figures behind the clipping lesson (lessons/dino-exploding-gradients.md): where the Dinosaur lab's guard stops
a run, for each clip setting, on several seeds.

    .venv/bin/python scripts/measure_clipping.py            # seeds 0-4, 3,000 names each
    .venv/bin/python scripts/measure_clipping.py --seeds 10

Each run is the lesson's preset (hidden 50, the bundled names) with one learning rate and clip setting, trained
through ``DinoTrainer.train_steps`` in chunks of 100 names, as the page's slices do; the guard is the trainer's
own (core/models/dino.py). A cell shows the name at which the guard stopped the run, or "trains" with the loss per
letter of the last 500 names over a blind guess's when it trained them all. The table goes to stdout as Markdown
(lessons/README.md quotes it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.labs.dino_lab import bundled_names  # noqa: E402
from core.models.dino import DinoConfig, DinoTrainer  # noqa: E402

SETTINGS = [  # (learning rate, clip value or None), in the lesson's order
    (0.1, 0.1),
    (0.1, None),
    (0.1, 5.0),
    (0.1, 1.0),
    (0.01, None),
    (0.01, 5.0),
]
NAMES = 3000  # the lesson's iteration budget
CHUNK = 100  # names per train_steps call


def run(names: list[str], lr: float, clip: float | None, seed: int, n: int = NAMES) -> tuple[int | None, float]:
    """(the name the guard stopped at or None, the last 500 names' loss over a blind guess's)."""
    t = DinoTrainer(names, DinoConfig(n_a=50, learning_rate=lr, clip_value=clip, seed=seed, iterations=n))
    ratios = []  # each trained name's loss over a blind guess's
    while not t.done:
        start = t.step
        report = t.train_steps(CHUNK)
        if t.explosions:
            return t.step + 1, float("nan")
        ratios += [loss / t.uniform_loss(len(t.example(start + i)[1])) for i, loss in enumerate(report.losses)]
    return None, float(np.mean(ratios[-500:]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    names = bundled_names()
    seeds = range(args.seeds)
    print("| learning rate | clip | " + " | ".join(f"seed {s}" for s in seeds) + " |")
    print("|---|---|" + "---|" * len(seeds))
    for lr, clip in SETTINGS:
        cells = []
        for s in seeds:
            stop, ratio = run(names, lr, clip, s)
            cells.append(f"stopped at name {stop:,}" if stop else f"trains ({ratio:.2f})")
        print(f"| {lr:g} | {'off' if clip is None else f'{clip:g}'} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
