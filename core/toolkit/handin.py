"""The hand-in export: one zip with everything a student made in the current run of a lab.

``capture(lab, link=..., page_settings=...)`` takes one snapshot of the run (a ``HandIn``), holding the lab's lock so
that no slice of training runs meanwhile: the step, settings, losses, samples and charts all come from the same
moment. ``HandIn.zip()`` turns it into the bytes of a zip later (when the student clicks), without reading the
lab again, and ``HandIn.file_name`` names it by its step. ``bundle(lab, ...)`` does both at once. The zip holds:

- ``settings.json``: the lab, the run's model and training settings (its config), the corpus, the step, the
  page's settings widgets and the link that re-creates this setup (when the page gives one);
- ``loss_history.csv``: step, train (the raw loss of that step), smoothed, validation, one row per recorded
  step (a cell is empty when that series has no point there; the history is bounded, so a long run keeps every
  k-th step, see core.models.history);
- ``samples.txt``: the samples (Dinosaur: the sampled names and the batches shown while training; Text: the
  live sample and the generated text; Music: the composition as notes and as values), each with its
  memorisation meter (core.toolkit.memorise: the longest stretch copied from the training data, and where from);
- ``composition.mid`` (Music lab, once something is composed): the opening and the composed values, as the
  page's .mid download;
- ``charts.html``: the loss chart (with its baselines, in nats) and, for music, the composition's piano roll,
  as one self-contained HTML file: plotly's JavaScript is embedded, nothing is fetched from the network;
- ``code/`` (a lab that writes its code: ``lab.has_code``): the run's training code from scratch with its settings
  and seed, as a script and a notebook, with the copy of the data it reads (core.files.get_code);
- ``README.txt``: what each file is.

Simplified on purpose: the run's weights are not included (the Text lab's model zip has them, and "Get the code"
gives a program that continues from them); earlier runs' curves are left out.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import functools
import io
import json
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from core import charts, palette
from core.toolkit import baselines as bl
from core.toolkit import memorise as mz

FILES = ("settings.json", "loss_history.csv", "samples.txt", "charts.html", "README.txt")  # always present
MIDI_NAME = "composition.mid"  # the Music lab's composition, once there is one
CODE_DIR = "code"  # the run's training code (core.files.get_code), for a lab that writes it
LAB_NAMES = {"dino": "Dinosaur names", "text": "Text", "music": "Music"}


def _plain(x: Any) -> Any:
    """A JSON-friendly copy of settings (dataclasses -> dicts, tuples -> lists)."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(x).items()}
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, (str, int, float, bool)) or x is None:
        return x
    if hasattr(x, "item"):  # numpy scalars
        return x.item()
    return str(x)


# ---------------------------------------------------------------------------------------------- pieces
def history_csv(history) -> str:
    """The run's loss history (a core.models.trainer.History) as CSV: step, train, smoothed, validation."""
    rows: dict[int, dict[str, float]] = {}
    for s, loss, smooth in zip(history.train.steps, history.train.values["loss"], history.train.values["smooth"]):
        rows.setdefault(int(s), {}).update(train=loss, smoothed=smooth)
    for s, v in zip(history.val.steps, history.val.values["val"]):
        rows.setdefault(int(s), {})["validation"] = v
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["step", "train", "smoothed", "validation"])
    for s in sorted(rows):
        r = rows[s]
        w.writerow([s] + [repr(float(r[k])) if k in r else "" for k in ("train", "smoothed", "validation")])
    return out.getvalue()


def charts_html(figures: Sequence[tuple[str, go.Figure, str]], title: str) -> str:
    """One HTML page with every (heading, figure, note); plotly.js is embedded once (no CDN, works offline)."""
    parts = []
    for i, (heading, fig, note) in enumerate(figures):
        parts.append(f"<h2>{_escape(heading)}</h2>")
        parts.append(fig.to_html(full_html=False, include_plotlyjs=i == 0, config={"displayModeBar": True}))
        if note:
            parts.append(f'<p style="max-width: 60em; color: {palette.MUTED}">{_escape(note)}</p>')
    body = "\n".join(parts) if parts else "<p>No charts yet.</p>"
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>' + _escape(title) + "</title></head>\n"
        '<body style="font-family: sans-serif">\n<h1>' + _escape(title) + "</h1>\n" + body + "\n</body></html>\n"
    )


def _escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_UNSET: Any = object()  # ``baselines`` not given: computed from the lab


