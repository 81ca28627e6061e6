"""Text lab: a Keras character model (SimpleRNN / LSTM / GRU) trained live on Shakespeare or your own text."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import streamlit as st

from core import charts
from core.keras_rnn import CELL_NAMES, CELLS, RNNConfig, SequenceTrainer, count_params
from core.lexicon import Lexicon, SampleCheck
from core.sampling import generate
from core.text_data import (
    MIN_CHARS,
    CorpusError,
    TextCorpus,
    char_label,
    export_model_zip,
    import_model_zip,
    progress_sample,
)
from core.textio import MB, UploadError, decode_text
from ui import live, persist
from ui.inspector import render_inspector
from ui.nav import start_page

start_page()
persist.keep(
    "text_source", "text_encoding", "text_cell", "text_hidden", "text_layers", "text_embed", "text_dropout", "text_seed",
    "text_seq", "text_batch", "text_lr", "text_y", "text_prime", "text_len", "text_temp", "text_topk", "text_sample_seed",
)

KEY = "text"
DATA = Path(__file__).resolve().parent.parent / "data"
BUNDLED = {"Shakespeare (bundled)": "shakespeare.txt", "Dinosaur names (bundled)": "dinos.txt"}  # label -> file in data/
UPLOAD = "Upload a .txt"
MAX_UPLOAD = 10 * MB  # text uploads
MAX_MODEL_UPLOAD = 20 * MB  # model zips (Streamlit's server.maxUploadSize in .streamlit/config.toml)
SLICE_SECONDS = 0.5  # training time per refresh (a refresh every ~0.8 s: the chart updates at least once a second)
TICK_SECONDS = 0.3  # the fragment timer; requests during a slice are coalesced, so slices run back to back
EVAL_EVERY_S = 5.0  # validation loss every few seconds of wall time
SAMPLE_EVERY_S = 5.0  # a short live sample every so often
LIVE_SAMPLE_CHARS = 300  # length of the live sample
LIVE_SAMPLE_TEMPERATURE = 0.8  # of the live sample
VAL_BATCHES, VAL_BATCH, VAL_SEQ = 1, 64, 100  # bounded validation: one batch of 64 fixed windows of 100 characters
MAX_RUNS = 6  # earlier runs kept on the chart
DEFAULTS = RNNConfig()  # what a student gets: one source for the page, the tests and the benchmarks
INSPECT_SPAN = 120  # characters the inspector shows at once
HIDDEN_RANGE = (16, 1024)
SEQ_OPTIONS = [16, 25, 32, 50, 64, 100, 128, 200, 256]
BATCH_OPTIONS = [4, 8, 16, 32, 64, 128]
LR_OPTIONS = [1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 3e-2, 0.1, 1.0, 10.0]
ss = st.session_state

st.title("📜 Text")
st.caption(
    "A character-level language model in Keras: embedding → SimpleRNN / LSTM / GRU → softmax over the next character, "
    "trained many-to-many (every position predicts the next character) with Adam and gradient clipping."
)


# ---------------------------------------------------------------------------------------------- corpus
@st.cache_resource(show_spinner="Reading the corpus…")
def bundled_corpus(filename: str) -> TextCorpus:
    """Read-only, shared by all sessions (nothing ever mutates a TextCorpus)."""
    return TextCorpus((DATA / filename).read_text(encoding="utf-8"))


def corpus_picker() -> tuple[str, str, TextCorpus] | None:
    """Returns (corpus id, display name, corpus) or None when the chosen corpus can't be used (a message is shown)."""
    source = st.radio("Text to learn from", [*BUNDLED, UPLOAD], horizontal=True, key="text_source")
    if source in BUNDLED:
        path = DATA / BUNDLED[source]
        if not path.exists():
            st.warning(f"`data/{BUNDLED[source]}` is not in this installation. Pick another corpus or upload a text.")
            return None
        try:
            return f"bundled:{BUNDLED[source]}", source.split(" (")[0], bundled_corpus(BUNDLED[source])
        except (CorpusError, OSError, UnicodeDecodeError) as exc:
            st.error(f"The bundled text can't be used: {exc}")
            return None
    c1, c2 = st.columns([3, 1])
    up = c1.file_uploader(
        f"A plain-text .txt file (UTF-8; at most {MAX_UPLOAD // MB} MB; at least {MIN_CHARS:,} characters)",
        type=["txt"],
        key="text_upload",
    )
    encoding = c2.radio(
        "Encoding", ["UTF-8", "Latin-1"], key="text_encoding", help="Latin-1 reads any bytes; use it only when UTF-8 is refused."
    )
    cached = ss.get("text_upload_cache")
    if up is None:
        if cached is not None and cached[1] is not None:
            # the uploader forgets its file when the student visits another page; the session keeps the text
            (file_id, enc), corpus, _, name = cached
            c1.caption(f"Using your earlier upload **{name}**. Upload another file to replace it.")
            return f"upload:{file_id}:{enc}", name, corpus
        st.info("Upload a text to train on: a book from Project Gutenberg, song lyrics, source code…")
        return None
    cache_key = (up.file_id, encoding)
    if cached is None or cached[0] != cache_key:
        try:
            text, note = decode_text(up.getvalue(), max_bytes=MAX_UPLOAD, allow_latin1=encoding == "Latin-1", what="text file")
            cached = (cache_key, TextCorpus(text), note, up.name)
        except (UploadError, CorpusError) as exc:
            cached = (cache_key, None, str(exc), up.name)
        ss["text_upload_cache"] = cached
    _, corpus, note, _ = cached
    if corpus is None:
        st.error(note)
        return None
    if note:
        st.info(note)
    return f"upload:{up.file_id}:{encoding}", up.name, corpus


