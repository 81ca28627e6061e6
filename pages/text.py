"""Text lab: a Keras character model (SimpleRNN / LSTM / GRU) trained live on Shakespeare or your own text."""

from __future__ import annotations

import logging

import streamlit as st

from core.echo import first_few, literal
from core.labs.lab import BudgetExceeded
from core.labs.text_lab import BUNDLED, DATA, MAX_UPLOAD, TextLab, bundled_corpus
from core.models.keras_model import CLIPNORM, RNNConfig, count_params
from core.server.budget import training_bytes
from core.text.lexicon import describe_check
from core.text.text_data import MIN_CHARS, CorpusError, TextCorpus, char_label
from core.text.textio import MB
from ui import explain, live, loss_chart, settings, temperature_view
from ui.inside import tabs as inside_tabs
from ui.inspector import render_inspector
from ui.labs import text_views
from ui.nav import lab_page
from ui.toolkit import get_code_view, handin_view, links, memorise_view, race_view, timelapse_view

lab = lab_page(
    TextLab,
    "📜 Text",
    "A character-level language model in Keras (embedding → SimpleRNN / LSTM / GRU → softmax), trained with Adam.",
)
S = TextLab.settings()
UPLOAD = "Upload a .txt"
INSPECT_SPAN = 120  # characters the inspector shows at once
log = logging.getLogger(__name__)
ss = st.session_state


# ---------------------------------------------------------------------------------------------- corpus
@st.cache_resource(show_spinner="Reading the corpus…")
def shared_corpus(filename: str) -> TextCorpus:
    """Read-only, shared by all sessions (nothing ever mutates a TextCorpus)."""
    return bundled_corpus(filename)


def corpus_picker() -> tuple[str, str, TextCorpus] | None:
    """Returns (corpus id, display name, corpus) or None when the chosen corpus can't be used (a message is shown)."""
    source = settings.widget(S["corpus"], options=[*BUNDLED, UPLOAD], horizontal=True)
    if source in BUNDLED:
        if not (DATA / BUNDLED[source]).exists():
            st.warning(f"`data/{BUNDLED[source]}` is not in this installation. Pick another corpus or upload a text.")
            return None
        try:
            return f"bundled:{BUNDLED[source]}", source.split(" (")[0], shared_corpus(BUNDLED[source])
        except CorpusError as exc:
            st.error(f"The bundled text can't be used: {exc}")
            return None
        except (OSError, UnicodeDecodeError):
            log.exception("bundled text %s could not be read", BUNDLED[source])
            st.error("The bundled text can't be read on this server. Pick another corpus or upload a text.")
            return None
    c1, c2 = st.columns([3, 1])
    up = c1.file_uploader(
        f"A plain-text .txt file (UTF-8; at most {MAX_UPLOAD // MB} MB; at least {MIN_CHARS:,} characters)",
        type=["txt"],
        key="text_upload",
        max_upload_size=MAX_UPLOAD // MB,  # Streamlit's own "… per file" says the same limit
    )
    encoding = c2.radio(
        "Encoding",
        ["UTF-8", "Latin-1"],
        key="text_encoding",
        help="Latin-1 reads any bytes; use it only when UTF-8 is refused.",
    )
    kept = lab.upload
    if up is None:
        if kept.result is not None:
            c1.caption(f"Using your earlier upload **{literal(kept.name)}**. Upload another file to replace it.")
            return f"upload:{kept.key[0]}:{kept.key[1]}", kept.name, kept.result
        st.info("Upload a text to train on: a book from Project Gutenberg, song lyrics, source code…")
        return None
    kept = lab.read_upload(up.file_id, up.name, up.getvalue(), encoding)
    if kept.result is None:
        st.error(kept.message)
        return None
    if kept.message:
        st.info(kept.message)
    return f"upload:{up.file_id}:{encoding}", up.name, kept.result


def render_training() -> None:
    """Metrics, the loss chart, the rate, accuracy and best weights, the live sample (ui/labs/text_views.py)."""
    text_views.training(lab)


