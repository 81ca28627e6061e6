"""Every chart in words: a one-sentence summary with the numbers that matter and a table of what it plots.

A sighted student reads numbers off a chart; a screen reader meets scattered tick labels. Each ``*_summary`` here
takes the same plain data its figure in core/charts.py is drawn from and says in one sentence what the picture
shows (the last loss and where it started, the most likely tokens, the most influential earlier letters …).
``figure_table`` reads any figure's own traces back into rows (so the table is what is drawn), thinned to at most
``MAX_ROWS`` rows with charts.thin. ``Progress`` is the live status line of a training run, changed at most every
``ANNOUNCE_S`` seconds so a screen reader's live region is not flooded.

Simplified on purpose: a summary names the few numbers a reader needs, not every point; a table of a long curve
keeps evenly spaced points (first and last always kept); a heatmap's table keeps at most ``MAX_COLUMNS`` columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from core import charts, units

MAX_ROWS = 50  # rows of a "Show the numbers" table at most
MAX_COLUMNS = 16  # data columns of a heatmap's table at most
ANNOUNCE_S = 4.0  # seconds between two changes of the live status line at least
TOP = 3  # tokens, values or units a summary names


@dataclass(frozen=True)
class Table:
    """What a chart plots, as rows."""

    columns: tuple[str, ...]  # column headings
    rows: tuple[tuple, ...]  # one tuple per row, as long as ``columns``


def num(v) -> str:
    """A number as a summary says it: integers with thousands separators, others with 3 significant digits."""
    if v is None:
        return "–"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    v = float(v)
    if not np.isfinite(v):
        return "not a number" if np.isnan(v) else ("infinite" if v > 0 else "minus infinite")
    if v == int(v) and abs(v) < 1e6:
        return f"{int(v):,}"
    return f"{v:.3g}" if abs(v) < 1e-2 or abs(v) >= 1e4 else f"{v:.2f}"


def plain(text: str) -> str:
    """A plotly label as plain text: tags dropped (<br> becomes a space), entities left as they are."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", str(text or ""))).strip()


def thin_rows(rows: Sequence[tuple], max_rows: int = MAX_ROWS) -> list[tuple]:
    """Evenly spaced rows, at most ``max_rows``, the first and the last kept (charts.thin, the loss chart's rule)."""
    _, kept = charts.thin(range(len(rows)), list(rows), max(1, max_rows))
    return kept


# ---------------------------------------------------------------------------------------------- tables
def _axis_title(fig, axis: str, default: str) -> str:
    a = fig.layout[axis]
    return plain(a.title.text) if a is not None and a.title is not None and a.title.text else default


