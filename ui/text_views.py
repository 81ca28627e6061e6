"""The Text lab's model files: download this run's model zip, upload one to continue training or to sample."""

from __future__ import annotations

import streamlit as st

from core.text_data import CorpusError
from core.text_lab import MAX_MODEL_UPLOAD, TextLab, widget_values
from core.textio import MB
from ui import persist


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
        st.markdown("**Download** this run's model: a .zip with `model.keras` (Keras native format) and `vocab.json`.")
        if trainer.param_count() * 12 > MAX_MODEL_UPLOAD:  # weights + Adam's two moments, float32
            st.caption(f"This model is large (about {trainer.param_count() * 12 / MB:.0f} MB with its optimizer state): it can be downloaded but is over this page's upload limit.")
        st.download_button(
            "⬇ Download model (.zip)", data=lab.export_zip, mime="application/zip", key="text_download", on_click="ignore",
            file_name=f"text-{trainer.config.cell}-{trainer.config.hidden}x{trainer.config.layers}-step{trainer.step}.zip",
        )
    with d2:
        st.markdown(
            f"**Upload** a .zip saved here to continue training or to sample (at most {MAX_MODEL_UPLOAD // MB} MB). "
            "It is loaded with Keras safe mode: custom code and Lambda layers are refused, and nothing is unpickled."
        )
        st.file_uploader(f"Model zip (at most {MAX_MODEL_UPLOAD // MB} MB)", type=["zip"], key="text_model_upload", label_visibility="collapsed")
        st.button("Load this model", key="text_model_load_btn", on_click=_load_uploaded_model, args=(lab,))
        err = st.session_state.pop("text_model_error", None)
        if err:
            st.error(err)
