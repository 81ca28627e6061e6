"""The Dinosaur lab's session object (see core.labs.lab): name lists, the course's trainer, samples.

A new run starts when the hidden size, the seed or the name list changes; the learning rate, clipping (on/off
and its value), the iteration budget and the sampling interval apply to the running model (a retune).

"Show an explosion" switches clipping off and the learning rate up (``EXPLOSION``) and trains until the
trainer's guard stops it (about a hundred names); "the course's settings" (``COURSE``) puts clip 5 and rate 0.01 back.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from core.files import model_zip as mz
from core.files import starting_points as sps
from core.files.get_code import dino as code
from core.files.get_code.program import Program
from core.labs.lab import (
    ZERO_INPUT,
    HeldOut,
    InsideSequence,
    Lab,
    Meter,
    Schedule,
    TypedNames,
    UploadCache,
    locked,
)
from core.labs.settings import PAGES, LabSpec, choice, flag, floats, ints, sample_seed, seed, units
from core.models.dino import MAX_HIDDEN, DinoConfig, DinoTrainer, clean_names, load_names
from core.models.sampling import TokenModel
from core.models.timelapse import SAMPLE_NAMES, LabSample, sample_names
from core.models.trainer import Stop, StopKind
from core.text.text_data import char_label
from core.text.textio import MB, UploadError, decode_text

DATA = Path(__file__).resolve().parents[2] / "data" / "dinos.txt"
MAX_UPLOAD = 5 * MB  # name lists are small; this keeps one name per step fast
MIN_NAMES = 10  # shorter lists are refused
EXPLOSION = dict(learning_rate=1.0, clip_value=None)  # "Show an explosion": no clipping, a high learning rate
COURSE = dict(learning_rate=0.01, clip_value=5.0)  # the course's settings
HOLD_EVERY = 10  # the baselines hold every 10th name out (the course trains on all of them)
RACE_SIZES = [5, 10, 25, 50, 100, 200]  # hidden sizes a race offers
EXPLOSION_MAX_SLICES = 10  # "Show an explosion" trains at most this many slices waiting for the guard
# a model zip's config field -> the setting whose range it is checked against (the widgets' own)
ZIP_RANGES = {"n_a": "hidden", "iterations": "iterations", "learning_rate": "lr", "clip_value": "clip_value"}


def bundled_names() -> list[str]:
    return load_names(DATA)


def read_name_list(data: bytes, latin1: bool) -> tuple[list[str], str | None]:
    """Uploaded bytes -> (names, a note about the encoding or None); UploadError with the reason."""
    text, note = decode_text(data, max_bytes=MAX_UPLOAD, allow_latin1=latin1, what="name list")
    names = clean_names(text)
    if len(names) < MIN_NAMES:
        raise UploadError(
            f"The list has {len(names)} usable names after removing blank lines; at least {MIN_NAMES} are needed."
        )
    return names, note


def split_names(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """(counted names, held-out names) for the baselines: every HOLD_EVERY-th name (the 10th, 20th, …) is held out."""
    held = [n for i, n in enumerate(names) if i % HOLD_EVERY == HOLD_EVERY - 1]
    kept = [n for i, n in enumerate(names) if i % HOLD_EVERY != HOLD_EVERY - 1]
    return kept, held


def name_ids(name: str, char_to_ix: dict[str, int]) -> np.ndarray:
    """A name as the course's model reads it: the context newline, the characters, the final newline."""
    nl = char_to_ix["\n"]
    return np.array([nl] + [char_to_ix[c] for c in name] + [nl], dtype=np.int64)


def held_out_names(names: Sequence[str], char_to_ix: dict[str, int]) -> HeldOut:
    """Every 10th name held out (fewer than 10 names: all of them, counted and held); values per name."""
    kept, held = split_names(names)
    if not held:  # fewer than 10 names: measure on all of them
        kept = held = list(names)
    many = "" if len(held) == 1 else "s"
    return HeldOut(
        [name_ids(n, char_to_ix) for n in kept],
        [name_ids(n, char_to_ix) for n in held],
        len(char_to_ix),
        (1, 2),
        "name",
        f"every 10th name ({len(held):,} name{many}, held out for these lines only: the network trains on all)",
        f"the other {len(kept):,} names",
        per="sequence",
        note="; each line is per name (summed over a name's letters and its end, like the course's loss)",
    )


