"""Build the trained starting points in assets/models/: seeded and deterministic.

    .venv/bin/python scripts/build_models.py                 # all four (see assets/models/README.md for the time)
    .venv/bin/python scripts/build_models.py --only shakespeare --work /tmp/models-work

Each model is trained with the lab's own objects (the trainer and the validation windows its page uses) at the
lab's defaults, then written by core.files.starting_points (model, vocabulary, metadata and the training history).

- dinosaurs: core.labs.dino_lab.DinoLab at DinoConfig() (n_a 50, learning rate 0.01, seed 0), the course's loop,
  DINO_ITERATIONS names.
- shakespeare: core.labs.text_lab.TextLab at the defaults it was built with (LSTM 256, no dropout, embedding 64,
  window 50, batch 64, Adam 0.01, seed 0; the page's defaults are larger now); validation (the lab's windows) every
  EVAL_EVERY steps; the learning rate is divided by 3 whenever the
  validation loss has not improved for PATIENCE evaluations (at least MIN_LR); training stops at the first
  evaluation at or below TEXT_TARGET nats per character (or after TEXT_MAX_STEPS steps).
- bach, irish: core.labs.music_lab.MusicLab on the bundled corpus at the page's defaults (LSTM 64, snippet 30,
  batch 32, Adam 0.003, seed 0, default codec options), MUSIC_STEPS steps.

Deterministic given --seed: every random draw comes from the seed, and TensorFlow runs with op determinism
(tf.config.experimental.enable_op_determinism), so a rerun on the same machine gives the same weights. Training
is counted in steps, never in seconds. ``--work DIR`` keeps each trained model there (a finished model is reused
on the next run, so a long build can be resumed); the models are then packaged into assets/models/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DINO_ITERATIONS = 120_000  # names the Dinosaur model trains on (90 passes over the 1,329 names)
EVAL_EVERY = 250  # Text lab: steps between validation passes
PATIENCE = 3  # Text lab: evaluations without improvement before the learning rate is divided by 3
MIN_LR = 1e-3  # Text lab: the learning rate is never divided below this
TEXT_TARGET = (
    1.45  # Text lab: stop at the first validation loss at or below this (nats per character; the catalogue asks <= 1.6)
)
TEXT_MAX_STEPS = 10_000  # Text lab: stop here whatever the loss
MUSIC_STEPS = 3_000  # Music lab: steps per corpus (the page's step limit is 2,000 by default)
MUSIC_EVAL_EVERY = 100  # Music lab: steps between validation passes


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def machine() -> str:
    """The machine the build ran on, for the README."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def full_validation(trainer) -> float:
    from core.files.starting_points import full_validation as full

    return full(trainer)


def deterministic() -> None:
    from core.models.keras_model import tf_module

    tf = tf_module()
    tf.config.experimental.enable_op_determinism()


# ---------------------------------------------------------------------------------------------- dinosaurs
def train_dino(seed: int):
    from core.labs.dino_lab import DinoLab, bundled_names
    from core.models.dino import DinoConfig

    lab = DinoLab()
    config = DinoConfig(seed=seed, iterations=DINO_ITERATIONS)
    lab.configure("bundled", bundled_names(), config)
    t = lab.trainer
    while not t.done:
        t.train_steps(10_000)
        log(f"dinosaurs: {t.step:,} names, smoothed loss {t.smooth_loss:.3f}")
    return lab


