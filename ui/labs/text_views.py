"""The Text lab page's larger parts, drawn from the lab object (core.labs.text_lab holds the state and the logic): the
corpus facts, the live training area (metrics, the loss chart, the rate, accuracy and best weights, the live
sample), the schedule controls, and the model files (download this run's model zip, upload one to continue
training or to sample)."""

from __future__ import annotations

import streamlit as st

from core import units
from core.echo import literal
from core.labs.text_lab import LIVE_SAMPLE_CHARS, LIVE_SAMPLE_TEMPERATURE, MAX_MODEL_UPLOAD, TextLab, widget_values
from core.text.lexicon import describe_check
from core.text.text_data import CorpusError, TextCorpus, char_label
from core.text.textio import MB
from ui import glossary, loss_chart, persist
from ui.labs import training_views
from ui.toolkit import links, memorise_view

S = TextLab.settings()


# the settings that start a new run (core.labs.text_lab), as the page's note names them
NEW_RUN = dict(
    cell="cell", size="hidden", layers="layers", embedding="embedding", dropout="dropout", seed="seed", text="corpus"
)


def new_run_note() -> None:
    """ "Changing the cell, size … starts a new run", naming only the settings the page shows (hide=)."""
    links.new_run_note({word: S[name] for word, name in (NEW_RUN | {"text": "corpus"}).items()})


def show_corpus(name: str, corpus: TextCorpus) -> None:
    """The text's size, vocabulary and split, before training."""
    s = corpus.stats()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Characters", f"{s.n_chars:,}")
    c2.metric("Vocabulary", f"{s.vocab_size} characters")
    c3.metric("Training part", f"{s.n_train:,}")
    c4.metric("Validation (last 10%)", f"{s.n_val:,}")
    common = " ".join(f"`{char_label(ch)}` {n / s.n_chars:.1%}" for ch, n in s.most_common)
    st.caption(f"{literal(name)}: {s.n_lines:,} lines. Most common characters: {common}")
    with st.expander("Vocabulary and a peek at the text"):
        st.markdown(" ".join(f"`{char_label(ch)}`" for ch in corpus.chars))
        st.text(corpus.text[:600])


def cell_changed() -> None:
    """The Cell box's on_change: the dropout moves to the new cell's default (core.models.keras_model.CELL_DROPOUT)
    unless
    the student had chosen another value than the old cell's default. The page notes each run's cell in
    ``_text_cell_was`` (this callback runs before the page, with the new cell already in the box's key)."""
    from core.models.keras_model import CELL_DROPOUT

    ss, dropout = st.session_state, S["dropout"].key
    was, now = ss.get("_text_cell_was"), ss.get(S["cell"].key)
    if (
        was in CELL_DROPOUT
        and now in CELL_DROPOUT
        and abs(float(ss.get(dropout, CELL_DROPOUT[was])) - CELL_DROPOUT[was]) < 1e-9
    ):
        persist.remember(dropout, CELL_DROPOUT[now])


def schedule_controls(lab: TextLab, cell: str) -> str:
    """The learning-rate schedule and "stop at the best validation" (off by default here); returns the schedule."""
    kind = training_views.schedule_select(S["schedule"], cell)
    training_views.stop_at_best_toggle(lab, S["stop_best"])
    return kind