BUNDLED = "Bundled dinosaur names"  # the corpus choice of the bundled list (the other choice is an upload)
RESTARTS = "Changing it starts a new model."


@functools.cache
def dino_settings() -> LabSpec:
    """The Dinosaur page's settings."""
    return LabSpec(
        "dino",
        PAGES["dino"],
        "Dinosaur names",
        (
            choice(
                "corpus",
                "dino_source",
                BUNDLED,
                "upload",
                [("dinos", BUNDLED)],
                label="Names to learn from",
                widget="radio",
            ),
            ints("hidden", "dino_n_a", 50, "architecture", 1, MAX_HIDDEN, label="Hidden size (n_a)", help=RESTARTS),
            seed("dino_seed", RESTARTS),
            choice(
                "lr",
                "dino_lr",
                COURSE["learning_rate"],
                "training",
                [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0],
                label="Learning rate",
            ),
            ints(
                "iterations",
                "dino_iters",
                30_000,
                "training",
                100,
                500_000,
                label="Iterations (names to train on)",
                widget="number_input",
                nudge=1000,
            ),
            flag(
                "clip",
                "dino_clip_on",
                True,
                "training",
                label="Clip gradients (element-wise)",
                help="The course clips every gradient entry to ±5 before the update.",
            ),
            floats(
                "clip_value",
                "dino_clip",
                COURSE["clip_value"],
                "training",
                0.001,
                1e6,
                label="Clip value",
                widget="number_input",
                nudge=1.0,
                fmt="g",
                help="Changing clipping or the learning rate keeps the model: training continues with the new setting.",
            ),
            units("dino", DinoLab.unit),
            choice(
                "sample_every",
                "dino_sample_every",
                1000,
                "training",
                [100, 250, 500, 1000, 2000, 5000],
                label="Show samples every",
            ),
            floats(
                "temperature",
                "dino_temp",
                1.0,
                "sampling",
                0.0,
                3.0,
                0.05,
                label="Temperature (0 = always the most likely letter)",
            ),
            ints("n", "dino_how_many", 10, "sampling", 1, 100, label="How many names", widget="number_input"),
            sample_seed("dino_sample_seed"),
        ),
        kept=("dino_latin1",),  # "Read it as Latin-1" for an upload
    )