def _loss_figure(series, refs, marks, x_title: str, y_title: str) -> go.Figure:
    fig = charts.loss_figure(
        list(series), x_title=x_title, y_title=y_title, ref_lines=list(refs), marks=list(marks), height=460
    )
    fig.update_layout(margin={"l": 70, "r": 30, "t": 60, "b": 60})
    return fig


def _loss_parts(lab, base) -> tuple[tuple, str]:
    """What the loss chart is drawn from, copied (the live run goes on appending to its lists); and its note."""
    lines = base.lines if base else ()
    refs = [bl.ref_line(b.name, b.value) for b in lines]
    marks = [charts.Mark(float(s), str(t)) for s, t in (getattr(lab.trainer, "events", None) or [])]
    series = [dataclasses.replace(s, x=list(s.x), y=list(s.y)) for s in lab.loss_series()]
    note = base.describe() if base is not None and base.lines else ""
    return (tuple(series), tuple(refs), tuple(marks), lab.chart_x, lab.chart_y), note


# ---------------------------------------------------------------------------------------------- per lab
def settings(lab) -> dict[str, Any]:
    """What re-creates the run: the lab, its config, the corpus and the step."""
    t = lab.trainer
    out: dict[str, Any] = {
        "lab": LAB_NAMES.get(lab.key, lab.key),
        "run": lab.run_label(),
        "step": int(t.step),
        "config": {"type": type(t.config).__name__, **_plain(t.config)},
        "corpus": lab.corpus_id,
        "parameters": int(t.param_count()),
    }
    out.update(_plain(lab.handin_facts()))
    history = t.history
    out["last_smoothed_loss"] = history.last_smooth()
    out["last_validation_loss"] = history.last_val()
    return out


def _music_copy(lab, values) -> mz.Copy:
    ref, _ = lab.reference()
    if ref is not None:
        return mz.music_copy(ref.copies, ref.names, values)
    from core.music.music_score import CopyIndex

    c = lab.corpus
    return mz.music_copy(
        CopyIndex([c.pieces[i].values for i in c.train_idx]), [c.pieces[i].name for i in c.train_idx], values
    )


def samples_text(lab, text_index: mz.CharIndex | None = None) -> str:
    """The run's samples as plain text, each with its memorisation meter (Text lab: when ``text_index``, the
    index of the training text, is given)."""
    lines: list[str] = [f"{LAB_NAMES.get(lab.key, lab.key)} lab · {lab.run_label()} · step {lab.trainer.step:,}", ""]
    names_index = []  # built on the first sampled name

    def meter(kind: str, sample: Any) -> str | None:
        if kind == "name":
            if not names_index:
                names_index.append(mz.names_index(lab.trainer.names))
            c = mz.char_copy(names_index[0], sample)
            return (
                f"  longest copied stretch “{c.stretch}” ({c.length} of {c.sample_length}) from {c.source}"
                if c.length
                else ""
            )
        if kind == "text":
            return None if text_index is None else f"Memorisation meter: {mz.char_copy(text_index, sample).describe()}"
        return f"Memorisation meter: {_music_copy(lab, sample).describe()}"

    lines += lab.handin_samples(meter)
    if len(lines) == 2:
        lines.append("No samples yet.")
    return "\n".join(lines) + "\n"


def _composition_figure(prime, values, tempo) -> go.Figure:
    from core.labs.music_lab import notes_after

    opening, composed = notes_after(prime, values, tempo)
    fig = charts.piano_roll_parts_figure([("opening", opening, palette.MUTED), ("composed", composed, palette.DARK)])
    fig.update_layout(margin={"l": 70, "r": 30, "t": 40, "b": 60})
    return fig


def _chart_parts(lab, baselines: Any = _UNSET) -> list[tuple[str, Callable[[], go.Figure], str]]:
    """(heading, a function that draws the figure from copies taken now, note) of every chart of the hand-in."""
    loss, note = _loss_parts(lab, bl.for_lab(lab) if baselines is _UNSET else baselines)
    out = [("Loss", functools.partial(_loss_figure, *loss), note)]
    res = lab.composition()
    if res is not None:
        draw = functools.partial(_composition_figure, tuple(res.prime), tuple(res.trained_values), res.tempo)
        out.append(("Composition", draw, f"{len(res.trained_values)} values composed at step {res.step:,}."))
    return out