def show_corpus(name: str, corpus: TextCorpus) -> None:
    s = corpus.stats()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Characters", f"{s.n_chars:,}")
    c2.metric("Vocabulary", f"{s.vocab_size} characters")
    c3.metric("Training part", f"{s.n_train:,}")
    c4.metric("Validation (last 10%)", f"{s.n_val:,}")
    common = " ".join(f"`{char_label(ch)}` {n / s.n_chars:.1%}" for ch, n in s.most_common)
    st.caption(f"{name}: {s.n_lines:,} lines. Most common characters: {common}")
    with st.expander("Vocabulary and a peek at the text"):
        st.markdown(" ".join(f"`{char_label(ch)}`" for ch in corpus.chars))
        st.text(corpus.text[:600])


# ---------------------------------------------------------------------------------------------- runs
def fixed_val_batches(corpus: TextCorpus):
    batches = corpus.val_batches(VAL_BATCHES, VAL_BATCH, VAL_SEQ)  # computed once per run: comparable evaluations
    return lambda: batches


def new_run_state(corpus_id: str, corpus_name: str, corpus: TextCorpus | None, chars: list[str], *, uploaded: bool = False) -> dict:
    ss["text_run_counter"] = ss.get("text_run_counter", 0) + 1
    return dict(
        number=ss["text_run_counter"],  # shown in the run's label
        corpus_id=corpus_id,  # which picker choice this run belongs to
        corpus_name=corpus_name,
        corpus=corpus,  # the training text encoded with this run's vocabulary (None: sampling only)
        chars=chars,  # the model's vocabulary, index -> character
        uploaded=uploaded,
        last_eval=0.0,  # time.monotonic() of the last validation pass
        last_sample=0.0,  # time.monotonic() of the last live sample
        live_sample=None,  # (step, text, core.lexicon.SampleCheck)
    )


def run_label(t: SequenceTrainer, run: dict) -> str:
    return f"#{run['number']} {t.config.label()} · {run['corpus_name']}" + (" · uploaded" if run["uploaded"] else "")


def archive_current() -> None:
    """Keep the current run's curves (bounded list) before it is replaced."""
    t: SequenceTrainer | None = ss.get(KEY)
    run = ss.get("text_run")
    if t is None or run is None or t.step == 0:
        return
    runs = ss.setdefault("text_runs", [])
    runs.append(
        dict(
            label=run_label(t, run),
            steps=list(t.history.steps),
            train=list(t.history.values["train"]),
            val_steps=list(t.val_history.steps),
            val=list(t.val_history.values["val"]),
        )
    )
    del runs[:-MAX_RUNS]


