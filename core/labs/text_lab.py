"""The Text lab's session object (see core.labs.lab): text corpora, Keras runs, live samples, model files.

A new run starts when the cell, size, layers, embedding, dropout, seed or the text changes (or the student
asks for one); the learning rate, batch size and window length apply to the running model. A run remembers
the text it trains on, encoded with its model's vocabulary: a model loaded from a file whose vocabulary lacks
some characters of the chosen text can only sample (``run.corpus`` is None).
"""

from __future__ import annotations

import functools
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from core.files import starting_points as sps
from core.labs.lab import (
    ZERO_INPUT,
    HeldOut,
    InsideSequence,
    Lab,
    Meter,
    NothingToRead,
    Schedule,
    TypedText,
    UploadCache,
    locked,
)
from core.labs.settings import (
    PAGES,
    LabSpec,
    choice,
    floats,
    ints,
    same,
    sample_seed,
    schedule,
    seed,
    stop_best,
    text,
    units,
)
from core.models.keras_model import CELL_NAMES, CELLS, MAX_HIDDEN, MAX_LAYERS, RNNConfig
from core.models.sampling import TokenModel, generate
from core.models.timelapse import SAMPLE_CHARS, SAMPLE_TEMPERATURE, LabSample
from core.server import budget
from core.text.lexicon import SampleCheck
from core.text.text_data import CorpusError, TextCorpus, char_label
from core.text.textio import MB, UploadError, decode_text

DATA = Path(__file__).resolve().parents[2] / "data"
BUNDLED = {
    "Shakespeare (bundled)": "shakespeare.txt",
    "Dinosaur names (bundled)": "dinos.txt",
}  # label -> file in data/
MAX_UPLOAD = 10 * MB  # text uploads
MAX_MODEL_UPLOAD = 20 * MB  # model zips (Streamlit's server.maxUploadSize in .streamlit/config.toml)
LIVE_SAMPLE_CHARS = 200  # length of the live sample (up to ~8 lines: it and the chart fit the first screen)
LIVE_SAMPLE_TEMPERATURE = 0.8  # of the live sample
VAL_BATCHES, VAL_BATCH, VAL_SEQ = (
    4,
    64,
    100,
)  # validation: 256 fixed windows of 100 characters (25,600 characters), in 4 batches
VAL_PARTS = (
    1  # batches measured per live validation point (the 4 are spread over 4 points; see core.models.keras_trainer)
)
MAX_PRIME = 500  # characters of priming text the sampler reads; longer text is cut (with a message)
POINT_EVERY_S = 1.0  # a roll-back point (a copy of the weights and Adam's state) at most once a second of training
DEFAULTS = RNNConfig()  # what a student gets: one source for the page, the tests and the benchmarks
# The page's settings ranges; an uploaded model must fit them.
HIDDEN_RANGE = (16, MAX_HIDDEN)
MAX_EMBED = 256
MAX_DROPOUT = 0.5
SEQ_OPTIONS = [16, 25, 32, 50, 64, 100, 128, 200, 256]
BATCH_OPTIONS = [4, 8, 16, 32, 64, 128]
LR_OPTIONS = [1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 3e-2, 0.1, 1.0, 10.0]


def bundled_corpus(filename: str) -> TextCorpus:
    return TextCorpus((DATA / filename).read_text(encoding="utf-8"))


def read_text_upload(data: bytes, encoding: str) -> tuple[TextCorpus, str | None]:
    """Uploaded bytes -> (corpus, a note about the encoding or None); UploadError/CorpusError with the reason."""
    text, note = decode_text(data, max_bytes=MAX_UPLOAD, allow_latin1=encoding == "Latin-1", what="text file")
    return TextCorpus(text), note


def fixed_val_batches(corpus: TextCorpus):
    """The run's validation windows, computed once so successive evaluations are comparable."""
    batches = corpus.val_batches(VAL_BATCHES, VAL_BATCH, VAL_SEQ)
    return lambda: batches