def figure_table(fig, max_rows: int = MAX_ROWS) -> Table | None:
    """The data of ``fig``'s traces as a table (None when it draws no data, e.g. a diagram made of shapes).

    A heatmap: one row per y label, one column per x label (at most ``MAX_COLUMNS``, evenly spaced). Lines broken
    by None gaps (piano rolls): one row per segment (from, to, y). Horizontal bars (piano rolls): one row per bar
    (from, to, y). Other traces: one row per point. Traces drawn only as decoration (hover skipped) are left out.
    Rows are thinned per trace so that at most ``max_rows`` remain in all.
    """
    traces = [t for t in fig.data if t.hoverinfo != "skip"]
    heat = [t for t in traces if t.type == "heatmap"]
    if heat:
        h = heat[0]
        z = np.asarray(h.z, dtype=float)
        xs = list(h.x) if h.x is not None else list(range(z.shape[1]))
        ys = list(h.y) if h.y is not None else list(range(z.shape[0]))
        cols = thin_rows(list(range(len(xs))), MAX_COLUMNS)
        rows = [(ys[i], *(round(float(z[i, c]), 3) for c in cols)) for i in range(len(ys))]
        return Table(("", *(str(xs[c]) for c in cols)), tuple(thin_rows(rows, max_rows)))
    if not traces:
        return None
    x_title, y_title = _axis_title(fig, "xaxis", "x"), _axis_title(fig, "yaxis", "y")
    per_trace: list[list[tuple]] = []
    spans = False
    for t in traces:
        xs = list(t.x) if t.x is not None else []
        ys = list(t.y) if t.y is not None else []
        text = list(t.text) if isinstance(t.text, (list, tuple)) else [None] * len(xs)
        text += [None] * (len(xs) - len(text))
        name = plain(t.name or "")
        rows: list[tuple] = []
        if t.type == "bar" and t.orientation == "h":
            spans = True
            base = list(t.base) if t.base is not None else [0.0] * len(xs)
            for b, w, y, d in zip(base, xs, ys, text):
                rows.append((name, _round(b), _round(b + w), y, plain(d or "")))
        elif any(x is None for x in xs):
            spans = True
            seg: list[int] = []
            for i, x in enumerate([*xs, None]):
                if x is not None:
                    seg.append(i)
                elif seg:
                    rows.append((name, _round(xs[seg[0]]), _round(xs[seg[-1]]), ys[seg[0]], plain(text[seg[0]] or "")))
                    seg = []
        else:
            for x, y, d in zip(xs, ys, text):
                rows.append((name, _round(x), _round(y), plain(d or "")))
        per_trace.append(rows)
    budget = max(1, max_rows // max(1, len(per_trace)))
    rows = [r for tr in per_trace for r in thin_rows(tr, budget)]
    with_detail = any(r[-1] for r in rows)
    if spans:
        cols: tuple[str, ...] = ("series", f"{x_title} from", f"{x_title} to", y_title, "detail")
        rows = [r if len(r) == 5 else (r[0], r[1], r[1], r[2], r[3]) for r in rows]
    else:
        cols = ("series", x_title, y_title, "detail")
    if not with_detail:
        cols, rows = cols[:-1], [r[:-1] for r in rows]
    if len({r[0] for r in rows}) <= 1:
        cols, rows = cols[1:], [r[1:] for r in rows]
    return Table(cols, tuple(rows))


def _round(v):
    if v is None or isinstance(v, str):
        return v
    v = float(v)
    if not np.isfinite(v):
        return v  # a log axis leaves out what it can't show; the table says "not a number"
    return int(v) if v == int(v) and abs(v) < 1e12 else round(v, 4)


# ---------------------------------------------------------------------------------------------- loss charts
def loss_summary(series: Sequence[charts.Series], ref_lines: Sequence[charts.RefLine], unit: str, x_name: str) -> str:
    """ "Loss in nats per character: validation · #1 1.62 at step 1,200, down from 4.17; …; baselines: bigram 2.48."
    Faint raw curves (opacity < 1) are left out when a smoothed one is drawn; the lines of one run are named once
    ("run #1 …: train … ; validation …"); ``x_name`` is the x axis' name ("step")."""
    drawn = [s for s in series if len(s.x) and len(s.y)]
    if not drawn:
        return "No training yet: press Start or Step."
    bold = [s for s in drawn if s.opacity >= 1] or drawn
    names = [plain(s.name) for s in bold[:4]]
    runs = {n.partition(" · ")[2] for n in names}  # "validation · #2 LSTM 16 · …": the run's label after the kind
    run = runs.pop() if len(runs) == 1 and all(" · " in n for n in names) else ""
    parts = []
    for s, name in zip(bold[:4], names):
        n = min(len(s.x), len(s.y))
        first, last = float(s.y[0]), float(s.y[n - 1])
        trend = "down from" if last < first else ("up from" if last > first else "as at the start,")
        shown = name.partition(" · ")[0] if run else name  # one run: its label is said once, before the lines
        parts.append(f"{shown} {num(last)} at {x_name} {num(_int(s.x[n - 1]))}, {trend} {num(first)}")
    if len(bold) > 4:
        parts.append(f"and {len(bold) - 4} more lines")
    text = f"Loss in {unit}: " + (f"run {run}: " if run else "") + "; ".join(parts)
    base = [f"{plain(r.name)}" for r in ref_lines if np.isfinite(r.y)]
    if base:
        text += "; baselines: " + ", ".join(base)
    return text + "."


def _int(v):
    f = float(v)
    return int(f) if f == int(f) else f


# ---------------------------------------------------------------------------------------------- distributions
def _top(p: np.ndarray, labels: Sequence[str], k: int = TOP) -> str:
    idx = np.argsort(-np.asarray(p, float), kind="stable")[:k]
    return ", ".join(f"'{labels[i]}' {float(p[i]):.2f}" for i in idx if p[i] > 0)


def distribution_summary(probs, adjusted, labels: Sequence[str], picked: int) -> str:
    """One step of the inspector: the pick with both probabilities, and the model's most likely tokens."""
    probs, adjusted = np.asarray(probs, float), np.asarray(adjusted, float)
    return (
        f"Picked '{labels[picked]}': {adjusted[picked]:.2f} in the distribution sampled from, "
        f"{probs[picked]:.2f} by the model (T = 1). Most likely by the model: {_top(probs, labels)}; "
        f"sampled from: {_top(adjusted, labels)}."
    )


def heatmap_summary(records: Sequence, labels: Sequence[str]) -> str:
    """The inspector's heatmap: how many steps, the surest and the least sure pick (probability sampled from)."""
    if not records:
        return "Nothing generated yet."
    p = [float(r.adjusted[r.picked]) for r in records]
    hi, lo = int(np.argmax(p)), int(np.argmin(p))
    return (
        f"{len(records)} generated steps; the surest pick is step {hi} '{labels[records[hi].picked]}' "
        f"({p[hi]:.2f}), the least sure step {lo} '{labels[records[lo].picked]}' ({p[lo]:.2f}); "
        f"mean probability of the picks {np.mean(p):.2f}."
    )


def temperature_summary(before, after, labels: Sequence[str], top: Sequence[int], temperature: float) -> str:
    """The temperature view: the most likely token before and after, and how many tokens are drawn."""
    before, after = np.asarray(before, float), np.asarray(after, float)
    best = int(top[0])
    return (
        f"At T = {temperature:g} the most likely token '{labels[best]}' goes from {before[best]:.2f} to "
        f"{after[best]:.2f}; the {len(top)} most likely tokens are drawn. Model: {_top(before, labels)}; "
        f"after temperature: {_top(after, labels)}."
    )


def _from_to(a: float, b: float) -> str | None:
    """ "from 90.4% to 80.1%", with as many decimals (up to 4) as it takes for the two to read differently; None when
    they read the same even then."""
    for d in range(1, 5):
        x, y = f"{a:.{d}%}", f"{b:.{d}%}"
        if x != y:
            return f"from {x} to {y}"
    return None


def temperature_effect(rw, labels: Sequence[str], top: Sequence[int]) -> str:
    """What temperature does to this distribution, in words, with an example computed from it that shows the claim:
    ``rw`` is a core.models.sampling.Reweighted. T > 1 lowers the most likely token and raises the least likely one
    (after temperature alone: top-k may then take the probability back), T < 1 the other way round; when neither
    change shows at four decimals the sentence says so instead of quoting numbers that contradict it."""
    T = rw.temperature
    before, tempered, after = rw.before, rw.by_temperature, rw.after
    best = int(top[0])
    if T == 0:
        return (
            f"**T = 0 always picks the most likely token** (here `{labels[best]}`), so every sample from the same "
            "start is the same: the same name, the same text, the same tune."
        )
    if T == 1:
        said = "T = 1 samples from the model's own distribution."
    else:
        hotter = T > 1
        moves = (lambda i: tempered[i] > before[i]) if hotter else (lambda i: 0 < tempered[i] < before[i])
        shown = [int(i) for i in top[1:] if before[i] > 0 and moves(int(i))]
        live = np.flatnonzero(before > 0)
        low = shown[-1] if shown else int(live[np.argmin(before[live])])  # the least likely moves the claimed way
        head = (
            f"T > 1 flattens: p^(1/{T:g}) gives the unlikely tokens more"
            if hotter
            else f"T < 1 sharpens: p^(1/{T:g}) favours the likely tokens"
        )
        top_moved, low_moved = _from_to(before[best], tempered[best]), _from_to(before[low], tempered[low])
        if low == best or top_moved is None or low_moved is None:
            said = f"{head} (here the change is too small to show: `{labels[best]}` stays at {before[best]:.1%})."
        else:
            up, down = ("falls", "rises") if hotter else ("rises", "falls")
            said = f"{head} (`{labels[best]}` {up} {top_moved}, `{labels[low]}` {down} {low_moved})."
    if rw.top_k:
        said += (
            f" Top-k {rw.top_k} then keeps only the {rw.top_k} most likely and shares their probability out again "
            f"(`{labels[best]}` ends at {after[best]:.1%})."
        )
    return said


# ---------------------------------------------------------------------------------------------- music
def piano_roll_summary(parts: Sequence[tuple[str, Sequence[tuple[float, float, int]], str]]) -> str:
    """Per part: how many notes, how long, the pitch range and the most common pitch (note names from pretty_midi)."""
    from pretty_midi import note_number_to_name

    said = []
    for name, notes, _ in parts:
        if not len(notes):
            continue
        pitches = [int(p) for _, _, p in notes]
        end = max(e for _, e, _ in notes)
        common = max(set(pitches), key=pitches.count)
        said.append(
            f"{plain(name)}: {len(notes):,} notes over {end:.1f} s, from {note_number_to_name(min(pitches))} to "
            f"{note_number_to_name(max(pitches))}, most often {note_number_to_name(common)}"
        )
    return ("; ".join(said) + ".") if said else "No notes."


# ---------------------------------------------------------------------------------------------- look inside
def influence_summary(labels: Sequence[str], shares: Sequence[float], chosen: str, what: str = "letters") -> str:
    """ "Most influential earlier letters: 'a' 0.31 (2 back), …" for the prediction of ``chosen``; ``labels[i]`` and
    ``shares[i]`` are the earlier tokens in order (the last is just before), shares of the largest gradient norm."""
    shares = np.asarray(shares, float)
    if shares.size == 0:
        return f"Nothing comes before '{chosen}'."
    idx = [i for i in np.argsort(-shares, kind="stable")[:TOP] if shares[i] > 0]
    n = len(labels)
    said = ", ".join(f"'{labels[i]}' {shares[i]:.2f} ({n - i} back)" for i in idx)
    return f"Predicting '{chosen}': most influential earlier {what}: {said or 'none'} (share of the largest)."


def influence_table(labels: Sequence[str], shares: Sequence[float], max_rows: int = MAX_ROWS) -> Table:
    """Every earlier token with its share and how far back it is (the nearest ``max_rows``)."""
    n = len(labels)
    rows = [(n - i, labels[i], round(float(s), 3)) for i, s in enumerate(shares)][-max_rows:]
    return Table(("back", "token", "share of the largest"), tuple(reversed(rows)))


def activation_summary(labels: Sequence[str], acts: Sequence[float], unit: str) -> str:
    """One unit over a sequence: where it is highest and lowest, and its mean."""
    a = np.asarray(acts, float)
    if a.size == 0:
        return f"{unit}: no input."
    hi, lo = int(np.argmax(a)), int(np.argmin(a))
    return (
        f"{unit}: highest {a[hi]:+.2f} at position {hi} '{labels[hi]}', lowest {a[lo]:+.2f} at position {lo} "
        f"'{labels[lo]}', mean {a.mean():+.2f} over {a.size:,} positions."
    )


def activation_table(labels: Sequence[str], acts: Sequence[float], max_rows: int = MAX_ROWS) -> Table:
    rows = [(i, lab, round(float(v), 3)) for i, (lab, v) in enumerate(zip(labels, acts))]
    return Table(("position", "input", "activation"), tuple(thin_rows(rows, max_rows)))


def gate_summary(shares: Sequence[tuple[str, int, Sequence[float], Sequence[float]]]) -> str:
    """Per gate and layer: the mean share of steps nearly closed and nearly open, units open more than half the time."""
    said = []
    for gate, layer, lo, hi in shares:
        lo, hi = np.asarray(lo, float), np.asarray(hi, float)
        said.append(
            f"{gate} gate, layer {layer + 1}: nearly closed {lo.mean():.0%} and nearly open {hi.mean():.0%} of the "
            f"steps on average; {int((hi > 0.5).sum())} of {hi.size} units open more than half the time"
        )
    return ("; ".join(said) + ".") if said else "No gates."


def gate_table(shares: Sequence[tuple[str, int, Sequence[float], Sequence[float]]], max_rows: int = MAX_ROWS) -> Table:
    rows = [
        (gate, layer + 1, u, round(float(c), 3), round(float(o), 3))
        for gate, layer, lo, hi in shares
        for u, (c, o) in enumerate(zip(lo, hi))
    ]
    return Table(
        ("gate", "layer", "unit", "share nearly closed", "share nearly open"), tuple(thin_rows(rows, max_rows))
    )


def distance_summary(curves: Sequence[tuple[str, Sequence[int], Sequence[float]]]) -> str:
    """How far back: per run the mean gradient norm just before and at the farthest distance, and their ratio."""
    said = []
    for name, xs, ys in curves:
        if not len(xs):
            continue
        near, far = float(ys[0]), float(ys[-1])
        ratio = far / near if near > 0 else float("nan")
        said.append(f"{plain(name)}: {num(near)} at 1 back, {num(far)} at {num(int(xs[-1]))} back ({num(ratio)}×)")
    return ("Mean gradient norm by distance back: " + "; ".join(said) + ".") if said else "Nothing measured yet."


def bptt_summary(da_norm: Sequence[float], step_labels: Sequence[str]) -> str:
    """One name's backward pass: the steps with the largest and smallest ‖da⟨t⟩‖."""
    v = np.asarray(da_norm, float)
    ok = np.isfinite(v)
    if not ok.any():
        return "No finite gradient in this backward pass."
    w = np.where(ok, v, np.nan)
    hi, lo = int(np.nanargmax(w)), int(np.nanargmin(w))
    return (
        f"{len(v)} steps; ‖da⟨t⟩‖ is largest at step {step_labels[hi]} ({num(v[hi])}) and smallest at step "
        f"{step_labels[lo]} ({num(v[lo])})."
    )


def grad_history_summary(log: Sequence[tuple[int, float, float, int, bool]]) -> str:
    """The gradient norm over training: the latest before and after clipping, the largest, and explosions."""
    if not log:
        return "No names traced yet."
    it, before, after, _, exploded = log[-1]
    biggest = max((b for _, b, _, _, _ in log if np.isfinite(b)), default=float("nan"))
    booms = sum(1 for *_, e in log if e)
    return (
        f"{len(log)} points; at name {it:,} the gradient norm was {num(before)} before clipping and {num(after)} "
        f"after; the largest {num(biggest)}; {booms} explosion{'s' if booms != 1 else ''}."
    )


def diagram_summary(fig) -> str:
    """A diagram made of shapes (the unrolled graph): its title, in words."""
    return plain(fig.layout.title.text) + "." if fig.layout.title and fig.layout.title.text else ""


# ---------------------------------------------------------------------------------------------- progress
def progress_text(step: int, loss: float | None, val: float | None, choice: str, x_name: str) -> str:
    """ "Training: step 1,200, loss 2.31, validation 2.40 nats per character." in the loss chart's ``choice``
    ("bits per character"; as perplexity: "…, perplexity 10.07, validation perplexity 11.02.");
    ``x_name``: "step", "iteration"."""
    ppl = units.kind_of(choice) == units.PERPLEXITY
    text = f"Training: {x_name} {step:,}"
    if loss is not None and np.isfinite(loss):
        text += f", {'perplexity' if ppl else 'loss'} {units.number(loss, choice)}"
    if val is not None and np.isfinite(val):
        text += f", validation {'perplexity ' if ppl else ''}{units.number(val, choice)}"
    return text + (f" {choice}." if (loss is not None or val is not None) and not ppl else ".")


@dataclass
class Progress:
    """The live status line's text, changed at most every ``every`` seconds (a stop's reason at once)."""

    text: str = ""  # what the live region says now
    said_at: float = float("-inf")  # when ``text`` last changed (time.monotonic())
    every: float = ANNOUNCE_S  # seconds between two changes while training, at least

    def update(self, text: str, now: float, *, at_once: bool = False) -> str:
        """The text to show at ``now``: ``text`` when it is time (or ``at_once``), else the text already shown."""
        if text != self.text and (at_once or now - self.said_at >= self.every):
            self.text, self.said_at = text, now
        return self.text