def current_trainer(corpus_id: str, corpus_name: str, corpus: TextCorpus, config: RNNConfig) -> SequenceTrainer:
    """The session's trainer; a new run when the architecture, seed or corpus changed (and say so)."""
    t: SequenceTrainer | None = ss.get(KEY)
    run = ss.get("text_run")
    force = ss.pop("text_force_new", False)
    if t is not None and run is not None and not force and run["corpus_id"] == corpus_id and t.config.same_architecture(config):
        t.set_training_params(learning_rate=config.learning_rate, batch_size=config.batch_size, seq_len=config.seq_len)
        return t
    if t is not None and run is not None:
        old = t.config
        changes = live.changes(
            ("cell", CELL_NAMES[old.cell], CELL_NAMES[config.cell]),
            ("hidden", old.hidden, config.hidden),
            ("layers", old.layers, config.layers),
            ("embedding", old.embed_dim, config.embed_dim),
            ("dropout", old.dropout, config.dropout),
            ("seed", old.seed, config.seed),
        )
        if run["corpus_id"] != corpus_id:
            changes.append(f"text {run['corpus_name']} → {corpus_name}")
        if force:
            changes.append("you asked for a new run")
        ss["text_restart_note"] = (
            "Started a new run from scratch (" + ", ".join(changes) + ")."
            + (" The previous run stays on the chart." if t.step else "")
        )
        archive_current()
        live.stop(KEY)
    with st.spinner("Building the model (the first time also loads TensorFlow)…"):
        t = SequenceTrainer(corpus.vocab_size, config, corpus.sample_batch, fixed_val_batches(corpus))
    ss[KEY] = t
    ss["text_run"] = new_run_state(corpus_id, corpus_name, corpus, list(corpus.chars))
    return t


def _new_run() -> None:
    ss["text_force_new"] = True


def _clear_runs() -> None:
    ss["text_runs"] = []


def start_tokens(chars: list[str], prime: str) -> tuple[int | None, list[int]]:
    """(first input, the rest of the prime) for core.sampling.generate; no prime = start after a newline."""
    stoi = {c: i for i, c in enumerate(chars)}
    ids = [stoi[c] for c in prime] if prime else ([stoi["\n"]] if "\n" in stoi else [])
    if not ids:
        return None, []  # zero embedding: the model's guess with no input at all
    return ids[0], ids[1:]


# ---------------------------------------------------------------------------------------------- live training
def run_slice() -> str | None:
    t: SequenceTrainer = ss[KEY]
    run = ss["text_run"]
    if run["corpus"] is None:
        return "This model's vocabulary doesn't cover the chosen text, so it can only sample. Pick a text it covers to train."
    if t.step == 0 and len(t.val_history) == 0:
        t.evaluate()  # the starting point of the validation curve (≈ log of the vocabulary size)
        run["last_eval"] = time.monotonic()

    def chunk() -> str | None:
        cfg = t.config
        per_step = cfg.batch_size * cfg.seq_len / t.last_rate if t.last_rate else 0.25  # seconds, from the last call
        n = int(np.clip(0.2 / max(per_step, 1e-4), 1, 50))
        return t.train_steps(n).stopped_reason

    reason = live.timed_slice(chunk, SLICE_SECONDS)
    now = time.monotonic()
    if now - run["last_eval"] >= EVAL_EVERY_S:
        t.evaluate()
        run["last_eval"] = time.monotonic()
    if now - run["last_sample"] >= SAMPLE_EVERY_S:
        rng = np.random.default_rng([t.config.seed, t.step])
        text, check = progress_sample(t.numpy_model(), run["corpus"], LIVE_SAMPLE_CHARS, LIVE_SAMPLE_TEMPERATURE, rng)
        run["live_sample"] = (t.step, text, check)
        run["last_sample"] = time.monotonic()
    return reason


