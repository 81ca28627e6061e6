"""Reproducibility: the same settings and seed give the same first steps of loss, and what
TensorFlow's op determinism would cost.

Each probe is a fresh Python process (op determinism is process-wide): it builds two fresh Text-lab trainers
(``core.labs.text_lab.new_trainer``) with the app's defaults on the bundled Shakespeare, trains each ``steps`` steps
and reports the largest difference between their losses and the training speed. The probes run with and
without ``tf.config.experimental.enable_op_determinism()``, alternated ``repeats`` times.

    .venv/bin/python -m bench.reproducible [steps] [repeats]
"""

from __future__ import annotations

import json
import subprocess
import sys

from bench.common import ROOT, log, median

PROBE = r"""
import json, sys, time
import numpy as np
import tensorflow as tf
if sys.argv[1] == "1":
    tf.config.experimental.enable_op_determinism()
from core.models.keras_model import RNNConfig
from core.labs.text_lab import bundled_corpus, new_trainer
steps = int(sys.argv[2])
corpus = bundled_corpus("shakespeare.txt")
runs, rates = [], []
for _ in range(2):
    t = new_trainer(corpus, RNNConfig())
    t.train_steps(2)  # traces
    t0 = time.perf_counter()
    losses = t.train_steps(steps - 2).losses
    rates.append((steps - 2) / (time.perf_counter() - t0))
    runs.append(losses)
diff = float(np.max(np.abs(np.asarray(runs[0]) - np.asarray(runs[1]))))
print(json.dumps(dict(max_abs_diff=diff, steps_per_s=float(np.mean(rates)))))
"""


def _probe(determinism: bool, steps: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, "1" if determinism else "0", str(steps)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "probe failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(steps: int = 100, repeats: int = 2) -> dict:
    plain, det = [], []
    for r in range(repeats):
        plain.append(_probe(False, steps))
        det.append(_probe(True, steps))
        log(f"  [reproducible] round {r + 1}: default {plain[-1]}, op determinism {det[-1]}")
    ratios = [d["steps_per_s"] / p["steps_per_s"] for p, d in zip(plain, det)]
    return dict(
        steps=steps,
        repeats=repeats,
        max_abs_diff_default=max(p["max_abs_diff"] for p in plain),
        max_abs_diff_op_determinism=max(d["max_abs_diff"] for d in det),
        steps_per_s_default=median([p["steps_per_s"] for p in plain]),
        steps_per_s_op_determinism=median([d["steps_per_s"] for d in det]),
        op_determinism_speed_ratio=median(ratios),
        model="the Text lab's defaults (RNNConfig()) on the bundled Shakespeare",
    )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    print(json.dumps(run(*args), indent=1))