def composition_midi(lab) -> bytes | None:
    """The Music lab's composition (the opening then the composed values) as a .mid; None before composing."""
    res = lab.composition()
    if res is None:
        return None
    from core.labs.music_lab import midi_file

    return midi_file(res.prime + res.trained_values, res.tempo)


def code_files(lab) -> list[tuple[str, bytes]]:
    """(name under code/, bytes) of the run's training code from scratch: the script, the notebook and the data they
    read; none for a lab that does not write its code."""
    if not lab.has_code:
        return []
    return [(f"{CODE_DIR}/{name}", data) for name, data in lab.get_code(trained=False).contents().items()]


README = """Hand-in from the RNN Playground ({lab} lab), {run}, step {step:,}.

settings.json     the run's settings (model, training, corpus) and the link that re-creates this setup
loss_history.csv  step, train (raw loss of the step), smoothed, validation; losses in nats per {unit}
samples.txt       the samples of this run
{midi}charts.html       the charts; open in a browser (works offline: plotly's JavaScript is inside)
{code}"""


@dataclass(frozen=True)
class HandIn:
    """One snapshot of a lab's run, every part from the same step (see ``capture``); ``zip()`` builds the file."""

    lab: str  # the lab's key (dino, text, music)
    step: int  # the trainer's step when it was taken
    title: str  # the charts page's title
    files: tuple[tuple[str, str | bytes], ...]  # (name, content) of every file but charts.html
    drawings: tuple[tuple[str, Callable[[], go.Figure], str], ...]  # (heading, draw, note) of charts.html

    @property
    def file_name(self) -> str:
        return f"handin-{self.lab}-step{self.step}.zip"

    def zip(self) -> bytes:
        """The zip's bytes. charts.html is drawn now, from the copies taken with the snapshot (drawing and embedding
        plotly.js take most of a hand-in's time, which is then spent only when the student asks for it)."""
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name, content in self.files:
                z.writestr(name, content)
            figs = [(heading, draw(), note) for heading, draw, note in self.drawings]
            z.writestr("charts.html", charts_html(figs, self.title))
        return buf.getvalue()


def capture(
    lab,
    *,
    link: str | None = None,
    page_settings: dict[str, Any] | None = None,
    text_index: mz.CharIndex | None = None,
    baselines: Any = _UNSET,
) -> HandIn:
    """One snapshot of ``lab``'s current run, taken under the lab's lock (no slice of training runs meanwhile).
    ValueError when there is no run. ``text_index``: the Text lab's training-text index (core.toolkit.memorise), for the
    samples' memorisation meter; ``baselines``: the lab's core.toolkit.baselines.Baselines when the caller has them
    (None:
    there are none), else they are computed."""
    with getattr(lab, "lock", None) or contextlib.nullcontext():
        t = lab.trainer
        if t is None:
            raise ValueError("There is no run to hand in yet.")
        step = int(t.step)
        s = settings(lab)
        if page_settings:
            s["page_settings"] = _plain(page_settings)
        if link:
            s["link"] = link
        midi = composition_midi(lab)
        unit = {"dino": "name", "text": "character", "music": "value"}.get(lab.key, "token")
        name = LAB_NAMES.get(lab.key, lab.key)
        files: list[tuple[str, str | bytes]] = [
            ("settings.json", json.dumps(s, indent=2, ensure_ascii=False)),
            ("loss_history.csv", history_csv(t.history)),
            ("samples.txt", samples_text(lab, text_index)),
        ]
        if midi is not None:
            files.append((MIDI_NAME, midi))
        code = code_files(lab)
        files += code
        files.append(
            (
                "README.txt",
                README.format(
                    lab=name,
                    run=lab.run_label(),
                    step=step,
                    unit=unit,
                    midi=f"{MIDI_NAME}   the composition (opening and composed values) as a MIDI file\n"
                    if midi is not None
                    else "",
                    code=f"{CODE_DIR}/             the training code from scratch with this run's settings and "
                    "seed, as a script and a notebook, with the data it reads\n"
                    if code
                    else "",
                ),
            )
        )
        title = f"{name} lab · {lab.run_label()}"
        return HandIn(lab.key, step, title, tuple(files), tuple(_chart_parts(lab, baselines)))


def bundle(
    lab, *, link: str | None = None, page_settings: dict[str, Any] | None = None, text_index: mz.CharIndex | None = None
) -> bytes:
    """The hand-in zip of ``lab``'s current run: ``capture(...).zip()``. ValueError when there is no run."""
    return capture(lab, link=link, page_settings=page_settings, text_index=text_index).zip()