def training(lab: TextLab) -> None:
    """The live area: metrics, the live sample, the loss chart, then rate / accuracy / best weights."""
    t, run = lab.trainer, lab.run
    train_loss, val_loss = t.history.last_smooth(), t.history.last_val()
    c = st.columns(4)  # short labels, one line each: the sample and the chart fit on a Chromebook's first screen
    c[0].metric("Step", f"{t.step:,}")
    c[1].metric("Training time", f"{int(t.elapsed_s) // 60}:{int(t.elapsed_s) % 60:02d}")
    unit = loss_chart.choice_of(lab, "text")
    c[2].metric(
        "Train loss",
        loss_chart.loss_text(lab, "text", train_loss, 3),
        help=f"In {unit}: the running average of the last ~10 steps",
    )
    c[3].metric(
        "Validation loss",
        loss_chart.loss_text(lab, "text", val_loss, 3),
        help=f"In {unit}: on the last 10% of the text (never trained on)",
    )
    s = lab.live_sample
    if s is not None:  # above the chart, as the Dinosaur lab's samples: both on the first screen
        st.markdown(
            f"**Sample at step {s.step:,}** (temperature {LIVE_SAMPLE_TEMPERATURE:g}, {LIVE_SAMPLE_CHARS} characters)"
        )
        st.code(s.text, language=None, wrap_lines=True)
    elif run.corpus is not None:
        st.caption(f"A short sample appears every {lab.schedule.sample_every_s:.0f} seconds while training.")
    loss_chart.render(lab, "text")
    ppl = (
        ""
        if val_loss is None or unit == "perplexity"
        else f" Validation perplexity {units.number(val_loss, units.PERPLEXITY)} (as unsure as a fair choice among "
        "that many characters)."
    )
    rate = f", {t.last_rate:,.0f} a second" if t.last_rate else ""
    glossary.caption(f"{t.tokens_seen:,} characters seen{rate}.{ppl}")
    if s is not None:  # what the sample above the chart is made of
        st.caption(describe_check(s.check, run.corpus.lexicon))
        memorise_view.text(lab, s.text, "text_live")
    training_views.status(lab, "text", "character")  # below the chart: the chart and the sample on the first screen


def _load_uploaded_model(lab: TextLab) -> None:
    """Button callback (before the script runs, so it may set the settings widgets to the model's)."""
    ss = st.session_state
    ss.pop("text_model_error", None)
    up = ss.get("text_model_upload")
    if up is None:
        ss["text_model_error"] = "Choose a .zip file first."
        return
    try:
        cfg, note = lab.load_zip(up.getvalue(), ss.get("text_corpus_now"))
    except CorpusError as exc:
        ss["text_model_error"] = str(exc)
        return
    for key, value in widget_values(cfg).items():  # the settings follow the model: no new run on the next rerun
        persist.remember(key, value)
    lab.restart_note = note


def model_files(lab: TextLab, trainer) -> None:
    """The "Save or load a model" section."""
    st.subheader("Save or load a model")
    d1, d2 = st.columns(2)
    with d1:
        st.markdown(
            "**Download** this run's model: a .zip with `model.keras` (Keras native format), `vocab.json` and "
            "`history.json` (its loss history, back on the chart when you load it)."
        )
        if trainer.param_count() * 12 > MAX_MODEL_UPLOAD:  # weights + Adam's two moments, float32
            st.caption(
                f"This model is large (about {trainer.param_count() * 12 / MB:.0f} MB with its optimizer state): it "
                "can be downloaded but is over this page's upload limit."
            )
        c = trainer.config
        st.download_button(
            "⬇ Download model (.zip)",
            data=lab.export_zip,
            mime="application/zip",
            key="text_download",
            on_click="ignore",
            file_name=f"text-{c.cell}-{c.hidden}x{c.layers}-step{trainer.step}.zip",
        )
    with d2:
        st.markdown(
            f"**Upload** a .zip saved here to continue training or to sample (at most {MAX_MODEL_UPLOAD // MB} MB). "
            "It is loaded with Keras safe mode: custom code and Lambda layers are refused, and nothing is unpickled."
        )
        st.file_uploader(
            f"Model zip (at most {MAX_MODEL_UPLOAD // MB} MB)",
            type=["zip"],
            key="text_model_upload",
            label_visibility="collapsed",
            max_upload_size=MAX_MODEL_UPLOAD // MB,  # Streamlit's own "… per file" says the same limit
        )
        st.button("Load this model", key="text_model_load_btn", on_click=_load_uploaded_model, args=(lab,))
        err = st.session_state.pop("text_model_error", None)
        if err:
            st.error(literal(err, 600))
