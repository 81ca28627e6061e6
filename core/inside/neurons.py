"""What single hidden units track, and how often gates saturate: every activation recomputed in numpy.

Three kinds of model reach this module through ``trainer.token_model()``:

- core.models.numpy_cells.NumpyRNN (the Text lab's and the Music lab's Keras models: SimpleRNN, LSTM or GRU, 1-3
layers),
- core.models.course_model.CourseNumpyModel (the course's jazz LSTM: one-hot values, one cell),
- core.models.numpy_rnn.NumpyCharRNN (the Dinosaur lab's RNN in the course's notation).

``net_of`` copies their weights into one layout (``Net``) and ``forward`` runs a whole sequence through it,
keeping what the samplers throw away: every layer's hidden state h⟨t⟩ (a⟨t⟩ in the course), the LSTM's cell
state c⟨t⟩ and every gate's value at every step (``Trace``). Each layer runs over the whole sequence before the
next one (layer l at step t needs only layer l-1 at t and itself at t-1), so each layer's input projection is
one matrix product for all steps and only the recurrent product is done step by step.

Then:

- **Neuron view**: ``text_features`` / ``music_features`` / ``name_features`` compute simple features of the
  input at each step; ``find_units`` ranks units by the Pearson correlation of their activation with each
  feature (the LSTMVis / Karpathy idea: look for units that switch on inside quotes, count along a line, …).
  ``coloured_text_html`` colours the text by one unit.
- **Gate view**: ``gate_shares`` gives, per gate and unit, the share of steps on which the gate is nearly closed
  (< 0.1) and nearly open (> 0.9), the saturation plot of Karpathy, Johnson & Fei-Fei (2015).

Simplified on purpose: every sequence starts from a zero state (the Dinosaur trainer carries a⟨t⟩ from one name
to the next, the view starts each name afresh, as sampling does); a feature describes the input *after* reading
token t, the moment h⟨t⟩ is computed; correlation is linear (a unit that tracks a feature non-monotonically
scores low); the features are heuristics (quotes are toggled by '"', a speaker line is ``Name:`` alone on a line
as core.text.lexicon defines it, a music sequence is assumed to start on a bar line).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from core import palette
from core.models.numpy_cells import NumpyRNN, gru_step, lstm_step, simple_rnn_step
from core.text.lexicon import SPEAKER

CLOSED, OPEN = 0.1, 0.9  # a gate below CLOSED is "nearly closed" (left-saturated), above OPEN "nearly open"
GATES = {"lstm": ("input", "forget", "output"), "gru": ("update", "reset"), "simplernn": ()}  # per cell type
CELL_TITLES = {"simplernn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
STEPS_PER_BAR = 16  # a 4/4 bar of sixteenth-note grid steps (core.music.music_codec's grid)
MAX_UNITS = 1024  # the largest layer a lab builds (core.models.keras_model.MAX_HIDDEN): the unit picker's fixed range


class NotAnalysable(ValueError):
    """The model or the input can't be analysed; the message says why, for the page."""


# ---------------------------------------------------------------------------------------------- the network
@dataclass(frozen=True)
class Layer:
    """One recurrent layer in Keras's layout (g = gates: 1 SimpleRNN, 4 LSTM i|f|c|o, 3 GRU z|r|n)."""

    kernel: np.ndarray | None  # (d_in, g*n) input weights; None for the first layer (see Net.first)
    recurrent: np.ndarray  # (n, g*n) recurrent weights
    bias: np.ndarray  # (g*n,); GRU (reset_after): (2, g*n), input bias then recurrent bias

    @property
    def units(self) -> int:
        return int(self.recurrent.shape[0])


@dataclass(frozen=True)
class Net:
    """A model's recurrent part, whatever it came from."""

    cell: str  # "simplernn" | "lstm" | "gru"
    first: (
        np.ndarray
    )  # (vocab, g*n): token -> the first layer's input projection x W (embedding @ kernel, a one-hot row)
    layers: tuple[Layer, ...]  # bottom first
    source: str  # what the model is, for messages ("LSTM (Keras)", "the course's RNN", …)

    @property
    def units(self) -> int:
        return self.layers[0].units

    @property
    def vocab_size(self) -> int:
        return int(self.first.shape[0])

    @property
    def gates(self) -> tuple[str, ...]:
        return GATES[self.cell]

    @property
    def n_params_recurrent(self) -> int:
        return int(
            self.first.size
            + sum((l.kernel.size if l.kernel is not None else 0) + l.recurrent.size + l.bias.size for l in self.layers)
        )