# ---------------------------------------------------------------------------------------------- shakespeare
def train_shakespeare(seed: int, work: Path | None):
    """The Text lab at its defaults, trained until the validation loss reaches TEXT_TARGET (see the docstring).

    With ``work``, the trained model is kept there (model .keras, history and counters) and reused next time."""
    from dataclasses import replace

    from core.files.model_zip import history_from_json, history_to_json
    from core.labs.text_lab import BUNDLED, DEFAULTS, TextLab, TextRun, bundled_corpus, fixed_val_batches

    filename = BUNDLED["Shakespeare (bundled)"]
    corpus = bundled_corpus(filename)
    lab = TextLab()
    config = replace(
        DEFAULTS, seed=seed, hidden=256, dropout=0.0
    )  # as the bundled model was built (before the defaults became 384 units with dropout)
    corpus_id = f"bundled:{filename}"
    keras_file = state_file = None
    if work is not None:
        keras_file, state_file = work / f"shakespeare-seed{seed}.keras", work / f"shakespeare-seed{seed}.state.json"
        if keras_file.exists() and state_file.exists():
            from core.models.keras_trainer import SequenceTrainer

            state = json.loads(state_file.read_text())
            t = SequenceTrainer.load(
                keras_file, corpus.sample_batch, fixed_val_batches(corpus), config_override=state["config"]
            )
            t.history = history_from_json(state["history"])
            t.set_progress(step=state["step"], tokens_seen=state["tokens_seen"], elapsed_s=state["elapsed_s"])
            lab.new_run(t, corpus_id)
            lab.run = TextRun("Shakespeare", corpus, list(corpus.chars))
            log(f"shakespeare: reusing {keras_file} (step {t.step:,}, validation {t.history.last_val():.3f})")
            return lab
    lab.configure_text(corpus_id, "Shakespeare", corpus, config)
    t = lab.trainer
    best, since, lr = float("inf"), 0, config.learning_rate
    full_validation(t)  # step 0: about ln V
    t0 = time.perf_counter()
    while t.step < TEXT_MAX_STEPS:
        report = t.train_steps(EVAL_EVERY)
        if report.stop is not None:
            from core.units import in_unit

            log(f"shakespeare: {in_unit(report.stop.message)}")
        val = full_validation(t)
        rate = t.step / max(time.perf_counter() - t0, 1e-9)
        log(
            f"shakespeare: step {t.step:,} train {t.history.last_smooth():.3f} val {val:.3f} lr {lr:g} ({rate:.1f} "
            "steps/s)"
        )
        if val <= TEXT_TARGET:
            break
        if val < best - 1e-3:
            best, since = val, 0
        else:
            since += 1
            if since >= PATIENCE and lr > MIN_LR:
                lr = max(lr / 3, MIN_LR)
                t.set_training_params(learning_rate=lr)
                since = 0
                log(f"shakespeare: learning rate -> {lr:g}")
    if keras_file is not None:
        from dataclasses import asdict

        t.save(keras_file)
        state = dict(
            config=asdict(t.config),
            step=t.step,
            tokens_seen=t.tokens_seen,
            elapsed_s=t.elapsed_s,
            history=history_to_json(t.history),
        )
        state_file.write_text(json.dumps(state))
    return lab


# ---------------------------------------------------------------------------------------------- music
def train_music(style: str, seed: int):
    from core.labs.music_lab import LSTM, MusicLab, make_config, music_options

    lab = MusicLab()
    lab.use_bundled(style, music_options())
    config = make_config(LSTM, hidden=64, seq_len=30, batch=32, lr=0.003, seed=seed)
    lab.configure_current(config)
    t = lab.trainer
    full_validation(t)
    while t.step < MUSIC_STEPS:
        t.train_steps(MUSIC_EVAL_EVERY)
        val = full_validation(t)
        if t.step % 500 == 0:
            log(f"{style}: step {t.step:,} train {t.history.last_smooth():.3f} val {val:.3f}")
    return lab


# ---------------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    from core.files import starting_points as sp

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=0, help="seeds every model (default 0)")
    ap.add_argument("--only", nargs="*", choices=sorted(sp.CATALOG), help="build only these starting points")
    ap.add_argument("--out", type=Path, default=sp.MODELS_DIR, help="where the model zips go (default assets/models/)")
    ap.add_argument(
        "--work", type=Path, default=None, help="keep each finished model here and reuse it on the next run"
    )
    args = ap.parse_args(argv)
    names = args.only or list(sp.CATALOG)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
    deterministic()
    log(f"building {', '.join(names)} with seed {args.seed} on {machine()}; load average {os.getloadavg()[0]:.1f}")
    timings = {}
    for name in names:
        entry = sp.CATALOG[name]
        cached = None if args.work is None else args.work / entry.filename
        t0 = time.perf_counter()
        if cached is not None and cached.exists():
            data = cached.read_bytes()
            log(f"{name}: reusing {cached}")
        else:
            if entry.lab == "dino":
                lab = train_dino(args.seed)
            elif entry.lab == "text":
                lab = train_shakespeare(args.seed, args.work)
            else:
                lab = train_music(entry.corpus, args.seed)
            data = lab.export_starting_point(
                name, build=dict(seed=args.seed, machine=machine(), seconds=round(time.perf_counter() - t0, 1))
            )
            if cached is not None:
                cached.write_bytes(data)
        (args.out / entry.filename).write_bytes(data)
        timings[name] = round(time.perf_counter() - t0, 1)
        facts = sp.describe(data)
        log(f"{name}: wrote {args.out / entry.filename} ({len(data):,} bytes): {json.dumps(facts)}")
    written = sp.write_manifest(args.out)
    total = sum(e["bytes"] for e in written.values())
    log(f"manifest: {len(written)} models, {total:,} bytes in all (limit {sp.MAX_TOTAL_BYTES:,})")
    log(
        f"done: {json.dumps(timings)} seconds, {sum(timings.values()):.0f} s in all; load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
