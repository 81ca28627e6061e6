"""Look for better Text-lab defaults: train several configurations side by side for a fixed training-time
budget and compare validation nats per character.

    .venv/bin/python -m bench.tune --budget 60 --corpus tiny
    .venv/bin/python -m bench.tune --budget 30 --configs lstm:2e-3:100:64,gru:5e-3:100:64
    .venv/bin/python -m bench.tune --steps 2000 --configs lstm:1e-2:50:64:constant,lstm:1e-2:50:64:decay:600

A configuration is cell:lr:seq_len:batch[:schedule[:half_life[:warmup[:floor]]]] (core.models.lr_schedule; the schedule
defaults to the app's), optionally followed by :drop=P, :layers=N, :hidden=H or :embed=E (dropout defaults to the
cell's,
core.models.keras_model.CELL_DROPOUT). ``--steps N`` budgets optimizer steps instead of seconds: a load-independent
comparison
of schedules on a shared machine (checkpoints at N/8, N/4, N/2, 3N/4, N).

Configurations are trained *interleaved*, one ~0.5 s app slice each in turn, so that a shared machine's load
hits them alike; each stops when its own training time (``SequenceTrainer.elapsed_s``) reaches the budget.
Validation is evaluated at every checkpoint (budget / 4, /2, 3/4, 1) on the same windows for all.
Writes bench/results/tune.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from bench.appdriver import AppDriver  # noqa: E402
from bench.common import RESULTS, bundled_corpus, log, now, quiet_tensorflow, settings_for, tiny_corpus  # noqa: E402
from bench.quality import val_batches  # noqa: E402

DEFAULT_GRID = "lstm:2e-3:100:64,lstm:5e-3:100:64,lstm:1e-2:100:64,gru:2e-3:100:64,gru:5e-3:100:64,gru:1e-2:100:64"


def parse(spec: str, hidden: int, embed: int | None):
    from core.models.keras_model import cell_defaults
    from core.models.lr_schedule import LRSchedule

    out = []
    for item in spec.split(","):
        cell, lr, seq, batch, *rest = item.split(":")
        extra = dict(
            kv.split("=") for kv in rest if "=" in kv
        )  # drop=0.1, embed=128, layers=2, hidden=384: other RNNConfig fields
        rest = [r for r in rest if "=" not in r]
        cfg = replace(
            cell_defaults(cell), hidden=hidden, learning_rate=float(lr), seq_len=int(seq), batch_size=int(batch)
        )
        if "drop" in extra:
            cfg = replace(cfg, dropout=float(extra["drop"]))
        if "layers" in extra:
            cfg = replace(cfg, layers=int(extra["layers"]))
        if "hidden" in extra:
            cfg = replace(cfg, hidden=int(extra["hidden"]))
        item_embed = int(extra["embed"]) if "embed" in extra else embed
        if rest:
            cfg = replace(cfg, lr_schedule=rest[0])
        shape = None
        if len(rest) > 1:
            kw = dict(half_life=int(rest[1]))
            if len(rest) > 2:
                kw["warmup"] = int(rest[2])
            if len(rest) > 3:
                kw["floor"] = float(rest[3])
            shape = LRSchedule(rest[0], **kw)
        if item_embed:
            cfg = replace(cfg, embed_dim=item_embed)
        out.append((cfg, shape, item))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.tune", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--budget", type=float, default=60.0, help="training seconds per configuration")
    ap.add_argument("--steps", type=int, default=0, help="budget in optimizer steps instead of seconds")
    ap.add_argument("--corpus", choices=("tiny", "bundled"), default="tiny")
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--embed", type=int, default=None)
    ap.add_argument("--configs", default=DEFAULT_GRID, help="cell:lr:seq_len:batch,...")
    ap.add_argument("--val-windows", type=int, default=512, help="validation windows of 100 characters (0 = all)")
    ap.add_argument("--out", type=Path, default=RESULTS / "tune.json")
    args = ap.parse_args(argv)

    quiet_tensorflow()
    s = settings_for("full")
    corpus = tiny_corpus(s) if args.corpus == "tiny" else bundled_corpus(s)
    if corpus is None:
        log("tiny Shakespeare is not present (../shared/data/tinyshakespeare.txt); use --corpus bundled")
        return 2
    batches = val_batches(corpus, args.val_windows or None)
    configs = parse(args.configs, args.hidden, args.embed)
    runs = []
    for cfg, shape, spec in configs:
        d = AppDriver(corpus, cfg, ui_work=False, val_batches=lambda: batches)
        d.t.schedule_shape = shape
        runs.append(dict(cfg=cfg, spec=spec, t=d.t, d=d, points=[], next=0, stops=0))
    if args.steps:
        checkpoints = [int(args.steps * f) for f in (0.125, 0.25, 0.5, 0.75, 1.0)]
        progress = lambda t: t.step  # noqa: E731
    else:
        checkpoints = [args.budget * f for f in (0.25, 0.5, 0.75, 1.0)]
        progress = lambda t: t.elapsed_s  # noqa: E731
    wall0 = now()
    while any(r["next"] < len(checkpoints) for r in runs):
        for r in runs:
            if r["next"] >= len(checkpoints):
                continue
            t = r["t"]
            reason = r["d"].tick()
            if reason:  # rolled back: press Start again, as a student would (counted)
                r["stops"] += 1
                log(f"  {r['spec']}: stopped at step {t.step}: {reason[:90]}")
                if r["stops"] > 5:
                    r["next"] = len(checkpoints)
                    r["points"].append(dict(trained_s=t.elapsed_s, steps=t.step, val=None, note="stopped 6 times"))
                continue
            while r["next"] < len(checkpoints) and progress(t) >= checkpoints[r["next"]]:
                val = t.evaluate(full=True)
                train = float(t.history.train.values["smooth"][-1]) if t.history.train.steps else None
                r["points"].append(
                    dict(
                        budget=checkpoints[r["next"]],
                        trained_s=round(t.elapsed_s, 1),
                        steps=t.step,
                        chars=t.tokens_seen,
                        val=val,
                        train=train,
                        lr=t.lr_now(),
                        stops=r["stops"],
                    )
                )
                log(
                    f"  {r['spec']}: {checkpoints[r['next']]:g} -> val {val:.4f}, train {train or float('nan'):.4f} "
                    f"({t.step} steps, {t.elapsed_s:.0f} s, lr {t.lr_now():.2g})"
                )
                r["next"] += 1
    results = [
        dict(
            spec=r["spec"],
            config=r["cfg"].label(),
            cell=r["cfg"].cell,
            stops=r["stops"],
            lr=r["cfg"].learning_rate,
            seq_len=r["cfg"].seq_len,
            batch=r["cfg"].batch_size,
            embed=r["cfg"].embed_dim,
            chars_per_s=r["t"].tokens_seen / max(r["t"].elapsed_s, 1e-9),
            points=r["points"],
        )
        for r in runs
    ]
    out = dict(
        corpus=args.corpus,
        budget_s=args.budget,
        steps=args.steps,
        hidden=args.hidden,
        wall_s=round(now() - wall0, 1),
        results=results,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    unit = "steps" if args.steps else "s"
    print(
        f"\n{args.corpus} Shakespeare, hidden {args.hidden}, budget {args.steps or args.budget:g} {unit} each "
        "(interleaved):"
    )
    print(f"{'config':40s} {'chars/s':>8s} {'stops':>5s} " + " ".join(f"{c:>8g}" for c in checkpoints))
    for r in sorted(results, key=lambda r: r["points"][-1]["val"] or 99):
        print(
            f"{r['spec']:40s} {r['chars_per_s']:8.0f} {r['stops']:5d} "
            + " ".join(f"{(p['val'] or float('nan')):8.4f}" for p in r["points"])
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