def net_of(model: Any) -> Net:
    """The recurrent weights of a token model (a copy: training may go on). NotAnalysable for other models."""
    from core.models.course_model import CourseNumpyModel
    from core.models.numpy_rnn import NumpyCharRNN

    if isinstance(model, NumpyRNN):
        k0, u0, b0 = model.layers[0]
        first = model.embedding @ k0  # (vocab, embed) @ (embed, g*n) -> (vocab, g*n)
        layers = [Layer(None, u0.copy(), b0.copy())] + [
            Layer(k.copy(), u.copy(), b.copy()) for k, u, b in model.layers[1:]
        ]
        return Net(model.cell, first, tuple(layers), f"{CELL_TITLES[model.cell]} (Keras)")
    if isinstance(model, CourseNumpyModel):  # one-hot x @ kernel is the token's row of the kernel
        return Net(
            "lstm", model.kernel.copy(), (Layer(None, model.recurrent.copy(), model.bias.copy()),), "the course's LSTM"
        )
    if isinstance(model, NumpyCharRNN):  # a = tanh(Wax x + Waa a_prev + b): Keras's layout is the transpose
        p = model.parameters
        return Net(
            "simplernn",
            np.array(p["Wax"].T),
            (Layer(None, np.array(p["Waa"].T), np.array(p["b"]).ravel()),),
            "the course's RNN",
        )
    raise NotAnalysable(
        f"This model ({type(model).__name__}) has no recurrent layer this view can read: there is no hidden state to "
        "look at."
    )


# ---------------------------------------------------------------------------------------------- forward
@dataclass(frozen=True)
class Trace:
    """Everything the recurrent layers computed over one sequence (T steps, n units per layer)."""

    cell: str  # "simplernn" | "lstm" | "gru"
    tokens: tuple  # (T,) the token fed at each step (None = the zero input)
    h: tuple[np.ndarray, ...]  # per layer (T, n): hidden state after reading token t (the layer's output; a⟨t⟩)
    c: tuple[np.ndarray, ...]  # per layer (T, n): LSTM cell state after token t; () for other cells
    gates: dict  # gate name -> per layer (T, n) gate values in (0, 1); {} for SimpleRNN

    @property
    def steps(self) -> int:
        return len(self.tokens)

    @property
    def units(self) -> int:
        return int(self.h[0].shape[1])

    def states(self) -> list[tuple[str, int, np.ndarray]]:
        """[(state name "h" or "c", layer, (T, n))]: every activation a unit view can show."""
        out = [("h", i, a) for i, a in enumerate(self.h)]
        return out + [("c", i, a) for i, a in enumerate(self.c)]

    def state(self, name: str, layer: int) -> np.ndarray:
        """(T, n) activations of state ``name`` ("h" or "c") in ``layer``."""
        arrays = self.h if name == "h" else self.c
        if not 0 <= layer < len(arrays):
            raise NotAnalysable(f"There is no {name} state in layer {layer + 1} of this model.")
        return arrays[layer]


def _input_projection(net: Net, tokens: Sequence[int | None]) -> np.ndarray:
    """The first layer's x W for every step: (T, g*n); the zero input (None) projects to zeros."""
    out = np.zeros((len(tokens), net.first.shape[1]), net.first.dtype)
    for t, tok in enumerate(tokens):
        if tok is not None:
            out[t] = net.first[int(tok)]
    return out