def new_trainer(corpus: TextCorpus, config: RNNConfig):
    """A trainer on ``corpus`` with the lab's validation windows (the page and the benchmark build the same)."""
    from core.models.keras_trainer import SequenceTrainer  # TensorFlow is imported when a model is first needed

    t = SequenceTrainer(corpus.vocab_size, config, corpus.sample_batch, fixed_val_batches(corpus))
    t.eval_parts = VAL_PARTS
    t.point_every_s = POINT_EVERY_S  # after every ~150 ms step of the default LSTM 384, its ~3 ms cost 2% of the speed
    t.unit = "character"
    return t


def widget_values(cfg: RNNConfig) -> dict[str, Any]:
    """The Text page's settings widgets (by key) for a model's config: a loaded model sets them to its own."""
    return text_settings().widget_values(
        cell=cfg.cell,
        hidden=cfg.hidden,
        layers=cfg.layers,
        embedding=cfg.embed_dim,
        dropout=cfg.dropout,
        seed=cfg.seed,
        window=cfg.seq_len,
        batch=cfg.batch_size,
        lr=cfg.learning_rate,
    )


def cell_dropout(values: dict[str, Any]) -> None:
    """A link that names a cell and no dropout gets that cell's dropout, as the page's Cell box does."""
    from core.models.keras_model import CELL_DROPOUT

    if values.get("text_cell") is not None and "text_dropout" not in values:
        values["text_dropout"] = CELL_DROPOUT[values["text_cell"]]


@functools.cache
def text_settings() -> LabSpec:
    """The Text page's settings."""
    d = DEFAULTS
    return LabSpec(
        "text",
        PAGES["text"],
        "Text",
        (
            choice(
                "corpus",
                "text_source",
                next(iter(BUNDLED)),
                "upload",
                [(Path(f).stem, label) for label, f in BUNDLED.items()],
                label="Text to learn from",
                widget="radio",
            ),
            choice(
                "cell",
                "text_cell",
                d.cell,
                "architecture",
                same(CELLS),
                label="Cell",
                widget="selectbox",
                names=CELL_NAMES,
            ),
            ints("hidden", "text_hidden", d.hidden, "architecture", *HIDDEN_RANGE, 16, label="Hidden units per layer"),
            ints("layers", "text_layers", d.layers, "architecture", 1, MAX_LAYERS, label="Layers"),
            ints(
                "embedding",
                "text_embed",
                d.embed_dim,
                "architecture",
                8,
                MAX_EMBED,
                8,
                label="Embedding size",
                help="Each character becomes a learned vector this long.",
            ),
            floats(
                "dropout",
                "text_dropout",
                d.dropout,
                "architecture",
                0.0,
                MAX_DROPOUT,
                0.05,
                label="Dropout",
                help="Between layers and before the output, in training only.",
            ),
            seed("text_seed", "Seeds the weights and the batch order."),
            choice(
                "window",
                "text_seq",
                d.seq_len,
                "training",
                SEQ_OPTIONS,
                label="Sequence length (characters per window)",
            ),
            choice(
                "batch", "text_batch", d.batch_size, "training", BATCH_OPTIONS, label="Batch size (windows per step)"
            ),
            choice("lr", "text_lr", d.learning_rate, "training", LR_OPTIONS, label="Learning rate (Adam)", fmt="g"),
            schedule("text_schedule"),
            stop_best("text_stop_best", False),
            units("text", TextLab.unit),
            text(
                "prime",
                "text_prime",
                "sampling",
                MAX_PRIME,
                label=f"Priming text (the model reads it first; empty = start after a newline; at most {MAX_PRIME} "
                "characters)",
            ),
            ints(
                "length",
                "text_len",
                500,
                "sampling",
                0,
                2000,
                label="Characters to generate",
                widget="number_input",
                nudge=50,
            ),
            floats(
                "temperature",
                "text_temp",
                0.8,
                "sampling",
                0.0,
                2.0,
                0.05,
                label="Temperature (0 = always the most likely)",
            ),
            ints(
                "top_k",
                "text_topk",
                0,
                "sampling",
                0,
                10_000,
                label="Top-k (0 = off)",
                widget="number_input",
                help="Sample only among the k most likely characters.",
            ),
            sample_seed("text_sample_seed"),
        ),
        kept=("text_encoding",),  # an upload's encoding
        implied=cell_dropout,
    )


