"""Trained starting points: small models trained beforehand on each bundled corpus, in assets/models/.

A teacher opens a lab and presses "Start from the trained model": the lab loads the bundled model through the same
safe path as an uploaded model file (core.files.model_zip: checked before anything is built, Keras safe mode, numpy with
allow_pickle=False, nothing unpickled), with its training history, so the loss chart shows where it came from and
Start continues from its step. scripts/build_models.py builds the files (seeded); assets/models/README.md says how
long that took, on what machine, and the resulting losses.

Each file is listed in assets/models/manifest.json with its size and SHA-256; a file that no longer matches is
refused before it is opened (and even a file that matches goes through every check of core.files.model_zip).

What "good" means, measured (the tests check each):

- Dinosaurs: a sampled name *ends like a real genus* when its last ``ENDING_LETTERS`` letters end at least
  ``ENDING_MIN_NAMES`` names of the bundled list (16 endings: -urus as in -saurus, -tops, -ptor, -odon, -itan, …;
  73% of the real names end so). ``genus_share`` is the share of sampled names that do; the trained model's share
  must be above one half (the untrained model's is about 0).
- Shakespeare: the lab's validation loss (its fixed validation windows) at or below 1.6 nats per character.
- Music: compositions of the trained and the untrained model (same seeds) scored by the Music lab's scorecard
  (core.music.music_score): the trained model's mean pitch-class distance (key) and duration distance (rhythm) are
  lower, and its share of notes in the corpus key higher, than the untrained model's.

Simplified on purpose: one starting point per bundled corpus, at the lab's default settings; the Dinosaur lab has
no validation split (as in the course), so its file records the mean loss per name over the whole list.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from core import units
from core.files import model_zip as mz
from core.files.model_zip import ModelZipError
from core.files.model_zip.values import _real

ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = ROOT / "assets" / "models"  # the bundled model zips and manifest.json
MANIFEST = "manifest.json"  # {filename: {"bytes": int, "sha256": hex}}
MAX_TOTAL_BYTES = 10 * 1024 * 1024  # every bundled model together
MAX_FILE_BYTES = 8 * 1024 * 1024  # one bundled model
MARK = "trained starting point"  # the chart mark (trainer.events) and the run's label
ENDING_LETTERS = 4  # letters compared at the end of a name
ENDING_MIN_NAMES = 10  # an ending counts as a genus ending when at least this many real names end with it
MUSIC_CHECK_PIECES = 5  # compositions per model in the music check (seeds 0..4)
MUSIC_CHECK_VALUES = 64  # values per composition (4 bars of sixteenths at most)
MUSIC_CHECK_TEMPERATURE = 1.0  # sampling temperature of the music check


@dataclass(frozen=True)
class StartingPoint:
    """One bundled model."""

    name: str  # its key ("dinosaurs", "shakespeare", "bach", "irish")
    lab: str  # the lab's key (core.labs.lab.Lab.key): "dino", "text", "music"
    corpus: str  # the bundled corpus: a file in data/ or a style folder in data/midi/
    filename: str  # in assets/models/
    title: str  # what the page calls it


CATALOG: dict[str, StartingPoint] = {
    "dinosaurs": StartingPoint("dinosaurs", "dino", "dinos.txt", "dinosaurs-rnn50.zip", "the course's RNN, n_a 50"),
    "shakespeare": StartingPoint("shakespeare", "text", "shakespeare.txt", "shakespeare-lstm256.zip", "LSTM 256"),
    "bach": StartingPoint("bach", "music", "bach_chorales", "bach-lstm64.zip", "LSTM 64 on the Bach chorales"),
    "irish": StartingPoint("irish", "music", "irish_folk", "irish-lstm64.zip", "LSTM 64 on the Irish tunes"),
}


# ---------------------------------------------------------------------------------------------- which one, and reading
# it
def manifest(models_dir: Path = MODELS_DIR) -> dict[str, dict[str, Any]]:
    try:
        obj = json.loads((models_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return obj if isinstance(obj, dict) else {}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read(name: str, models_dir: Path = MODELS_DIR) -> bytes:
    """The bytes of a bundled model, checked against manifest.json; ModelZipError with the reason otherwise."""
    sp = CATALOG[name]
    path = models_dir / sp.filename
    rebuild = "Rebuild it with `python scripts/build_models.py`."
    if not path.is_file():
        raise ModelZipError(f"The trained model assets/models/{sp.filename} is not in this installation. {rebuild}")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ModelZipError(
            f"assets/models/{sp.filename} is {size:,} bytes; a bundled model is at most {MAX_FILE_BYTES:,}. Refused."
        )
    data = path.read_bytes()
    entry = manifest(models_dir).get(sp.filename)
    if not isinstance(entry, dict) or entry.get("sha256") != sha256(data):
        raise ModelZipError(
            f"assets/models/{sp.filename} does not match its checksum in assets/models/{MANIFEST}: the file was "
            "changed "
            f"after it was built, so it is refused. {rebuild}"
        )
    return data


def origin(meta: Any) -> dict[str, Any]:
    """The "starting_point" facts kept in a model's metadata (how it was built, its losses), checked: numbers finite,
    texts cut to 200 characters; anything else is dropped."""
    src = meta.get("starting_point") if isinstance(meta, dict) else None
    out: dict[str, Any] = {}
    if not isinstance(src, dict):
        return out
    for k, v in src.items():
        if not isinstance(k, str) or len(k) > 40:
            continue
        if isinstance(v, str):
            out[k] = v[:200]
        elif _real(v) is not None:
            out[k] = _real(v)
        elif isinstance(v, dict):  # one level of named numbers (the music check's rows)
            out[k] = {kk: _real(vv) for kk, vv in v.items() if isinstance(kk, str) and _real(vv) is not None}
    return out


def describe(data: bytes) -> dict[str, Any]:
    """The facts of a built model zip (for the build log and the README): its metadata's step and starting point."""
    for member, tokens in (("model.keras", False), ("model.keras", True), (mz.NUMPY_MEMBER, False)):
        try:
            meta = mz.read_meta(data, model_member=member, tokens=tokens)
        except ModelZipError:
            continue
        return dict(step=meta.get("step"), **origin(meta))
    raise ModelZipError("not a model zip")