def forward(net: Net, tokens: Sequence[int | None]) -> Trace:
    """Run ``tokens`` through every layer from a zero state and keep every state and gate (see Trace).

    Each step is core.models.numpy_cells' (Keras's equations and gate orders); tests/core/inside/test_neurons.py checks
    them against
    a loop of scalars, the token models' own steps and Keras's layer outputs.
    """
    tokens = tuple(None if t is None else int(t) for t in tokens)
    T, n = len(tokens), net.units
    if T == 0:
        raise NotAnalysable("There is nothing to analyse: the sequence is empty.")
    bad = [t for t in tokens if t is not None and not 0 <= t < net.vocab_size]
    if bad:
        raise NotAnalysable(f"Token {bad[0]} is outside the model's vocabulary of {net.vocab_size}.")
    xw = _input_projection(net, tokens)  # (T, g*n) layer 1's input times its kernel
    hs, cs = [], []
    gates: dict[str, list[np.ndarray]] = {g: [] for g in net.gates}
    for li, layer in enumerate(net.layers):
        if li > 0:
            xw = hs[-1] @ layer.kernel  # (T, n) @ (n, g*n) -> (T, g*n): the layer below's outputs, all steps at once
        U, b = layer.recurrent, layer.bias
        dt = U.dtype
        H = np.empty((T, n), dt)  # h⟨t⟩ for every step
        h = np.zeros(n, dt)
        if net.cell == "simplernn":
            for t in range(T):
                h = simple_rnn_step(xw[t], h, U, b).h  # (n,)
                H[t] = h
        elif net.cell == "lstm":
            C, I, F, O = (np.empty((T, n), dt) for _ in range(4))
            c = np.zeros(n, dt)
            for t in range(T):
                step = lstm_step(xw[t], h, c, U, b)  # h, c and the gates, each (n,)
                h, c = step.h, step.c
                H[t], C[t], I[t], F[t], O[t] = h, c, step.i, step.f, step.o
            cs.append(C)
            gates["input"].append(I)
            gates["forget"].append(F)
            gates["output"].append(O)
        else:  # GRU, reset_after=True
            Z, R = np.empty((T, n), dt), np.empty((T, n), dt)
            for t in range(T):
                step = gru_step(xw[t], h, U, b)  # h and the gates, each (n,)
                h = step.h
                H[t], Z[t], R[t] = h, step.z, step.r
            gates["update"].append(Z)
            gates["reset"].append(R)
        hs.append(H)
    return Trace(net.cell, tokens, tuple(hs), tuple(cs), {g: tuple(v) for g, v in gates.items()})


def forward_each(net: Net, sequences: Sequence[Sequence[int | None]]) -> Trace:
    """Each sequence from its own zero state (names, music pieces), the traces joined end to end (sum T steps)."""
    traces = [forward(net, s) for s in sequences if len(s)]
    if not traces:
        raise NotAnalysable("There is nothing to analyse: every sequence is empty.")
    if len(traces) == 1:
        return traces[0]
    join = lambda parts: tuple(np.concatenate(layer) for layer in zip(*parts))  # noqa: E731 - per layer, along time
    return Trace(
        net.cell,
        sum((tr.tokens for tr in traces), ()),
        join([tr.h for tr in traces]),
        join([tr.c for tr in traces]),
        {g: join([tr.gates[g] for tr in traces]) for g in traces[0].gates},
    )


# ---------------------------------------------------------------------------------------------- features
@dataclass(frozen=True)
class Feature:
    """A simple property of the input at each step, to correlate units with."""

    name: str  # short name shown in tables ("inside quotes")
    values: np.ndarray  # (T,) float; NaN where the feature is undefined (the pitch of a rest)
    about: str  # one line: what a high value means

    def defined(self) -> np.ndarray:
        return np.isfinite(self.values)

    def varies(self) -> bool:
        """Whether it takes more than one value where it is defined (else nothing can correlate with it)."""
        v = self.values[self.defined()]
        return v.size >= 2 and float(v.max() - v.min()) > 0


OPEN_BRACKETS, CLOSE_BRACKETS = "([{", ")]}"