@dataclass
class TextRun:
    """What the current run trains on."""

    corpus_name: str  # shown in labels
    corpus: TextCorpus | None  # the text encoded with the model's vocabulary (None: sampling only)
    chars: list[str]  # the model's vocabulary, index -> character
    uploaded: bool = False  # the model came from a file


@dataclass(frozen=True)
class LiveSample:
    step: int  # the step it was sampled at
    text: str  # the sample
    check: SampleCheck  # its real words and speaker names


@dataclass(frozen=True)
class Generated:
    """What the Generate button produced."""

    prime: str  # the priming text actually used
    text: str  # the generated characters
    records: list  # core.models.sampling.StepRecord per generated character
    labels: list[str]  # printable label per vocabulary index
    seconds: float  # how long it took
    step: int  # the model's step
    settings: str  # "temperature 0.8, top-k 5"
    weights: str = ""  # which weights generated it (core.models.keras_trainer.SequenceTrainer.weights_note)
    temperature: float = LIVE_SAMPLE_TEMPERATURE  # the sampling temperature
    top_k: int = 0  # sampled among the k most likely characters (0: all)
    seed: int = 0  # the sampling seed


def progress_sample(
    model: TokenModel, corpus: TextCorpus, n_chars: int, temperature: float, rng: np.random.Generator
) -> tuple[str, SampleCheck]:
    """The Text lab's live sample and its real-word check.

    ``n_chars`` characters from a fresh state, starting after a blank line when the text has them (in a
    play, where a speaker's name comes next), else after a newline (or from no input at all when the
    vocabulary has no newline). ``model`` must use ``corpus``'s vocabulary.
    """
    nl = corpus.stoi.get("\n")
    prime = [nl] if nl is not None and corpus.has_blank_lines else []
    records = generate(model, n_chars, temperature=temperature, rng=rng, prime=prime, first_input=nl)
    text = corpus.decode([r.picked for r in records])
    return text, corpus.lexicon.check(text)


def held_out_text(corpus: TextCorpus) -> HeldOut:
    """The validation part (the last 10%) held out, counts from the first 90%; uniform up to trigram."""
    return HeldOut(
        [corpus.train_ids],
        [corpus.val_ids],
        corpus.vocab_size,
        (1, 2, 3),
        "character",
        "the validation part (the last 10% of the text)",
        "the training part (the first 90%)",
    )