def sample_check_line(check: SampleCheck, lexicon: Lexicon) -> str:
    """One line under a sample: how many of its words are real, and which real speaker names it used."""
    if not check.n_words:
        line = "No complete words yet."
    else:
        line = f"**{check.real_fraction:.0%} real words**: {check.n_real} of the sample's {check.n_words} words occur in the training text."
    if lexicon.has_speakers:
        if check.speakers:
            line += " Speaker names from the text: " + ", ".join(check.speakers) + "."
        elif check.speaker_lines:
            line += f" {check.speaker_lines} speaker line(s), with made-up names."
        else:
            line += " No speaker lines yet."
    return line


def _fmt_time(s: float) -> str:
    m, s = divmod(int(s), 60)
    return f"{m}:{s:02d}"


def render_training() -> None:
    t: SequenceTrainer = ss[KEY]
    run = ss["text_run"]
    h, vh = t.history, t.val_history
    recent = h.values["train"][-20:]
    train_loss = float(np.mean(recent)) if recent else None
    val_loss = vh.last("val")
    c = st.columns(5)
    c[0].metric("Step", f"{t.step:,}")
    c[1].metric("Characters/s", f"{t.last_rate:,.0f}" if t.last_rate else "–")
    c[2].metric("Training time", _fmt_time(t.elapsed_s))
    c[3].metric("Train loss (nats/char)", "–" if train_loss is None else f"{train_loss:.3f}", help="Mean of the last 20 steps")
    c[4].metric(
        "Validation loss",
        "–" if val_loss is None else f"{val_loss:.3f}",
        help="Nats per character on the last 10% of the text (never trained on)",
    )
    ppl = "" if val_loss is None else f" Validation perplexity {np.exp(val_loss):.2f} (as unsure as a fair choice among that many characters)."
    st.caption(f"{t.tokens_seen:,} characters seen.{ppl}")
    as_ppl = ss.get("text_y", "nats per character") == "perplexity"
    f = np.exp if as_ppl else (lambda v: v)
    series = [
        charts.Series(f"train · {run_label(t, run)}", h.steps, f(np.asarray(h.values["train"])), width=1.5, opacity=0.6, color=charts.PALETTE[0]),
        charts.Series(
            "validation (this run)", vh.steps, f(np.asarray(vh.values["val"])), width=3, color=charts.PALETTE[1]
        ),
    ]
    for i, r in enumerate(reversed(ss.get("text_runs", []))):
        color = charts.PALETTE[2 + i % (len(charts.PALETTE) - 2)]
        if r["val"]:
            series.append(charts.Series(f"val · {r['label']}", r["val_steps"], f(np.asarray(r["val"])), dash="dot", width=2, color=color))
        else:
            series.append(charts.Series(f"train · {r['label']}", r["steps"], f(np.asarray(r["train"])), dash="dot", width=1, color=color))
    fig = charts.loss_figure(series, x_title="step", y_title="perplexity" if as_ppl else "loss (nats per character)", height=380)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="left", x=0))
    st.plotly_chart(fig, key="text_loss_chart", config={"displayModeBar": False})
    if run["live_sample"]:
        step, text, check = run["live_sample"]
        st.markdown(f"**Sample at step {step:,}** (temperature {LIVE_SAMPLE_TEMPERATURE:g}, {LIVE_SAMPLE_CHARS} characters)")
        st.code(text, language=None, wrap_lines=True)
        st.caption(sample_check_line(check, run["corpus"].lexicon))
    elif run["corpus"] is not None:
        st.caption(f"A short sample appears every {SAMPLE_EVERY_S:.0f} seconds while training.")


# ---------------------------------------------------------------------------------------------- model files
def download_fn(t: SequenceTrainer, run: dict):
    """The download button's callable; it runs on its own thread when clicked (the trainer's lock keeps it
    from saving mid-step)."""

    def build() -> bytes:
        meta = dict(t.summary(), corpus=run["corpus_name"], app="RNN Playground text lab")
        return export_model_zip(t, run["chars"], meta)

    return build


def _nearest(options: list, value):
    return min(options, key=lambda o: abs(np.log(o) - np.log(value)))