def text_features(text: str) -> list[Feature]:
    """Features of a text, one value per character (after reading it):

    inside quotes       1 between an opening '"' or '“' and its closing mark (the opening mark is inside, the closing
    one not)
    inside brackets     1 while ( [ { are open (nesting counts as inside)
    position in line    characters since the last newline (a newline is at 0)
    speaker line        1 on the characters of a line that is a speaker's name, ``Name:`` alone (core.text.lexicon)
    inside a word       1 on a letter (or an apostrophe between letters), 0 at a space, newline or punctuation
    """
    T = len(text)
    quotes, brackets, pos, speaker, word = (np.zeros(T) for _ in range(5))
    in_quote = False
    depth = 0
    col = 0
    for t, ch in enumerate(text):
        if ch == '"':
            in_quote = not in_quote  # a straight quote opens or closes
        elif ch == "“":
            in_quote = True
        elif ch == "”":
            in_quote = False
        if ch in OPEN_BRACKETS:
            depth += 1
        elif ch in CLOSE_BRACKETS:
            depth = max(0, depth - 1)
        col = 0 if ch == "\n" else col + 1
        quotes[t], brackets[t], pos[t] = in_quote, depth > 0, col
        prev_letter = t > 0 and text[t - 1].isalpha()
        next_letter = t + 1 < T and text[t + 1].isalpha()
        word[t] = ch.isalpha() or (ch == "'" and prev_letter and next_letter)
    for m in SPEAKER.finditer(text):
        speaker[m.start() : m.end()] = 1.0
    return [
        Feature("inside quotes", quotes, "1 between quotation marks"),
        Feature("inside brackets", brackets, "1 inside ( ), [ ] or { }"),
        Feature("position in the line", pos, "characters since the last newline"),
        Feature("speaker line", speaker, "1 on a line that names the speaker (“Name:” alone on a line)"),
        Feature("inside a word", word, "1 on a letter, 0 at a space, newline or punctuation"),
    ]


VOWELS = set("aeiouy")


def name_features(names: Sequence[str]) -> list[Feature]:
    """Features of the Dinosaur view's steps: each name is read as [zero input, its letters] (course: X = [None] +
    name).

    position in the name   letters read so far (0 at the zero input)
    letters left           letters still to come before the name ends
    vowel                  1 on a, e, i, o, u, y; NaN at the zero input
    """
    pos, left, vowel = [], [], []
    for name in names:
        L = len(name)
        pos += list(range(L + 1))
        left += [L - k for k in range(L + 1)]
        vowel += [np.nan] + [float(ch in VOWELS) for ch in name]
    return [
        Feature("position in the name", np.asarray(pos, float), "letters read so far"),
        Feature("letters left", np.asarray(left, float), "letters still to come before the name ends"),
        Feature("vowel", np.asarray(vowel, float), "1 on a vowel (a e i o u y), 0 on a consonant"),
    ]


def value_onsets(values: Sequence[str]) -> np.ndarray:
    """(T,) grid step where each value starts, the first at 0 (values follow one another; core.music.music_codec)."""
    from core.music.music_codec import value_duration

    d = np.asarray([value_duration(v) for v in values], dtype=np.int64)
    return np.concatenate([[0], np.cumsum(d)[:-1]]) if len(d) else d


def music_features(values: Sequence[str]) -> list[Feature]:
    """Features of a sequence of music values (core.music.music_codec tokens), one per value:

    position in the bar   sixteenths from the bar line to where the value starts (0..15), the first value on a bar line
    on the downbeat       1 when the value starts on a bar line
    pitch height          MIDI pitch of the value's highest note (NaN for a rest)
    note length           duration in sixteenth-note steps
    rest                  1 for a rest, 0 for a note or chord
    """
    from core.music.music_codec import parse_value

    parsed = [parse_value(v) for v in values]
    bar_pos = (value_onsets(values) % STEPS_PER_BAR).astype(float)
    pitch = np.asarray([max(p) if p else np.nan for p, _ in parsed], float)
    length = np.asarray([d for _, d in parsed], float)
    rest = np.asarray([0.0 if p else 1.0 for p, _ in parsed])
    return [
        Feature("position in the bar", bar_pos, "sixteenths from the bar line to the value's start"),
        Feature("on the downbeat", (bar_pos == 0).astype(float), "1 when the value starts a bar"),
        Feature("pitch height", pitch, "MIDI pitch of the highest note (rests left out)"),
        Feature("note length", length, "duration in sixteenths"),
        Feature("rest", rest, "1 for a rest"),
    ]


