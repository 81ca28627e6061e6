"""Look inside, the Influence and How far back views (core.inside.influence): what the curves look like after a fixed
training time, and how long a view takes next to the sampler's own pass.

``python -m bench.inside [--seconds 60] [--hidden 256] [--out docs/inside.md]`` prints the results and writes them
as markdown.

1. **How far back, per cell.** A Text lab (core.labs.text_lab.TextLab, driven as the page's live fragment drives it:
   ``run_slice()``) trains SimpleRNN, LSTM and GRU of the same size for a fixed wall time each, on tiny Shakespeare
   from ../shared/data when present (read in place, never copied), else the bundled text. The distance curve
   (``core.inside.influence.measure_lab``, what the "Measure" button runs) is recorded before training and after it.
2. **Time of a view.** A 512-unit Keras model (built by core.models.keras_model, random weights: the time does not
depend on
   them) over 500 characters of held-out text: the Influence view's whole work (copying the weights into numpy as
   the page does once per step, the gradient over the 500 earlier characters, the shaded HTML) against the sampler's
   forward pass over the same characters (``NumpyRNN.next_token_probs``, what Generate costs), and the Measure
   button's distance curve. Median of 3 after a warm-up, with TensorFlow loaded (as in the app's server).
3. **Other sessions.** Another session's training slices (a Text lab, LSTM 128, ticking in a thread) while this
   session computes views back to back, against the same slices without views: the longest slice and the median.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from bench.common import (  # noqa: E402 - after the path above
    ROOT,
    SHAKESPEARE,
    TINY_SHAKESPEARE,
    load_average,
    log,
    machine,
    median_time_s,
    quiet_tensorflow,
    today,
)  # noqa: E402

CELLS = ("simplernn", "lstm", "gru")
SHOW_AT = (1, 2, 5, 10, 20, 50, 100)  # distances in the table
VIEW_CHARS = 500  # the bar: a 512-unit model over 500 characters …
BAR_S = 2.0  # … within 2 s
OUT = ROOT / "docs" / "inside.md"
ROUNDS = 3  # alone / with views, alternated


_median_s = median_time_s  # one timing helper for every benchmark (bench.common)


def _corpus():
    from core.text.text_data import TextCorpus

    path = TINY_SHAKESPEARE if TINY_SHAKESPEARE.exists() else SHAKESPEARE
    return TextCorpus(path.read_text(encoding="utf-8")), path.name


def curves(seconds: float, hidden: int) -> dict:
    """Distance curves before and after ``seconds`` of training, per cell."""
    from core.inside import influence as inf
    from core.labs.text_lab import DEFAULTS, TextLab
    from core.units import in_unit

    corpus, name = _corpus()
    out = {"corpus": name, "seconds": seconds, "hidden": hidden, "cells": {}, "load": load_average() or [float("nan")]}
    for cell in CELLS:
        lab = TextLab()
        lab.schedule = replace(TextLab.schedule, sample_every_s=None)  # no live sample (the page's validation stays)
        cfg = replace(DEFAULTS, cell=cell, hidden=hidden)
        lab.configure_text("bench", name, corpus, cfg)
        before, what = inf.measure_lab(lab)
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            stop = lab.run_slice()
            if stop is not None:
                log(f"{cell}: {in_unit(stop.message)}")
                break
        lab.trainer.evaluate()
        after, _ = inf.measure_lab(lab)
        out["cells"][cell] = dict(
            label=cfg.label(),
            steps=lab.trainer.step,
            val_loss=lab.trainer.history.last_val(),
            measured_on=what,
            before=dict(zip(before.distances.tolist(), before.mean.tolist())),
            after=dict(zip(after.distances.tolist(), after.mean.tolist())),
            curve_s=after.seconds,
        )
        log(
            f"{cell}: {lab.trainer.step} steps, val {lab.trainer.history.last_val():.3f}, curve in "
            f"{after.seconds:.2f} s"
        )
        del lab
    return out


def view_times(hidden: int = 512) -> dict:
    """The Influence view of a ``hidden``-unit Keras model over VIEW_CHARS characters vs the sampler's pass."""
    from core.inside import influence as inf
    from core.models.keras_model import RNNConfig, build_model
    from core.models.numpy_cells import NumpyRNN
    from ui.inside.influence_view import shaded_html

    corpus, _ = _corpus()
    ids = [int(i) for i in corpus.val_ids[: VIEW_CHARS + 1]]
    labels = tuple(corpus.labels[i] for i in ids)
    out = {}
    for cell in CELLS:
        model = build_model(corpus.vocab_size, RNNConfig(cell=cell, hidden=hidden))
        rng = np.random.default_rng(0)
        for v in model.variables:
            v.assign(rng.normal(0, 1 / np.sqrt(max(v.shape[0], 1)), v.shape).astype(np.float32))
        model(np.zeros((1, 4), np.int32))  # TensorFlow has run (its thread pool is up, as in the server)
        seq = inf.Explained(tuple(ids), labels, 1, None, "bench")

        def sampler():
            m = NumpyRNN.from_keras(model)
            state = m.initial_state()
            for t in ids[:-1]:
                _, state = m.next_token_probs(state, t)

        def view():
            m = NumpyRNN.from_keras(model)  # the page copies the weights once per (run, step)
            res, start = inf.explain(m, seq, VIEW_CHARS, np.float32)  # as the page computes it
            shaded_html(seq.labels, res.share, VIEW_CHARS, start)

        m = NumpyRNN.from_keras(model)
        base, v = _median_s(sampler), _median_s(view)
        curve = _median_s(lambda: inf.distance_curve(m, [corpus.val_ids]), repeats=1)
        out[cell] = dict(
            sampler_s=base,
            view_s=v,
            ratio=v / base,
            curve_s=curve,
            windows=inf.window_count(inf.as_net(m), inf.MAX_DISTANCE + inf.BURN_IN),
            within_bar=v <= BAR_S,
        )
        log(f"view {cell} {hidden}: {v:.3f} s (sampler {base:.3f} s), curve {curve:.2f} s")
    return out