# ---------------------------------------------------------------------------------------------- what "good" means
def genus_endings(
    names: Sequence[str], letters: int = ENDING_LETTERS, min_names: int = ENDING_MIN_NAMES
) -> frozenset[str]:
    """The endings (last ``letters`` letters) shared by at least ``min_names`` of ``names``."""
    counts = Counter(n[-letters:] for n in names if len(n) >= letters)
    return frozenset(e for e, c in counts.items() if c >= min_names)


def genus_share(samples: Sequence[str], endings: frozenset[str], letters: int = ENDING_LETTERS) -> float:
    """The share of ``samples`` whose last ``letters`` letters are one of ``endings`` (empty samples count as
    misses)."""
    if not samples:
        return 0.0
    return sum(1 for s in samples if len(s) >= letters and s[-letters:] in endings) / len(samples)


def dino_samples(
    parameters: dict, char_to_ix: dict, n: int = 200, seed: int = 0, temperature: float = 1.0
) -> list[str]:
    """``n`` names sampled from the course RNN's ``parameters`` (seeded), without their final newline."""
    from core.models import numpy_rnn as nr

    ix_to_char = {i: c for c, i in char_to_ix.items()}
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        records = nr.sample_trace(parameters, char_to_ix, temperature, rng)
        out.append("".join(ix_to_char[r.picked] for r in records).rstrip("\n"))
    return out


def dino_mean_loss(parameters: dict, names: Sequence[str], chars: Sequence[str]) -> float:
    """Mean loss per name (nats, the lab's unit) of the course RNN over ``names``, each from the zero state."""
    from core.models import numpy_rnn as nr

    ix = {c: i for i, c in enumerate(chars)}
    n_a = parameters["Waa"].shape[0]
    total = 0.0
    for name in names:
        X = [None] + [ix[c] for c in name]
        Y = X[1:] + [ix["\n"]]
        loss, _ = nr.rnn_forward(X, Y, np.zeros((n_a, 1)), parameters)[:2]
        total += float(loss)
    return total / max(len(names), 1)