# ---------------------------------------------------------------------------------------------- finding units
def correlations(acts: np.ndarray, feature: Feature) -> np.ndarray:
    """Pearson correlation of each unit's activation with ``feature`` over the steps where it is defined.

    acts (T, n) -> (n,); 0 for a unit that does not vary there (and for a feature that doesn't).
    """
    m = feature.defined()
    a = np.asarray(acts, np.float64)[m]  # (T', n)
    f = feature.values[m]  # (T',)
    if f.size < 2:
        return np.zeros(a.shape[1])
    a = a - a.mean(axis=0)
    f = f - f.mean()
    denom = np.sqrt((a * a).sum(axis=0)) * np.sqrt((f * f).sum())  # (n,)
    num = f @ a  # (n,)
    # a unit whose spread is at rounding level (e.g. 1e-9 around a constant) is treated as constant
    ok = (denom > 1e-12) & (np.sqrt((a * a).sum(axis=0)) > 1e-6 * np.sqrt(a.shape[0]))
    return np.where(ok, num / np.where(ok, denom, 1.0), 0.0)


@dataclass(frozen=True)
class UnitFinding:
    """A unit and the feature it follows most closely."""

    state: str  # "h" or "c"
    layer: int  # 0-based
    unit: int  # 0-based index in the layer
    feature: str  # the feature's name
    r: float  # Pearson correlation (sign: the unit goes up, or down, with the feature)

    def label(self, layers: int = 1) -> str:
        where = f" layer {self.layer + 1}" if layers > 1 else ""
        return f"{self.state}{where} unit {self.unit}"


@dataclass(frozen=True)
class Ranking:
    """What ``find_units`` found."""

    top: tuple[UnitFinding, ...]  # strongest units first, each unit once, with its best feature
    per_feature: tuple[UnitFinding, ...]  # the best unit for each feature that varies, in feature order
    skipped: tuple[str, ...]  # features that don't vary in this input (nothing to correlate with)


def find_units(trace: Trace, features: Sequence[Feature], top: int = 10) -> Ranking:
    """Rank every unit of every state (h, and c for an LSTM, in every layer) by |correlation| with the features."""
    used = [f for f in features if f.varies()]
    skipped = tuple(f.name for f in features if not f.varies())
    if not used:
        return Ranking((), (), skipped)
    rows = []  # (state, layer, R (F, n))
    for name, layer, acts in trace.states():
        rows.append((name, layer, np.stack([correlations(acts, f) for f in used])))  # (F, n)
    best_by_unit = []
    for name, layer, R in rows:
        k = np.argmax(np.abs(R), axis=0)  # (n,) each unit's best feature
        for u in range(R.shape[1]):
            best_by_unit.append(UnitFinding(name, layer, u, used[k[u]].name, float(R[k[u], u])))
    best_by_unit.sort(key=lambda f: (-abs(f.r), f.state, f.layer, f.unit))
    per_feature = []
    for fi, feat in enumerate(used):
        name, layer, R = max(rows, key=lambda row: float(np.max(np.abs(row[2][fi]))))
        u = int(np.argmax(np.abs(R[fi])))
        per_feature.append(UnitFinding(name, layer, u, feat.name, float(R[fi, u])))
    return Ranking(tuple(best_by_unit[:top]), tuple(per_feature), skipped)


# ---------------------------------------------------------------------------------------------- gates
@dataclass(frozen=True)
class GateShares:
    """How often one gate of one layer saturates, per unit (Karpathy, Johnson & Fei-Fei 2015)."""

    gate: str  # "input" | "forget" | "output" (LSTM), "update" | "reset" (GRU)
    layer: int  # 0-based
    closed: np.ndarray  # (n,) share of steps with the gate < CLOSED (left-saturated)
    open: np.ndarray  # (n,) share of steps with the gate > OPEN (right-saturated)
    steps: int  # steps counted