def interference(seconds: float = 6.0, hidden: int = 512) -> dict:
    """Another session's slice times with and without this session computing views (a 512-unit LSTM's) meanwhile."""
    from core.inside import influence as inf
    from core.labs.text_lab import DEFAULTS, TextLab
    from core.models.numpy_cells import NumpyRNN

    corpus, name = _corpus()
    trainee = TextLab()
    trainee.schedule = replace(TextLab.schedule, sample_every_s=None, eval_every_s=None)
    trainee.configure_text("bench", name, corpus, replace(DEFAULTS, hidden=128))
    trainee.run_slice()  # traced
    viewer = TextLab()
    viewer.configure_text("bench", name, corpus, replace(DEFAULTS, hidden=hidden))
    model = NumpyRNN.from_keras(viewer.trainer.model)
    ids = [int(i) for i in corpus.val_ids[: VIEW_CHARS + 1]]
    seq = inf.Explained(tuple(ids), tuple(corpus.labels[i] for i in ids), 1, None, "bench")

    def slices(with_views: bool) -> list[float]:
        done = threading.Event()
        views = [0]

        def busy():
            while not done.is_set():
                inf.explain(model, seq, VIEW_CHARS, np.float32)
                views[0] += 1

        th = threading.Thread(target=busy) if with_views else None
        if th:
            th.start()
        times, t0 = [], time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            s0 = time.perf_counter()
            trainee.run_slice()
            times.append(time.perf_counter() - s0)
        done.set()
        if th:
            th.join()
        return times, views[0]

    alone, shared, n_views = [], [], 0
    for _ in range(ROUNDS):  # alternated, so the machine's other load falls on both sides alike
        a, _ = slices(False)
        b, n = slices(True)
        alone += a
        shared += b
        n_views += n
    return dict(
        slice_s=trainee.schedule.slice_s,
        alone_median=statistics.median(alone),
        alone_max=max(alone),
        shared_median=statistics.median(shared),
        shared_max=max(shared),
        views=n_views,
        seconds=seconds * ROUNDS,
        alone_p90=float(np.percentile(alone, 90)),
        shared_p90=float(np.percentile(shared, 90)),
        view_s=seconds * ROUNDS / max(n_views, 1),
    )