class TextLab(Lab):
    key = "text"
    settings = staticmethod(text_settings)
    # Training time per refresh grows with the run: 0.5 s for its first 10 s of training (the first loss point and the
    # first refreshes come quickly), 1.5 s until it has trained a minute, then 4 s. The fragment timer is shorter than
    # a slice, so slices run back to back. Each refresh costs CPU outside training that the two cores' training then
    # lacks: the settling pause and Streamlit's rerun on the server, and Chromium redrawing the page and the chart
    # (~0.26 of a core on average at 1.5 s slices, 24 Nov). bench/browser.py `fit` (the lab in Chromium against a
    # plain model.fit of the same model, alternated round by round): LSTM 256 0.72x at 1.5 s slices, 0.94x at 3 s;
    # LSTM 384 (the default since 24 Nov) 0.90x at 3 s with validation every 2.5 s and a sample every 5 s, so after the
    # first minute slices are 4 s, validation every 4 s and a live sample every 8 s. At 0.5 s slices the page trained
    # ~60-75% of the time. Each validation measures one of the 4 validation batches in turn (~50 ms for LSTM 256 on 2
    # cores); each point is the mean over the latest result of all 4, i.e. over the last ~10-16 s of weights.
    # In a browser the session's thread trains it (``worker``, core.labs.worker) in slices of ``worker_slice_s``
    # while the page redraws every ``draw_s``: the slice lengths above then only set when validation and the live
    # sample are due; they still are the slices of AppTest and of a race, which train in the page's refreshes. The
    # page redraws every second for a run's first minute of training, then every 4 s: each drawing costs the server
    # and the browser CPU that training then lacks (bench/clicks.py: in Chromium on the server's two cores, 0.76x a
    # plain fit with a drawing every second after the first minute).
    schedule = Schedule(
        slice_s=4.0,
        tick_s=0.3,
        chunk_s=0.2,
        max_chunk=50,
        first_chunk=1,
        eval_every_s=4.0,
        sample_every_s=8.0,
        worker=True,
        draw_s=4.0,
    )
    start_schedule = replace(
        schedule, slice_s=0.5, eval_every_s=2.5, sample_every_s=5.0, draw_s=1.0
    )  # the first START_S seconds of training of a run
    middle_schedule = replace(start_schedule, slice_s=1.5)  # then until it has trained STEADY_S seconds
    START_S = 10.0
    STEADY_S = 60.0
    unit = "character"
    chart_y = "loss (nats per character)"

    def __init__(self) -> None:
        super().__init__()
        self.upload: UploadCache[TextCorpus] = UploadCache()  # the student's text
        self.run: TextRun | None = None
        self.sampled: Generated | None = None  # the last Generate
        self.stop_at_best = False  # stop by itself at the best validation (a widget; off here, on in the Music lab)

    # -- corpus and runs -------------------------------------------------------------------------------------
    def read_upload(self, file_id: str, name: str, data: bytes, encoding: str) -> UploadCache[TextCorpus]:
        return self.upload.get(
            (file_id, encoding), name, lambda: read_text_upload(data, encoding), (UploadError, CorpusError)
        )

    def run_label(self) -> str:
        t, run = self.trainer, self.run
        return f"#{self.run_number} {t.config.label()} · {run.corpus_name}" + (" · uploaded" if run.uploaded else "")

    def same_model(self, old: RNNConfig, new: RNNConfig) -> bool:
        return old.same_architecture(new)

    def retune(self, trainer, config: RNNConfig) -> None:
        trainer.set_training_params(
            learning_rate=config.learning_rate,
            batch_size=config.batch_size,
            seq_len=config.seq_len,
            lr_schedule=config.lr_schedule,
        )
        trainer.stop_at_best = self.stop_at_best

    def build_trainer(self, corpus: TextCorpus, config: RNNConfig):
        t = new_trainer(corpus, config)
        t.stop_at_best = self.stop_at_best
        return t

    def _schedule_now(self) -> Schedule:
        """Short slices for the first START_S seconds of a run, longer ones until STEADY_S, then the longest (see
        ``schedule``). A schedule set from outside (a test, the race) is left alone."""
        steady = type(self).schedule
        if not any(self.schedule is own for own in (steady, self.start_schedule, self.middle_schedule)):
            return self.schedule
        t = self.trainer
        trained = t.elapsed_s if t is not None else 0.0
        return (
            self.start_schedule
            if trained < self.START_S
            else self.middle_schedule
            if trained < self.STEADY_S
            else steady
        )

    def run_slice(self, slice_s: float | None = None):
        self.schedule = self._schedule_now()
        return super().run_slice(slice_s)

    def draw_every(self) -> float:
        return self._schedule_now().draw_s

    # -- best weights ------------------------------------------------------------------------------------------
    def steps_per_minute(self, vocab_size: int, config: RNNConfig) -> tuple[float, bool]:
        """(training steps a minute for ``config`` here, whether measured on this very model)."""
        t = self.trainer
        if t is not None and self.sec_per_step:
            if t.config == config:
                return 60.0 / self.sec_per_step, True
            return budget.steps_per_minute(
                vocab_size, config, (budget.step_flops(t.vocab_size, t.config), self.sec_per_step)
            ), False
        return budget.steps_per_minute(vocab_size, config), False

    def differences(self, old: RNNConfig, new: RNNConfig) -> list:
        return [
            ("cell", CELL_NAMES[old.cell], CELL_NAMES[new.cell]),
            ("hidden", old.hidden, new.hidden),
            ("layers", old.layers, new.layers),
            ("embedding", old.embed_dim, new.embed_dim),
            ("dropout", old.dropout, new.dropout),
            ("seed", old.seed, new.seed),
        ]

    def configure_text(
        self, corpus_id: str, corpus_name: str, corpus: TextCorpus, config: RNNConfig, *, force_new: bool = False
    ):
        """``configure`` for a text called ``corpus_name`` (shown in the run's label)."""
        if self.run is not None and self.corpus_id != corpus_id:
            self.corpus_change = f"text {self.run.corpus_name} → {corpus_name}"
        t = self.trainer
        trainer = self.configure(corpus_id, corpus, config, force_new=force_new)
        if trainer is not t:
            self.run = TextRun(corpus_name, corpus, list(corpus.chars))
        return trainer

    def on_new_run(self) -> None:
        self.sampled = None

    def can_train(self) -> str | None:
        if self.run is not None and self.run.corpus is None:
            return (
                "This model's vocabulary doesn't cover the chosen text, so it can only sample. Pick a text it "
                "covers to train."
            )
        return super().can_train()

    def sample_of(self, model: TokenModel, step: int) -> LiveSample:
        rng = np.random.default_rng([self.trainer.config.seed, step])
        text, check = progress_sample(model, self.run.corpus, LIVE_SAMPLE_CHARS, LIVE_SAMPLE_TEMPERATURE, rng)
        return LiveSample(step, text, check)

    # -- sampling --------------------------------------------------------------------------------------------
    def clamp_prime(self, prime: str) -> tuple[str, str | None]:
        """(the priming text the sampler will read, a message when it had to be cut)."""
        if len(prime) <= MAX_PRIME:
            return prime, None
        return prime[:MAX_PRIME], (
            f"The priming text has {len(prime):,} characters; the model reads at most {MAX_PRIME:,}, so only the "
            f"first {MAX_PRIME:,} are used."
        )

    def unknown_prime_chars(self, prime: str) -> list[str]:
        return sorted(set(prime) - set(self.run.chars))

    @locked
    def generate(self, prime: str, length: int, temperature: float, top_k: int, seed: int) -> Generated:
        """Sample ``length`` characters after ``prime`` (empty: start after a newline) from the current weights."""
        chars = self.run.chars
        stoi = {c: i for i, c in enumerate(chars)}
        ids = [stoi[c] for c in prime] if prime else ([stoi["\n"]] if "\n" in stoi else [])
        first, rest = (ids[0], ids[1:]) if ids else (None, [])  # no newline in the vocabulary: a zero embedding
        t0 = time.perf_counter()
        records = generate(
            self.trainer.token_model(),
            int(length),
            temperature=float(temperature),
            top_k=int(top_k) or None,
            rng=np.random.default_rng(int(seed)),
            prime=rest,
            first_input=first,
        )
        self.sampled = Generated(
            prime=prime,
            text="".join(chars[r.picked] for r in records),
            records=records,
            labels=[char_label(c) for c in chars],
            seconds=time.perf_counter() - t0,
            step=self.trainer.step,
            settings=f"temperature {temperature:g}" + (f", top-k {int(top_k)}" if top_k else ""),
            weights=self.trainer.weights_note(),
            temperature=float(temperature),
            top_k=int(top_k),
            seed=int(seed),
        )
        return self.sampled

    # -- model files -----------------------------------------------------------------------------------------
    def export_zip(self) -> bytes:
        """The current run as a model zip (model.keras + vocab.json with the run's metadata + history.json, its loss
        history, so the chart comes back with the model)."""
        from core.files.model_zip import export_model_zip

        t = self.trainer
        meta = dict(t.summary(), corpus=self.run.corpus_name, app="RNN Playground text lab")
        return export_model_zip(t, self.run.chars, meta, history=t.history)

    def load_zip(self, data: bytes, current: tuple[str, str, TextCorpus] | None) -> tuple[RNNConfig, str]:
        """Load an uploaded model zip as the new run -> (its config, what the page says). CorpusError with the
        reason when it can't be used; then nothing changes. ``current`` is the picker's (corpus id, name, corpus)."""
        from core.files.model_zip import import_model_zip, read_history, read_meta, validate_meta

        spec = self.settings()  # the page's window and batch ranges
        meta, notes = validate_meta(
            read_meta(data), seq_len_range=spec["window"].span(), batch_range=spec["batch"].span()
        )
        history = read_history(data, max_bytes=MAX_MODEL_UPLOAD)  # None: the zip has none
        override = meta.get("config", {})

        def fits(cfg: RNNConfig, n_chars: int) -> None:  # before Keras builds anything
            v = self.budget_verdict(
                None,
                replace(cfg, **{k: override[k] for k in ("seq_len", "batch_size") if k in override}),
                vocab_size=n_chars,
            )
            if not v.ok:
                raise CorpusError(v.message)

        t, chars, _ = import_model_zip(data, max_bytes=MAX_MODEL_UPLOAD, config_override=override, before_build=fits)
        cfg = t.config
        if (
            not HIDDEN_RANGE[0] <= cfg.hidden <= HIDDEN_RANGE[1]
            or cfg.embed_dim > MAX_EMBED
            or cfg.dropout > MAX_DROPOUT
        ):
            raise CorpusError(
                f"The model ({cfg.label()}) is outside this page's settings (hidden "
                f"{HIDDEN_RANGE[0]}–{HIDDEN_RANGE[1]}, "
                f"embedding ≤ {MAX_EMBED}, dropout ≤ {MAX_DROPOUT})."
            )
        corpus = None
        if current is not None and not set(current[2].chars) - set(chars):
            corpus = TextCorpus(current[2].text, chars)  # the same text, encoded with the model's vocabulary
            t.sample_batch = corpus.sample_batch
            t.val_batches = fixed_val_batches(corpus)
        t.set_progress(
            step=meta.get("step", t.step), tokens_seen=meta.get("tokens_seen", 0), elapsed_s=meta.get("elapsed_s", 0.0)
        )
        if history is not None:
            t.history = history
        self.archive_current()
        self.new_run(t, current[0] if current else "none")
        self.run = TextRun(current[1] if current else "?", corpus, list(chars), uploaded=True)
        self.sampled = None
        self.running = False
        where = (
            f"It continues training on {current[1]}."
            if corpus is not None
            else (
                "Its vocabulary doesn't cover the chosen text, so it can only sample; pick the text it was trained "
                "on to continue training."
            )
        )
        said = f"Loaded the uploaded model ({cfg.label()}, step {t.step:,}). {where}"
        past = (
            "Its loss history is back on the chart."
            if history is not None
            else "The zip holds no loss history (history.json), so the chart starts at this step."
        )
        return cfg, " ".join([said, past, *notes])

    def summary(self) -> dict[str, Any]:
        return dict(asdict(self.trainer.config), step=self.trainer.step)

    # -- get the code (core.files.get_code) ---------------------------------------------------------------------
    has_code = True
    CODE_WEIGHTS = "text_model.zip"  # the model zip the exported program continues from (the lab's download)

    def code_corpus_file(self) -> str:
        """The name the exported program reads the run's text from: the bundled file's, or the upload's made safe."""
        from core.files.get_code.text import safe_file_name

        cid = self.corpus_id or ""
        if cid.startswith("bundled:"):
            return cid.split(":", 1)[1]
        return safe_file_name(self.run.corpus_name)

    def code_files(self) -> dict[str, bytes]:
        """The files the exported program reads besides the weights: the run's text (UTF-8) under
        ``code_corpus_file()``; empty when the run has no text (a loaded model that can only sample)."""
        if self.run is None or self.run.corpus is None:
            return {}
        return {self.code_corpus_file(): self.run.corpus.text.encode("utf-8")}

    def code_settings(self, *, trained: bool, steps: int = 2000):
        """core.files.get_code.text.TextSettings for the current run, its last Generate and ``steps``."""
        from core.files.get_code.text import TextSettings

        if self.run is None or self.run.corpus is None:
            raise ValueError(
                "There is no text to train on: pick a text (or load a model whose vocabulary covers the chosen text) "
                "to get its code."
            )
        g = self.sampled
        gen = {}
        if g is not None:
            gen = dict(
                prime=g.prime, length=len(g.records), temperature=g.temperature, top_k=g.top_k, sample_seed=g.seed
            )
        return TextSettings(
            config=self.trainer.config,
            corpus_file=self.code_corpus_file(),
            val_windows=VAL_BATCHES * VAL_BATCH,
            val_len=VAL_SEQ,
            val_batch=VAL_BATCH,
            steps=int(steps),
            weights=self.CODE_WEIGHTS if trained else None,
            newline="\n" in self.run.chars,
            **gen,
        )

    def get_code(self, *, trained: bool):
        from core.files.get_code.text import program

        return replace(program(self.code_settings(trained=trained)), data=tuple(self.code_files().items()))

    def code_weights(self) -> tuple[str, bytes] | None:
        """The run's model zip (what "Download the model" gives): model.keras with Adam's state and vocab.json."""
        if self.trainer is None or self.run is None or self.trainer.step == 0:
            return None
        return self.CODE_WEIGHTS, self.export_zip()

    # -- baselines (core.toolkit.baselines) ---------------------------------------------------------------------
    def held_out_key(self) -> Any:
        run = self.run
        if self.trainer is None or run is None or run.corpus is None:
            return None
        return (self.key, self.corpus_id, id(run.corpus))

    def held_out(self) -> HeldOut | None:
        return None if self.held_out_key() is None else held_out_text(self.run.corpus)

    # -- look inside (core.inside, ui/inside) -------------------------------------------------------------------
    token_name = "character"
    explain_hint = (
        "Press **Generate** in the tab “Generate & inspect” (or choose “a text I type”), then pick a character to "
        "see which earlier characters its prediction depended on."
    )
    explain_note = "The priming text (or the newline generation starts after) comes first."
    reads_typed_text = True

    def no_model(self) -> bool:
        return self.run is None or super().no_model()

    def neuron_input(self) -> TypedText:
        corpus = self.run.corpus
        return TypedText(
            tuple(self.run.chars),
            None if corpus is None else corpus.text,
            0 if corpus is None else len(corpus.train_ids),
        )

    def gate_sequences(self, steps: int) -> tuple[tuple, str]:
        corpus = self.run.corpus
        if corpus is None:
            raise NothingToRead(
                "This model's vocabulary can't read the chosen text, so there is no held-out text to "
                "count its gates on."
            )
        ids = corpus.val_ids[:steps]
        return (tuple(int(i) for i in ids),), f"the first {len(ids):,} characters of the held-out text"

    def explainable(self) -> list[InsideSequence]:
        """The last generated text with the priming text (or the newline it starts after) in front."""
        g = self.sampled
        if g is None or not g.records:
            return []
        chars = self.run.chars
        stoi = {c: i for i, c in enumerate(chars)}
        lead = [stoi[c] for c in g.prime] if g.prime else ([stoi["\n"]] if "\n" in stoi else [None])
        tokens = (*lead, *(int(r.picked) for r in g.records))
        labels = tuple(ZERO_INPUT if t is None else char_label(chars[t]) for t in tokens)
        return [InsideSequence("the generated text", tokens, labels, g.step, "the generated text")]

    def distance_sequences(self) -> tuple[list, str]:
        corpus = self.run.corpus if self.run is not None else None
        if corpus is None:
            raise ValueError(
                "This model's vocabulary doesn't cover the chosen text, so there is no validation text to measure on."
            )
        return [corpus.val_ids], "the validation text (the last 10%)"

    # -- the architecture race (core.toolkit.race) -------------------------------------------------------------
    def training_data(self) -> TextCorpus | None:
        return self.run.corpus if self.run is not None else None

    def race_choices(self) -> tuple[str, list, list, Any]:
        return "Cells", list(CELLS), list(CELLS), CELL_NAMES.get

    def race_configs(self, choices) -> list[RNNConfig]:
        """Cells."""
        return [replace(self.trainer.config, cell=str(c)) for c in choices]

    def racer_label(self, config: RNNConfig) -> str:
        return config.label().split(" · ")[0]  # "LSTM 256"

    def race_shared(self) -> str:
        c = self.trainer.config
        return (
            f"hidden {c.hidden}×{c.layers}, embedding {c.embed_dim}, learning rate {c.learning_rate:g}, "
            f"window {c.seq_len}, batch {c.batch_size}, seed {c.seed}"
        )

    # -- what the time-lapse, the race and the hand-in show of this lab ----------------------------------------------
    def short_sample(
        self, model: TokenModel, seed: int, *, extras: dict | None = None, corpus: Any = None
    ) -> LabSample:
        """Primed as the live sample (``progress_sample``) primes, keeping the records for the inspector."""
        from core.text.lexicon import describe_check

        corpus = corpus if corpus is not None else self.run.corpus
        rng = np.random.default_rng(int(seed))
        if corpus is None:  # a loaded model that can only sample: its own vocabulary, no word check
            chars = self.run.chars
            first = chars.index("\n") if "\n" in chars else None
            recs = generate(model, SAMPLE_CHARS, temperature=SAMPLE_TEMPERATURE, rng=rng, first_input=first)
            text = "".join(chars[r.picked] for r in recs)
            return LabSample("text", (text,), (tuple(recs),), tuple(char_label(c) for c in chars))
        nl = corpus.stoi.get("\n")
        prime = [nl] if nl is not None and corpus.has_blank_lines else []
        recs = generate(model, SAMPLE_CHARS, temperature=SAMPLE_TEMPERATURE, rng=rng, prime=prime, first_input=nl)
        text = corpus.decode([r.picked for r in recs])
        check = describe_check(corpus.lexicon.check(text), corpus.lexicon)
        return LabSample("text", (text,), (tuple(recs),), tuple(char_label(c) for c in corpus.chars), check)

    def handin_facts(self) -> dict[str, Any]:
        if self.run is None:
            return {}
        return {"corpus_name": self.run.corpus_name, "uploaded_model": bool(self.run.uploaded)}

    def handin_samples(self, meter: Meter) -> list[str]:
        lines: list[str] = []
        if self.live_sample is not None:
            lines += [f"Live sample at step {self.live_sample.step:,}:", self.live_sample.text]
            lines += [m for m in [meter("text", self.live_sample.text)] if m]
            lines.append("")
        g = self.sampled
        if g is not None:
            lines += [f"Generated at step {g.step:,} ({g.settings}); the priming text first:", g.prime + g.text]
            lines += [m for m in [meter("text", g.text)] if m]
        return lines

    # -- trained starting points (core.files.starting_points) --------------------------------------------------------
    def starting_point(self) -> sps.StartingPoint | None:
        return next(
            (sp for sp in sps.CATALOG.values() if sp.lab == self.key and self.corpus_id == f"bundled:{sp.corpus}"), None
        )

    def widget_values_for(self, config: RNNConfig) -> dict[str, Any]:
        return widget_values(config)

    def load_starting_point(self, name: str = "shakespeare", models_dir: Path = sps.MODELS_DIR) -> sps.Loaded:
        """The bundled Keras model ``name`` through the lab's model-zip import (``load_zip``), with its history;
        ModelZipError with the reason when it can't be used, and then nothing changes."""
        from core.files import model_zip as mz

        sp = sps.CATALOG[name]
        data = sps.read(name, models_dir)
        ours = self.run is not None and self.corpus_id == f"bundled:{sp.corpus}" and self.run.corpus is not None
        corpus = self.run.corpus if ours else None
        if corpus is None or list(corpus.chars) != sorted(set(corpus.text)):
            corpus = bundled_corpus(sp.corpus)
        config, _ = self.load_zip(data, (f"bundled:{sp.corpus}", "Shakespeare", corpus))
        t = self.trainer
        if self.run.corpus is None or list(self.run.chars) != list(corpus.chars):
            raise mz.ModelZipError(
                f"The trained model's characters don't match data/{sp.corpus}: rebuild it with scripts/build_models.py."
            )
        self.run.uploaded = False
        self.run.corpus_name = f"Shakespeare, {sps.MARK}"
        sps.mark(t, t.step)
        sps.full_validation(t)  # the loaded weights' validation loss: the trainer's best so far
        self.live_sample = self.make_live_sample()  # what the loaded model writes, shown at once
        facts = sps.origin(mz.read_meta(data))
        return sps.Loaded(name, config, t.step, sps.said(sp, t.step, facts, "character"))

    def export_starting_point(self, name: str, build: dict[str, Any]) -> bytes:
        """The current run as the model zip of starting point ``name`` (scripts/build_models.py)."""
        from core.files import model_zip as mz

        sp, t = sps.CATALOG[name], self.trainer
        facts = dict(
            name=name,
            title=sp.title,
            built_by="scripts/build_models.py",
            **build,
            val_loss=round(sps.full_validation(t), 4),
            train_loss=round(float(t.history.last_smooth()), 4),
        )
        meta = dict(t.summary(), corpus=sp.corpus, app=sps.APP, starting_point=facts)
        return mz.export_model_zip(t, self.run.chars, meta, history=t.history)