# ---------------------------------------------------------------------------------------------- page
# The first screen: the text, Start/Stop, the cell and its size, the live chart and sample; the rest is in the tabs
# below, one click away.
controls_slot, live_slot, settings_slot = live.first_screen()  # Start, the live area, the settings (ui/live.py)
with settings_slot:
    picked = corpus_picker()
    if picked is None:
        st.stop()
    corpus_id, corpus_name, corpus = picked
    ss["text_corpus_now"] = picked
    cell = settings.widget(S["cell"], on_change=text_views.cell_changed)
    ss["_text_cell_was"] = cell  # the dropout follows the cell's default (text_views.cell_changed)
    hidden = settings.widget(S["hidden"])
    rare = links.shown("architecture") or links.shown("training")
    more = st.expander("More settings") if rare else st.container()  # the rarer settings, one click away
    with more:
        layers = settings.widget(S["layers"])
        embed = settings.widget(S["embedding"])
        dropout = settings.widget(S["dropout"])
        seed = settings.widget(S["seed"])
        text_views.new_run_note()  # names only the settings hide= leaves on the page
        seq_len = settings.widget(S["window"])
        if seq_len > corpus.max_seq_len:
            st.warning(f"This text only allows windows of {corpus.max_seq_len} characters; using {corpus.max_seq_len}.")
            seq_len = corpus.max_seq_len
        batch = settings.widget(S["batch"])
        lr = settings.widget(S["lr"])
        lr_schedule = text_views.schedule_controls(lab, cell)  # schedule and stop-at-best
    config = RNNConfig(
        cell=cell,
        hidden=int(hidden),
        layers=int(layers),
        embed_dim=int(embed),
        seq_len=int(seq_len),
        batch_size=int(batch),
        learning_rate=float(lr),
        dropout=float(dropout),
        seed=int(seed),
        lr_schedule=lr_schedule,
    )
    n_params = count_params(corpus.vocab_size, config)
    per_min, measured = lab.steps_per_minute(corpus.vocab_size, config)
    st.caption(
        f"**{n_params:,} parameters** ({n_params * 4 / MB:.1f} MB as float32) · vocabulary {corpus.vocab_size} · "
        f"needs about {training_bytes(corpus.vocab_size, config) / MB:,.0f} MB while training · "
        f"about **{per_min:,.0f} steps a minute** here ({'measured' if measured else 'estimated'})"
    )
    try:
        with st.spinner("Building the model (the first time also loads TensorFlow)…"):
            trainer = lab.configure_text(
                corpus_id, corpus_name, corpus, config, force_new=ss.pop("text_force_new", False)
            )
    except BudgetExceeded as exc:
        live.refused(exc.verdict, {"hidden": S["hidden"].key, "layers": S["layers"].key}, current=lab.trainer)
        trainer = lab.trainer
    note = lab.take_restart_note()
    if note:
        st.info(literal(loss_chart.shown(lab, note), 600))  # it may name an uploaded file
    with controls_slot:
        live.controls(lab, disabled=lab.run.corpus is None)
    if lab.run.corpus is None:
        st.warning(
            "This uploaded model can't train on the chosen text (its vocabulary lacks some characters). You can "
            "still sample from it."
        )
    b1, b2 = st.columns(2)
    b1.button(
        "↺ New run",
        key="text_new_run",
        on_click=ss.__setitem__,
        args=("text_force_new", True),
        help="Start again from fresh weights; the current run stays on the chart.",
        width="stretch",
    )
    b2.button(
        "Clear earlier runs", key="text_clear_runs", on_click=lab.clear_runs, disabled=not lab.runs, width="stretch"
    )

with live_slot:
    live.live_area(lab, render_training)

tab = links.tabs(
    {
        "Generate & inspect": True,
        "Look inside": links.shown("inside"),
        "The text": True,
        "Time-lapse & race": links.shown("toolkit"),
        "Files & hand-in": links.shown("upload") or links.shown("toolkit"),
        "What is happening": True,
    },
    key="text_sections",
)
# ---------------------------------------------------------------------------------------------- sampling
with tab["Generate & inspect"]:
    prime_typed = settings.widget(S["prime"])
    prime, cut = lab.clamp_prime(prime_typed)
    if cut:
        st.warning(cut)
    s1, s2, s3, s4 = links.group("sampling").columns(4)
    length = settings.widget(S["length"], s1)
    temperature = settings.widget(S["temperature"], s2)
    top_k = settings.widget(S["top_k"], s3)
    sample_seed = settings.widget(S["sample_seed"], s4)
    temperature_view.for_text(lab, prime, float(temperature), int(top_k))
    unknown = lab.unknown_prime_chars(prime)
    if unknown:
        shown = first_few([literal(char_label(c)) for c in unknown], 20)
        st.error(
            f"The priming text has characters the model has never seen: {' '.join(shown)}. Remove them to generate."
        )
    if st.button("Generate", key="text_sample_btn", type="primary", disabled=bool(unknown)):
        with st.spinner(f"Generating {int(length):,} characters…"):
            lab.generate(prime, int(length), float(temperature), int(top_k), int(sample_seed))

    sampled = lab.sampled
    if sampled:
        weights = loss_chart.shown(lab, sampled.weights) or "the latest weights"
        st.caption(
            f"{len(sampled.records)} characters in {sampled.seconds:.2f} s from the model at step {sampled.step:,} "
            f"({sampled.settings}), with {weights}. The priming text is shown first."
        )
        st.code(sampled.prime + sampled.text, language=None, wrap_lines=True)
        if lab.run.corpus is not None:
            st.caption(describe_check(lab.run.corpus.lexicon.check(sampled.text), lab.run.corpus.lexicon))
            memorise_view.text(lab, sampled.text, "text_gen")
        if links.shown("inspector"):
            st.subheader("Inspector")
            records = sampled.records
            start = 0
            if len(records) > INSPECT_SPAN:
                start = st.slider(
                    f"First generated character to inspect (showing {INSPECT_SPAN} at a time)",
                    0,
                    len(records) - INSPECT_SPAN,
                    0,
                    key="text_inspect_start",
                )
            span = records[start : start + INSPECT_SPAN]
            shown = sampled.text[start : start + INSPECT_SPAN]
            render_inspector(
                span,
                sampled.labels,
                key="text_inspector",
                context=f"Characters {start}–{start + len(span) - 1} of the generated text: "
                f"“{shown[:80]}{'…' if len(shown) > 80 else ''}”",
            )
    else:
        st.caption("Press **Generate** to sample from the current model (an untrained model produces noise).")
with tab["Look inside"]:
    inside_tabs.render(lab)  # Look inside: influence, how far back, neurons, gates
with tab["The text"]:
    text_views.show_corpus(corpus_name, corpus)
with tab["Time-lapse & race"]:
    timelapse_view.render(lab, live=links.is_open(tab["Time-lapse & race"]))
    race_view.render(lab)
with tab["Files & hand-in"]:
    if links.shown("upload"):  # model files: loading one is an upload
        text_views.model_files(lab, trainer)
    handin_view.render(lab, "text")  # the hand-in zip (ui/toolkit/handin_view.py)
    get_code_view.render(lab, "text")  # the script, the notebook and the .zip (ui/toolkit/get_code_view.py)
with tab["What is happening"]:
    explain.show("text_training", clipnorm=CLIPNORM)
    explain.text_lab(corpus.vocab_size, config, lab.trainer)  # cells, the parameter formula, nats/perplexity