def markdown(c: dict, v: dict, i: dict, hidden_view: int) -> str:
    lines = [
        "# Look inside: influence and how far back (bench/inside.py)",
        "",
        f"Measured {today()} on {machine().get('cpu', '?')} ({machine().get('cores', '?')} cores, shared with other "
        "work: load "
        f"average {c['load'][0]:.1f} at the start, {(load_average() or [float('nan')])[0]:.1f} at the end). "
        "Reproduce with `python -m bench.inside`.",
        "",
        f"## How far back does each cell look? (hidden {c['hidden']}, {c['seconds']:.0f} s of training each on "
        f"{c['corpus']})",
        "",
        "Mean ‖∂ log p(next character) / ∂ embedding‖ of the character d steps back (the How far back tab's measure, "
        "on "
        "the validation text), before training and after the fixed training time. The last column is how much the "
        "character 50 back counts relative to the one just before.",
        "",
        "| model | steps | val loss | " + " | ".join(f"d={d}" for d in SHOW_AT) + " | d=50 / d=1 |",
        "|---|---|---|" + "---|" * len(SHOW_AT) + "---|",
    ]
    for cell, r in c["cells"].items():
        for when in ("before", "after"):
            curve = r[when]
            vals = " | ".join(f"{curve[d]:.2e}" if d in curve else "–" for d in SHOW_AT)
            ratio = curve[50] / curve[1] if 50 in curve and curve[1] > 0 else float("nan")
            steps = "0" if when == "before" else f"{r['steps']:,}"
            loss = "–" if when == "before" or r["val_loss"] is None else f"{r['val_loss']:.3f}"
            lines.append(f"| {r['label'].split(' · ')[0]} ({when}) | {steps} | {loss} | {vals} | {ratio:.2e} |")
    lines += [
        "",
        f"Each curve averages {next(iter(c['cells'].values()))['measured_on']}.",
        "",
        f"## Time of a view (a {hidden_view}-unit model, {VIEW_CHARS} characters)",
        "",
        "The Influence view's work (weights copied into numpy, the gradient over the 500 earlier characters, the "
        "shaded "
        "HTML) next to the sampler's forward pass over the same characters; and the Measure button's distance curve. "
        f"Median of 3 after a warm-up, TensorFlow loaded. The bar: {BAR_S:g} s.",
        "",
        "| cell | sampler pass (baseline) | influence view | view / baseline | within 2 s | distance curve (windows) |",
        "|---|---|---|---|---|---|",
    ]
    for cell, r in v.items():
        lines.append(
            f"| {cell} | {r['sampler_s']:.3f} s | {r['view_s']:.3f} s | {r['ratio']:.1f}× | "
            f"{'yes' if r['within_bar'] else 'NO'} | "
            f"{r['curve_s']:.2f} s ({r['windows']}) |"
        )
    lines += [
        "",
        "## Another session's training while views are computed",
        "",
        f"A Text lab (LSTM 128) trains in slices of {i['slice_s']} s for {i['seconds']:.0f} s, alone and while "
        "another thread computes "
        f"{hidden_view}-unit influence views back to back ({i['views']} views, {i['view_s']:.2f} s each: a worst "
        "case, a student "
        f"clicks far less often), alternated in {ROUNDS} rounds.",
        "",
        "| | median slice | 90th percentile | longest slice |",
        "|---|---|---|---|",
        f"| alone | {i['alone_median']:.3f} s | {i['alone_p90']:.3f} s | {i['alone_max']:.3f} s |",
        f"| with views | {i['shared_median']:.3f} s | {i['shared_p90']:.3f} s | {i['shared_max']:.3f} s |",
        "",
        "A view is numpy only (no TensorFlow, no lock, no tracing), so it never makes another session wait for it: "
        "the two "
        "only share the CPU (and Python's interpreter lock, between numpy calls). A slice still ends on its own clock "
        "(`Lab.run_slice` checks it between chunks); it runs over when a chunk, sized from the time per step measured "
        "before, meets a busier CPU, by at most about the length of the views that ran meanwhile.",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="training time per cell")
    ap.add_argument("--hidden", type=int, default=256, help="hidden units of the three cells")
    ap.add_argument("--view-hidden", type=int, default=512, help="hidden units of the timed view")
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args(argv)
    quiet_tensorflow()
    c = curves(a.seconds, a.hidden)
    v = view_times(a.view_hidden)
    i = interference(hidden=a.view_hidden)
    md = markdown(c, v, i, a.view_hidden)
    print(md)
    a.out.write_text(md, encoding="utf-8")
    log(f"wrote {a.out}")


if __name__ == "__main__":
    main()