class DinoLab(Lab):
    key = "dino"
    settings = staticmethod(dino_settings)
    # A name takes ~0.5 ms at the defaults. In a browser the session's thread trains it (core.labs.worker) in slices
    # of two chunks (~0.2 s; a slice ends after its chunk when the page waits) and the page redraws once a second.
    # numpy holds the interpreter lock, so the thread takes turns with the page's Python. Measured once on a busy
    # machine (load 7-12 on 2 cores, without a browser): the thread trained 160-310 names a second against 83 for
    # 0.5 s slices in refreshes a second apart (which train half the time), and the page's thread waited a median
    # 55-75 ms for the lab's lock. Every Dinosaur lab of a server process trains in turns with the others
    # (``takes_turns``, core.labs.worker.Turns): threads that all want the interpreter lock at once lose more to
    # handing it over than they train. AppTest and a race train 0.5 s slices in the refreshes.
    schedule = Schedule(
        slice_s=0.5,
        tick_s=1.0,
        chunk_s=0.1,
        max_chunk=500,
        first_chunk=25,
        eval_every_s=None,
        worker=True,
        worker_slice_s=0.2,
        takes_turns=True,
    )
    unit = "name"
    chart_x = "iteration (names)"
    chart_y = "loss (nats per name)"
    raw_name = "raw loss per name"
    smooth_name = "smoothed loss (course)"

    def __init__(self) -> None:
        super().__init__()
        self.upload: UploadCache[list[str]] = UploadCache()  # the student's name list
        self.sampled: list | None = None  # [(name, records)] from the last "Sample names"
        self.sampled_parameters: dict | None = None  # a copy of the weights the samples were drawn with (formula view)
        self.sampled_step = 0  # the iteration the samples were drawn at
        self.sampling = code.Sampling()  # the last "Sample names" settings (the exported program samples with them)

    def read_upload(self, file_id: str, name: str, data: bytes, latin1: bool) -> UploadCache[list[str]]:
        return self.upload.get((file_id, latin1), name, lambda: read_name_list(data, latin1), (UploadError,))

    def run_label(self) -> str:
        return f"#{self.run_number} n_a {self.trainer.config.n_a} · seed {self.trainer.config.seed}"

    corpus_change = "a different name list"

    def same_model(self, old: DinoConfig, new: DinoConfig) -> bool:
        return old.n_a == new.n_a and old.seed == new.seed

    def retune(self, trainer: DinoTrainer, config: DinoConfig) -> None:
        trainer.learning_rate = config.learning_rate
        trainer.config = config

    def build_trainer(self, names: list[str], config: DinoConfig) -> DinoTrainer:
        return DinoTrainer(names, config)

    def differences(self, old: DinoConfig, new: DinoConfig) -> list:
        return [("hidden size", old.n_a, new.n_a), ("seed", old.seed, new.seed)]

    def on_new_run(self) -> None:
        self.sampled = None
        self.sampled_parameters = None

    def finished_stop(self):
        return self.trainer.train_steps(0).stop  # the trainer words its own budget

    @locked
    def sample(self, how_many: int, temperature: float, seed: int) -> list:
        self.sampling = code.Sampling(int(how_many), float(temperature), int(seed))
        self.sampled = self.trainer.sample_names(int(how_many), float(temperature), np.random.default_rng(int(seed)))
        self.sampled_parameters = copy.deepcopy(
            self.trainer.parameters
        )  # training goes on; the formula view needs these
        self.sampled_step = self.trainer.step
        return self.sampled

    def sampled_inputs(self, choice: int) -> list:
        """X of sampled name ``choice`` as the sampler fed it: the zero vector, then each picked character."""
        _, records = self.sampled[choice]
        return [None] + [r.picked for r in records[:-1]]

    def show_explosion(self) -> Stop | None:
        """Clipping off and a high learning rate (``EXPLOSION``) on the running model, then train until the guard
        stops it (at most ``EXPLOSION_MAX_SLICES`` slices). Returns the stop (DIVERGED when the guard caught it)."""
        t = self.trainer
        self.retune(t, replace(t.config, **EXPLOSION))
        stop = None
        for _ in range(EXPLOSION_MAX_SLICES):
            stop = self.run_slice()
            if stop is not None:
                break
        self.running = False
        if stop is None:
            stop = Stop(
                StopKind.PAUSED, "No explosion this time: the model kept its loss in check for several seconds."
            )
        return stop

    # -- baselines (core.toolkit.baselines) ---------------------------------------------------------------------
    def held_out_key(self) -> Any:
        t = self.trainer
        return None if t is None else (self.key, self.corpus_id, id(t.names))

    def held_out(self) -> HeldOut | None:
        """The course trains on every name: for the baselines only, every 10th name is held out."""
        t = self.trainer
        return None if t is None else held_out_names(t.names, t.char_to_ix)

    # -- look inside (core.inside, ui/inside) -------------------------------------------------------------------
    token_name = "letter"
    explain_hint = (
        "Press **Sample names** in the tab “Sample & inspect”, then pick a name and a letter here to see which "
        "earlier letters its prediction depended on."
    )
    explain_picker = "Name"
    explain_legend = (
        "⟨start⟩ is the zero vector x⟨1⟩ the course feeds first; ⏎ is the end of the name. Names are "
        "sampled from the model as it was when you pressed Sample names."
    )

    state_name = "a"  # the course's name for the hidden state
    cell_title = "The course's RNN"
    no_gates_aside = " (The Text lab trains LSTMs and GRUs; the Music lab, LSTMs.)"

    def recurrent_cell(self) -> str:
        return "simplernn"

    def neuron_input(self) -> TypedNames:
        t = self.trainer
        return TypedNames(tuple(t.names), t.char_to_ix)

    def explainable(self) -> list[InsideSequence]:
        """The last sampled names: the zero input, then the picked letters."""
        t = self.trainer
        out = []
        for name, records in self.sampled or []:
            picks = [int(r.picked) for r in records]
            if picks:
                labels = (ZERO_INPUT, *(char_label(t.ix_to_char[p]) for p in picks))
                what = f"the name “{name}”"
                out.append(InsideSequence(name or "(empty)", (None, *picks), labels, self.sampled_step, what))
        return out

    def distance_sequences(self) -> tuple[list, str]:
        """Every name of the training list as the course reads it: the zero input, its letters, the final newline."""
        t = self.trainer
        nl = t.char_to_ix["\n"]
        seqs = [[None] + [t.char_to_ix[ch] for ch in name] + [nl] for name in t.names]
        return seqs, "names of the training list (this lab has no validation names)"

    # -- the architecture race (core.toolkit.race) -------------------------------------------------------------
    race_smoothing = 0.995  # one name per step is noisy

    def training_data(self) -> list[str] | None:
        return self.trainer.names if self.trainer is not None else None

    def race_choices(self) -> tuple[str, list, list, Any]:
        return "Hidden sizes (n_a)", RACE_SIZES, [10, 50, 100], lambda n: f"n_a {n}"

    def race_configs(self, choices) -> list[DinoConfig]:
        """Hidden sizes, each with an iteration budget the race will not reach."""
        base = self.trainer.config
        return [replace(base, n_a=int(n), iterations=10**9) for n in choices]

    def racer_label(self, config: DinoConfig) -> str:
        return f"n_a {config.n_a}"

    def race_shared(self) -> str:
        c = self.trainer.config
        return f"learning rate {c.learning_rate:g}, seed {c.seed}, the same names in the same order"

    # -- what the time-lapse, the race and the hand-in show of this lab ----------------------------------------------
    def short_sample(
        self, model: TokenModel, seed: int, *, extras: dict | None = None, corpus: Any = None
    ) -> LabSample:
        t = self.trainer
        names = sample_names(model, t.chars, SAMPLE_NAMES, seed)
        new = sum(1 for n, _ in names if n and t.is_new(n))
        return LabSample(
            "names",
            tuple(n for n, _ in names),
            tuple(tuple(r) for _, r in names),
            tuple(t.labels),
            f"{new} of {len(names)} names are new (not in the training list).",
        )

    def handin_facts(self) -> dict[str, Any]:
        return {"names": len(self.trainer.names)}

    def handin_samples(self, meter: Meter) -> list[str]:
        t, lines = self.trainer, []
        if self.sampled:
            lines.append("Sampled names (new = not in the training list), with the memorisation meter:")
            for n, _ in self.sampled:
                lines.append(
                    f"  {n}  {'new' if t.is_new(n) else 'in the list'}{meter('name', n) or ''}" if n else "  (empty)"
                )
            lines.append("")
        if t.sample_batches:
            lines.append("Samples shown during training:")
            lines += [f"  iteration {it:,}: " + ", ".join(batch) for it, batch in t.sample_batches]
        return lines

    # -- get the code (core.files.get_code) ---------------------------------------------------------------------
    has_code = True

    def get_code(self, *, trained: bool) -> Program:
        """The course's program for the current run's settings, the names it trains on and the last "Sample names"
        settings; with ``trained``, it continues from ``code_weights()`` (ValueError before the first step)."""
        t = self.trainer
        if t is None:
            raise ValueError("There is no run yet.")
        if trained and t.step == 0:
            raise ValueError("The model has not trained yet: there are no trained weights to continue from.")
        corpus = code.BUNDLED_NAME if self.corpus_id == "bundled" else code.UPLOADED_NAME
        return code.program(
            t.config, t.names, self.sampling, corpus_name=corpus, trained_at=int(t.step) if trained else None
        )

    def code_weights(self) -> tuple[str, bytes] | None:
        t = self.trainer
        return None if t is None or t.step == 0 else (code.WEIGHTS_NAME, code.weights_npz(t))

    # -- trained starting points (core.files.starting_points) --------------------------------------------------------
    def starting_point(self) -> sps.StartingPoint | None:
        return sps.CATALOG["dinosaurs"] if self.corpus_id == "bundled" else None

    def widget_values_for(self, config: DinoConfig) -> dict[str, Any]:
        c = config
        return self.settings().widget_values(
            hidden=int(c.n_a),
            seed=int(c.seed),
            lr=c.learning_rate,
            iterations=int(c.iterations),
            sample_every=c.sample_every,
        )

    def load_starting_point(self, name: str = "dinosaurs", models_dir: Path = sps.MODELS_DIR) -> sps.Loaded:
        """The bundled numpy model ``name`` as the new run (checked like an uploaded model file), with its history;
        ModelZipError with the reason when it can't be used, and then nothing changes."""
        sp = sps.CATALOG[name]
        params, a_prev, chars, raw_meta, history = mz.import_numpy_zip(sps.read(name, models_dir))
        spec = self.settings()  # the ranges its widgets hold
        ranges = {k: spec[name].span() for k, name in ZIP_RANGES.items()}
        meta, notes = mz.validate_numpy_meta(raw_meta, ranges)
        cfg = meta.get("config", {})
        n_a = params["Waa"].shape[0]
        step = int(meta.get("step", 0))
        default = DinoConfig()
        config = replace(
            default,
            n_a=n_a,
            seed=int(cfg.get("seed", 0)),
            learning_rate=float(cfg.get("learning_rate", default.learning_rate)),
            clip_value=float(cfg.get("clip_value", default.clip_value)),
            sample_every=int(cfg.get("sample_every", default.sample_every)),
            iterations=min(step + default.iterations, mz.MAX_DINO_ITERATIONS),  # room to continue
        )
        t = DinoTrainer(bundled_names(), config)
        if t.chars != list(chars):
            raise mz.ModelZipError(
                f"The trained model's characters don't match data/{sp.corpus}: rebuild it with scripts/build_models.py."
            )
        t.resume(params, a_prev, step, meta.get("smooth_loss"), history)
        sps.mark(t, step)
        self.archive_current()
        self.new_run(t, "bundled")
        self.running = False
        facts = sps.origin(raw_meta)
        share = facts.get("genus_share")
        extra = (
            f" {share:.0%} of its names end like a real genus (-saurus, -tops, -raptor, -odon…)."
            if share is not None
            else ""
        )
        msg = sps.said(sp, step, {**facts, "val_loss": None}, "name", extra, steps="names")
        return sps.Loaded(name, config, step, " ".join([msg, *notes]))

    def export_starting_point(self, name: str, build: dict[str, Any]) -> bytes:
        """The current run as the model zip of starting point ``name`` (scripts/build_models.py); ``build`` = how it
        was built (seed, machine, seconds), kept in the metadata with the run's losses and checks."""
        sp, t = sps.CATALOG[name], self.trainer
        names = bundled_names()
        samples = sps.dino_samples(t.parameters, t.char_to_ix)
        facts = dict(
            name=name,
            title=sp.title,
            built_by="scripts/build_models.py",
            **build,
            loss_per_name=round(sps.dino_mean_loss(t.parameters, names, t.chars), 4),
            smoothed_loss=round(float(t.smooth_loss), 4),
            genus_share=round(sps.genus_share(samples, sps.genus_endings(names)), 4),
        )
        meta = dict(
            step=t.step,
            smooth_loss=float(t.smooth_loss),
            corpus=sp.corpus,
            app=sps.APP,
            config=asdict(t.config),
            starting_point=facts,
        )
        return mz.export_numpy_zip(t.parameters, t.chars, meta, history=t.history, a_prev=t.a_prev)