def _load_uploaded_model() -> None:
    """Button callback (before the script runs, so it may set the settings widgets to the model's)."""
    ss.pop("text_model_error", None)
    up = ss.get("text_model_upload")
    if up is None:
        ss["text_model_error"] = "Choose a .zip file first."
        return
    try:
        t, chars, meta = import_model_zip(up.getvalue(), max_bytes=MAX_MODEL_UPLOAD, config_override=_override_from_meta(meta_of(up)))
    except CorpusError as exc:
        ss["text_model_error"] = str(exc)
        return
    cfg = t.config
    if not HIDDEN_RANGE[0] <= cfg.hidden <= HIDDEN_RANGE[1] or cfg.embed_dim > 256 or cfg.dropout > 0.5:
        ss["text_model_error"] = (
            f"The model ({cfg.label()}) is outside this page's settings (hidden 16–1024, embedding ≤ 256, dropout ≤ 0.5)."
        )
        return
    archive_current()
    live.stop(KEY)
    now = ss.get("text_corpus_now")  # (corpus id, name, corpus) of the picker's current choice
    corpus = None
    if now is not None:
        missing = set(now[2].chars) - set(chars)
        if not missing:
            corpus = TextCorpus(now[2].text, chars)  # the same text, encoded with the model's vocabulary
            t.sample_batch = corpus.sample_batch
            t.val_batches = fixed_val_batches(corpus)
    step = int(meta.get("step", t.step) or t.step)
    t.step = t._good_step = step
    t.tokens_seen = t._good_tokens = int(meta.get("tokens_seen", 0) or 0)
    t.elapsed_s = float(meta.get("elapsed_s", 0.0) or 0.0)
    ss[KEY] = t
    ss["text_run"] = new_run_state(now[0] if now else "none", now[1] if now else "?", corpus, chars, uploaded=True)
    # the settings widgets follow the model, so the page doesn't start a new run on the next rerun
    ss["text_cell"] = cfg.cell
    ss["text_hidden"] = int(cfg.hidden)
    ss["text_layers"] = int(cfg.layers)
    ss["text_embed"] = int(cfg.embed_dim)
    ss["text_dropout"] = float(cfg.dropout)
    ss["text_seed"] = int(cfg.seed)
    ss["text_seq"] = _nearest(SEQ_OPTIONS, cfg.seq_len)
    ss["text_batch"] = _nearest(BATCH_OPTIONS, cfg.batch_size)
    ss["text_lr"] = _nearest(LR_OPTIONS, cfg.learning_rate)
    ss.pop("text_sampled", None)
    where = f"It continues training on {now[1]}." if corpus is not None else (
        "Its vocabulary doesn't cover the chosen text, so it can only sample; pick the text it was trained on to continue training."
    )
    ss["text_restart_note"] = f"Loaded the uploaded model ({cfg.label()}, step {step:,}). {where}"


def meta_of(up) -> dict:
    """The metadata in an uploaded zip's vocab.json, if it can be read (validation happens in import_model_zip)."""
    import io
    import json
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(up.getvalue())) as zf:
            if zf.getinfo("vocab.json").file_size > MB:
                return {}
            meta = json.loads(zf.read("vocab.json").decode("utf-8")).get("meta", {})
            return meta if isinstance(meta, dict) else {}
    except Exception:  # noqa: BLE001 - anything wrong is reported by import_model_zip
        return {}


def _override_from_meta(meta: dict) -> dict:
    cfg = meta.get("config") if isinstance(meta.get("config"), dict) else {}
    out = {}
    for k, typ in (("seq_len", int), ("batch_size", int), ("learning_rate", float), ("seed", int)):
        try:
            v = typ(cfg[k]) if k in cfg else None
        except (TypeError, ValueError):
            continue
        if v is not None and (v > 0 or (k == "seed" and v >= 0)):
            out[k] = v
    return out


# ---------------------------------------------------------------------------------------------- page
picked = corpus_picker()
if picked is None:
    st.stop()
corpus_id, corpus_name, corpus = picked
ss["text_corpus_now"] = picked
show_corpus(corpus_name, corpus)

