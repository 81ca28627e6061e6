"""Look for better Text-lab defaults: train several configurations side by side for a fixed training-time
budget and compare validation nats per character.

    .venv/bin/python -m bench.tune --budget 60 --corpus tiny
    .venv/bin/python -m bench.tune --budget 30 --configs lstm:2e-3:100:64,gru:5e-3:100:64

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
    from core.keras_model import RNNConfig

    out = []
    for item in spec.split(","):
        cell, lr, seq, batch = item.split(":")
        cfg = replace(RNNConfig(), cell=cell, hidden=hidden, learning_rate=float(lr), seq_len=int(seq), batch_size=int(batch))
        if embed:
            cfg = replace(cfg, embed_dim=embed)
        out.append(cfg)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.tune", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=float, default=60.0, help="training seconds per configuration")
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
    for cfg in configs:
        d = AppDriver(corpus, cfg, ui_work=False, val_batches=lambda: batches)
        runs.append(dict(cfg=cfg, t=d.t, d=d, points=[], next=0))
    checkpoints = [args.budget * f for f in (0.25, 0.5, 0.75, 1.0)]
    wall0 = now()
    while any(r["next"] < len(checkpoints) for r in runs):
        for r in runs:
            if r["next"] >= len(checkpoints):
                continue
            t = r["t"]
            if r["d"].tick():
                r["next"] = len(checkpoints)  # diverged: stop this one
                r["points"].append(dict(trained_s=t.elapsed_s, steps=t.step, val=None, note="stopped (NaN)"))
                continue
            while r["next"] < len(checkpoints) and t.elapsed_s >= checkpoints[r["next"]]:
                val = t.evaluate()
                r["points"].append(dict(budget_s=checkpoints[r["next"]], trained_s=round(t.elapsed_s, 1), steps=t.step, chars=t.tokens_seen, val=val))
                log(f"  {t.config.label()}: {checkpoints[r['next']]:g} s -> val {val:.4f} ({t.step} steps)")
                r["next"] += 1
    results = [
        dict(config=r["cfg"].label(), cell=r["cfg"].cell, lr=r["cfg"].learning_rate, seq_len=r["cfg"].seq_len, batch=r["cfg"].batch_size,
             embed=r["cfg"].embed_dim, chars_per_s=r["t"].tokens_seen / max(r["t"].elapsed_s, 1e-9), points=r["points"])
        for r in runs
    ]
    out = dict(corpus=args.corpus, budget_s=args.budget, hidden=args.hidden, wall_s=round(now() - wall0, 1), results=results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"\n{args.corpus} Shakespeare, hidden {args.hidden}, budget {args.budget:g} s each (interleaved):")
    print(f"{'config':60s} {'chars/s':>8s} " + " ".join(f"{c:>7g}s" for c in checkpoints))
    for r in sorted(results, key=lambda r: (r["points"][-1]["val"] or 99)):
        print(f"{r['config']:60s} {r['chars_per_s']:8.0f} " + " ".join(f"{(p['val'] or float('nan')):8.4f}" for p in r["points"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