MUSIC_MEASURES = ("pitch_class_distance", "in_key", "duration_distance", "interval_distance")  # the check's columns


def music_check(
    lab, pieces: int = MUSIC_CHECK_PIECES, n_values: int = MUSIC_CHECK_VALUES
) -> dict[str, dict[str, float]]:
    """The scorecard's key and rhythm measures, averaged over ``pieces`` compositions from silence (seeds 0..),
    for the trained and the untrained model of ``lab`` (a core.labs.music_lab.MusicLab): {"trained": {...}, "untrained":
    {...}}."""
    from core.music import music_score as ms

    rows: dict[str, list] = {"trained": [], "untrained": []}
    saved = lab.result
    for seed in range(pieces):
        comp = lab.compose(tempo=100.0, seed=seed, temperature=MUSIC_CHECK_TEMPERATURE, n_values=n_values)
        rows["trained"].append(comp.scores[0][1])
        rows["untrained"].append(comp.scores[1][1])
    lab.result = saved
    return {k: {m: float(getattr(ms.mean_score(v), m)) for m in MUSIC_MEASURES} for k, v in rows.items()}


def music_better(check: dict[str, dict[str, float]]) -> bool:
    """The trained model's key and rhythm measures beat the untrained model's (see the module docstring)."""
    t, u = check["trained"], check["untrained"]
    return (
        t["pitch_class_distance"] < u["pitch_class_distance"]
        and t["duration_distance"] < u["duration_distance"]
        and t["in_key"] > u["in_key"]
    )


# ---------------------------------------------------------------------------------------------- writing (the build
# script)
APP = "RNN Playground (scripts/build_models.py)"


def full_validation(trainer) -> float:
    """The validation loss over every validation batch now (a trainer that spreads validation over calls,
    ``eval_parts``, measures them all), recorded in its history."""
    try:
        return float(trainer.evaluate(full=True))
    except TypeError:  # a trainer without spread validation measures every batch anyway
        return float(trainer.evaluate())


def write_manifest(models_dir: Path = MODELS_DIR) -> dict[str, dict[str, Any]]:
    """manifest.json for every catalogued file present in ``models_dir`` (size and SHA-256)."""
    out = {}
    for sp in CATALOG.values():
        path = models_dir / sp.filename
        if path.is_file():
            data = path.read_bytes()
            out[sp.filename] = {"bytes": len(data), "sha256": sha256(data)}
    (models_dir / MANIFEST).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return out


# ---------------------------------------------------------------------------------------------- loading into a lab
@dataclass(frozen=True)
class Loaded:
    """What loading a starting point did, for the page."""

    name: str  # the starting point
    config: Any  # the run's config (the page sets its widgets to it)
    step: int  # where training continues
    message: str  # what the page says


def mark(trainer, step: int) -> None:
    """A chart mark where the loaded run starts (core.models.keras_trainer's ``events``; the numpy trainer gets the
    list)."""
    events = getattr(trainer, "events", None)
    if not isinstance(events, list):
        events = []
        trainer.events = events
    events.append((int(step), MARK))


def said(sp: StartingPoint, step: int, facts: dict[str, Any], unit: str, extra: str = "", steps: str = "steps") -> str:
    loss = facts.get("val_loss")
    how = f", validation {units.loss(loss, unit)}" if loss is not None else ""
    secs = facts.get("seconds")
    built = (
        f" It was trained beforehand by scripts/build_models.py (seed {int(facts.get('seed', 0))}"
        + (f", {secs / 60:.1f} minutes" if secs else "")
        + ")."
    )
    return (
        f"Loaded the {MARK}: {sp.title} after {step:,} {steps}{how}.{built}{extra} Press Start to continue "
        f"training from {steps[:-1]} {step:,}."
    )