left, right = st.columns([1, 2], gap="large")
with left:
    st.subheader("Model")
    cell = st.selectbox("Cell", CELLS, index=CELLS.index(DEFAULTS.cell), format_func=CELL_NAMES.get, key="text_cell")
    hidden = st.slider("Hidden units per layer", *HIDDEN_RANGE, DEFAULTS.hidden, 16, key="text_hidden")
    layers = st.slider("Layers", 1, 3, DEFAULTS.layers, key="text_layers")
    with st.expander("More architecture"):
        embed = st.slider("Embedding size", 8, 256, DEFAULTS.embed_dim, 8, key="text_embed", help="Each character becomes a learned vector this long.")
        dropout = st.slider("Dropout", 0.0, 0.5, DEFAULTS.dropout, 0.05, key="text_dropout", help="Between layers and before the output, in training only.")
        seed = st.number_input("Seed", 0, 2**31 - 1, 0, key="text_seed", help="Seeds the weights and the batch order.")
    st.caption("Changing the cell, size, layers, embedding, dropout, seed or the text starts a **new run**; the settings below apply to the current run.")
    st.subheader("Training")
    max_seq = corpus.max_seq_len
    seq_len = st.select_slider("Sequence length (characters per window)", SEQ_OPTIONS, DEFAULTS.seq_len, key="text_seq")
    if seq_len > max_seq:
        st.warning(f"This text only allows windows of {max_seq} characters; using {max_seq}.")
        seq_len = max_seq
    batch = st.select_slider("Batch size (windows per step)", BATCH_OPTIONS, DEFAULTS.batch_size, key="text_batch")
    lr = st.select_slider("Learning rate (Adam)", LR_OPTIONS, DEFAULTS.learning_rate, key="text_lr", format_func=lambda v: f"{v:g}")
    config = RNNConfig(
        cell=cell, hidden=int(hidden), layers=int(layers), embed_dim=int(embed), seq_len=int(seq_len),
        batch_size=int(batch), learning_rate=float(lr), dropout=float(dropout), seed=int(seed),
    )
    n_params = count_params(corpus.vocab_size, config)
    st.caption(f"**{n_params:,} parameters** ({n_params * 4 / MB:.1f} MB as float32) · vocabulary {corpus.vocab_size}")
    trainer = current_trainer(corpus_id, corpus_name, corpus, config)
    note = ss.pop("text_restart_note", None)
    if note:
        st.info(note)
    run = ss["text_run"]
    live.controls(KEY, run_slice, disabled=run["corpus"] is None)
    if run["corpus"] is None:
        st.warning("This uploaded model can't train on the chosen text (its vocabulary lacks some characters). You can still sample from it.")
    b1, b2 = st.columns(2)
    b1.button("↺ New run", key="text_new_run", on_click=_new_run, help="Start again from fresh weights; the current run stays on the chart.", width="stretch")
    b2.button("Clear earlier runs", key="text_clear_runs", on_click=_clear_runs, disabled=not ss.get("text_runs"), width="stretch")
    with st.expander("What is happening"):
        st.markdown(
            "Each step takes a batch of random windows from the first 90% of the text. For every position the "
            "model reads one character and predicts the next, so a window of T characters gives T predictions "
            "(*many-to-many*). The loss is the average cross-entropy:"
        )
        st.latex(r"\mathcal{L} = -\frac{1}{BT}\sum_{b,t} \log p_\theta\left(x_{b,t+1} \mid x_{b,1..t}\right) \quad \text{(nats per character)}")
        st.markdown(
            "Perplexity is $e^{\\mathcal{L}}$: a model guessing uniformly among V characters has loss $\\log V$ "
            "and perplexity V. Gradients are clipped to norm 1 before each Adam step. The validation loss is "
            "measured on fixed windows of the last 10% of the text, never trained on: when it stops falling "
            "while the training loss keeps falling, the model is memorising."
        )

with right:
    st.subheader("Training")
    st.radio("Chart", ["nats per character", "perplexity"], horizontal=True, key="text_y", label_visibility="collapsed")
    live.live_area(KEY, run_slice, render_training, interval=TICK_SECONDS)