def no_gates_message(cell: str, source: str = "") -> str:
    """Why a model without gates has no gate view."""
    what = source or CELL_TITLES.get(cell, cell)
    return (
        f"{what} has no gates: its hidden state is rewritten in full at every step, h⟨t⟩ = tanh(x⟨t⟩ W + h⟨t−1⟩ U + "
        "b), "
        "with nothing that decides how much of the old state to keep. LSTM and GRU add gates (numbers between 0 and 1, "
        "one per unit) that do: train one of those to see how often its gates shut or open fully."
    )


def gate_shares(traces: Trace | Sequence[Trace], closed: float = CLOSED, open_: float = OPEN) -> list[GateShares]:
    """Per gate and layer, the share of steps each unit's gate is < ``closed`` and > ``open_``, over all the traces.

    NotAnalysable for a cell without gates (SimpleRNN, the course's RNN).
    """
    traces = [traces] if isinstance(traces, Trace) else list(traces)
    if not traces:
        raise NotAnalysable("There is nothing to analyse: no sequence was given.")
    cell = traces[0].cell
    if not GATES[cell]:
        raise NotAnalysable(no_gates_message(cell))
    out = []
    for gate in GATES[cell]:
        for layer in range(len(traces[0].h)):
            g = np.concatenate([tr.gates[gate][layer] for tr in traces])  # (sum T, n)
            out.append(GateShares(gate, layer, (g < closed).mean(axis=0), (g > open_).mean(axis=0), int(g.shape[0])))
    return out


# ---------------------------------------------------------------------------------------------- showing a unit
MARKED = 0.25  # |v| / vmax from which a letter's sign is also shown by its underline (solid +, dotted −)


def colour(v: float, vmax: float) -> str:
    """Diverging colour for v in [-vmax, vmax] as an opaque '#rrggbb' (core.palette.diverging): blue (negative),
    white (0), vermillion (positive)."""
    return palette.diverging(0.0 if vmax <= 0 or not np.isfinite(v) else v / vmax)


def letter_style(v: float, vmax: float) -> str:
    """The CSS of one letter coloured by v: its background (``colour``), black or white letters, whichever
    contrasts more, and from |v| >= MARKED * vmax an underline, solid above 0 and dotted below (the sign without
    colour)."""
    bg = colour(v, vmax)
    style = f"background:{bg};color:{palette.text_on(bg)}"
    x = 0.0 if vmax <= 0 or not np.isfinite(v) else v / vmax
    if abs(x) >= MARKED:
        style += f";text-decoration:underline {'solid' if x > 0 else 'dotted'} 2px"
    return style


def scale_of(acts: np.ndarray) -> float:
    """Colour scale for one unit: its largest |value| over the sequence (1 when it is 0 throughout). Per unit, so that
    an
    untrained model's small activations show too; the page says the scale."""
    m = float(np.max(np.abs(acts))) if np.size(acts) else 0.0
    return m if m > 0 and np.isfinite(m) else 1.0


def coloured_text_html(pieces: Sequence[str], values: Sequence[float], vmax: float) -> str:
    """Text coloured by one unit: one span per step styled by ``letter_style``, the value on hover.

    pieces: what to show for each step (a character; "\\n" shows as ↵ and breaks the line); values: (T,).
    """
    spans = []
    for p, v in zip(pieces, values):
        shown = "↵" if p == "\n" else p
        tip = f"{v:+.3f}"
        spans.append(
            f'<span title="{html.escape(repr(p)[1:-1])}: {tip}" '
            f'style="{letter_style(v, vmax)}">{html.escape(shown)}</span>' + ("<br>" if p == "\n" else "")
        )
    return (
        '<div style="font-family: monospace; white-space: pre-wrap; line-height: 1.6; font-size: 0.95rem">'
        + "".join(spans)
        + "</div>"
    )


def text_excerpt(text: str, start: int, n: int) -> str:
    """About ``n`` characters of ``text`` from ``start``, beginning after a blank line (a speech's start) or a
    newline within the next 300 characters when there is one."""
    start = max(0, min(int(start), len(text)))
    window = text[start : start + 300]
    for mark in ("\n\n", "\n"):
        k = window.find(mark)
        if k >= 0:
            start += k + len(mark)
            break
    return text[start : start + int(n)]