# ---------------------------------------------------------------------------------------------- sampling
st.divider()
st.subheader("Generate text")
chars: list[str] = run["chars"]
prime = st.text_input("Priming text (the model reads it first; empty = start after a newline)", "", key="text_prime", max_chars=500)
s1, s2, s3, s4 = st.columns(4)
length = s1.number_input("Characters to generate", 0, 2000, 500, 50, key="text_len")
temperature = s2.slider("Temperature (0 = always the most likely)", 0.0, 2.0, 0.8, 0.05, key="text_temp")
top_k = s3.number_input("Top-k (0 = off)", 0, 10_000, 0, key="text_topk", help="Sample only among the k most likely characters.")
sample_seed = s4.number_input("Sampling seed", 0, 2**31 - 1, 0, key="text_sample_seed")
unknown = sorted(set(prime) - set(chars))
if unknown:
    st.error("The priming text has characters the model has never seen: " + " ".join(f"`{char_label(c)}`" for c in unknown) + ". Remove them to generate.")
if st.button("Generate", key="text_sample_btn", type="primary", disabled=bool(unknown)):
    first, rest = start_tokens(chars, prime)
    t0 = time.perf_counter()
    model = trainer.numpy_model()
    records = generate(model, int(length), temperature=float(temperature), top_k=int(top_k) or None, rng=np.random.default_rng(int(sample_seed)), prime=rest, first_input=first)
    ss["text_sampled"] = dict(
        prime=prime,
        text="".join(chars[r.picked] for r in records),
        records=records,
        labels=[char_label(c) for c in chars],
        seconds=time.perf_counter() - t0,
        step=trainer.step,
        settings=f"temperature {temperature:g}" + (f", top-k {int(top_k)}" if top_k else ""),
    )

sampled = ss.get("text_sampled")
if sampled:
    st.caption(
        f"{len(sampled['records'])} characters in {sampled['seconds']:.2f} s from the model at step {sampled['step']:,} "
        f"({sampled['settings']}). The priming text is shown first."
    )
    st.code(sampled["prime"] + sampled["text"], language=None, wrap_lines=True)
    if run["corpus"] is not None:
        st.caption(sample_check_line(run["corpus"].lexicon.check(sampled["text"]), run["corpus"].lexicon))
    st.subheader("Inspector")
    records = sampled["records"]
    start = 0
    if len(records) > INSPECT_SPAN:
        start = st.slider(
            f"First generated character to inspect (showing {INSPECT_SPAN} at a time)", 0, len(records) - INSPECT_SPAN, 0, key="text_inspect_start"
        )
    span = records[start : start + INSPECT_SPAN]
    shown = sampled["text"][start : start + INSPECT_SPAN]
    render_inspector(
        span,
        sampled["labels"],
        key="text_inspector",
        context=f"Characters {start}–{start + len(span) - 1} of the generated text: “{shown[:80]}{'…' if len(shown) > 80 else ''}”",
    )
else:
    st.caption("Press **Generate** to sample from the current model (an untrained model produces noise).")

# ---------------------------------------------------------------------------------------------- files
st.divider()
st.subheader("Save or load a model")
d1, d2 = st.columns(2)
with d1:
    st.markdown("**Download** this run's model: a .zip with `model.keras` (Keras native format) and `vocab.json`.")
    if trainer.param_count() * 12 > MAX_MODEL_UPLOAD:  # weights + Adam's two moments, float32
        st.caption(f"This model is large (about {trainer.param_count() * 12 / MB:.0f} MB with its optimizer state): it can be downloaded but is over this page's upload limit.")
    st.download_button(
        "⬇ Download model (.zip)",
        data=download_fn(trainer, run),
        file_name=f"text-{trainer.config.cell}-{trainer.config.hidden}x{trainer.config.layers}-step{trainer.step}.zip",
        mime="application/zip",
        key="text_download",
        on_click="ignore",
    )
with d2:
    st.markdown(
        f"**Upload** a .zip saved here to continue training or to sample (at most {MAX_MODEL_UPLOAD // MB} MB). "
        "It is loaded with Keras safe mode: custom code and Lambda layers are refused, and nothing is unpickled."
    )
    st.file_uploader(f"Model zip (at most {MAX_MODEL_UPLOAD // MB} MB)", type=["zip"], key="text_model_upload", label_visibility="collapsed")
    st.button("Load this model", key="text_model_load_btn", on_click=_load_uploaded_model)
    err = ss.pop("text_model_error", None)
    if err:
        st.error(err)
