"""Music lab: music as a sequence of values. An LSTM (this lab's, or the course's jazz model) learns from random
snippets,
composes value by value or answers a motif, and a scorecard compares what it writes with real pieces. Widgets and
layout only: core.labs.music_lab holds the state, ui.labs.music_views draws the course panel, Compose and the result."""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from core.echo import first_few, literal
from core.labs.lab import BudgetExceeded
from core.labs.music_lab import COURSE, EMBED_DIM, MusicLab, make_config
from core.music import midi_io, motif, style_label
from core.music import music_codec as mc
from core.music import music_data as md
from ui import chart_text, explain, live, loss_chart, settings
from ui.inside import tabs as inside_tabs
from ui.labs import music_views
from ui.nav import lab_page
from ui.toolkit import get_code_view, handin_view, links, race_view, timelapse_view

lab = lab_page(
    MusicLab,
    "🎵 Music",
    "Music becomes a sequence of values (a note, a chord or a rest, with its length). An LSTM learns from random "
    "snippets of values, then composes one value at a time, feeding each one back in as its next input.",
)
S = MusicLab.settings()
UPLOAD_LABEL = "Upload MIDI files"


# ---------------------------------------------------------------------------------------------- corpus
def corpus_picker() -> md.MusicCorpus | None:
    """The corpus to learn from, or None when there is nothing usable yet (a message is shown)."""
    labels = {style_label(s): s for s in md.bundled_styles()}
    source = settings.widget(S["corpus"], options=[*labels, UPLOAD_LABEL], horizontal=True)
    with links.group("architecture").expander("How music becomes values (codec settings)"):
        explain.show("music_codec")
        c1, c2 = links.group("architecture").columns(2)
        max_chord = settings.widget(S["max_chord"], c1)
        transpose = settings.widget(S["transpose"], c2)
    options = mc.CodecOptions(max_chord=int(max_chord), transpose=bool(transpose))
    if source != UPLOAD_LABEL:
        with st.spinner("Reading the MIDI files…"):
            return lab.use_bundled(labels[source], options)
    ups = st.file_uploader(
        f"MIDI files (.mid), up to {midi_io.MAX_FILE_BYTES // 2**20} MB each; several at once make a corpus",
        type=["mid", "midi"],
        accept_multiple_files=True,
        key="music_upload",
        max_upload_size=midi_io.MAX_FILE_BYTES // 2**20,  # Streamlit's own "… per file" says the same limit
    )
    if not ups:
        kept = lab.kept_upload(options)
        if kept is not None:
            st.caption("Using your earlier upload. Upload files again to replace it.")
            return kept
        st.info("Upload one or more MIDI files to learn from (for example a few folk tunes or piano pieces).")
        return None
    with st.spinner("Reading the MIDI files…"):
        corpus = lab.use_upload([(f.file_id, f.name, f.getvalue()) for f in ups], options)
    if lab.problems:
        problems = "\n".join(f"- {literal(p, 400)}" for p in first_few(lab.problems))
        st.warning("Some files could not be used:\n" + problems)
    if corpus is None:
        st.error("None of the uploaded files could be used, so there is nothing to learn from yet.")
    return corpus


def show_corpus(corpus: md.MusicCorpus) -> None:
    notes = [p.note for p in corpus.pieces if p.note]
    if notes:
        st.info("\n".join(f"- {literal(n, 400)}" for n in first_few(notes)))
    v = corpus.vocab
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Pieces", f"{len(corpus):,}")
    c2.metric("Values in all pieces", f"{corpus.n_values:,}")
    c3.metric("Vocabulary (distinct values)", f"{len(v):,}")
    c4.metric("Held out for validation", f"{len(corpus.val_idx)} pieces")
    left, right = st.columns([1, 1], gap="large")
    with left:
        st.markdown("**Most common values**")
        total = max(1, sum(v.counts))
        rows = [
            {
                "value": motif.value_text(t),
                "meaning": mc.describe_value(t),
                "count": n,
                "share": f"{100 * n / total:.1f}%",
            }
            for t, n in v.most_common(12)
        ]
        st.dataframe(rows, hide_index=True, key="music_vocab_table")
        rare = sum(1 for n in v.counts if n == 1)
        st.caption(f"{rare:,} of the {len(v):,} values occur only once.")
        st.download_button(
            "Download the vocabulary (JSON)",
            v.to_json(),
            file_name="music_vocab.json",
            mime="application/json",
            key="music_vocab_dl",
        )
    with right:
        i = st.selectbox(
            "Listen to a piece of the corpus",
            range(len(corpus)),
            format_func=lambda k: corpus.pieces[k].name,
            key="music_piece",
        )
        piece = corpus.pieces[i]
        notes = mc.values_to_notes(piece.values, piece.tempo)
        chart_text.piano_roll(
            notes,
            key="music_piece_roll",
            name="Piano roll of the corpus piece",
            title=f"{html.escape(piece.name)}: {len(piece.values)} values (as the model sees it)",
            height=260,
        )
        a1, a2 = st.columns(2)
        if piece.data:
            a1.caption("The original file")
            music_views.play_file(piece.data, where=a1, why=False, alt=f"{piece.name}, the original file")
        a2.caption("As values (what the model learns)")
        music_views.play_values(piece.values, piece.tempo, where=a2, alt=f"{piece.name}, as values")


# ---------------------------------------------------------------------------------------------- training
def render_training() -> None:
    t = lab.trainer
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Steps", f"{t.step:,}")
    smooth, last_val = t.history.last_smooth(), t.history.last_val()
    unit = loss_chart.choice_of(lab, "music")
    c2.metric(f"Train loss (running average, {unit})", loss_chart.loss_text(lab, "music", smooth))
    c3.metric(f"Validation loss ({unit})", loss_chart.loss_text(lab, "music", last_val))
    c4.metric("Time trained", f"{t.elapsed_s:.0f} s")
    loss_chart.render(lab, "music")
    uniform = loss_chart.loss_phrase(lab, "music", float(np.log(t.vocab_size)))
    st.caption(f"A model that guesses uniformly among the {t.vocab_size} values has a loss of {uniform}.")
    music_views.training_status(lab)  # rate, accuracy, best weights and the memorising message


# ---------------------------------------------------------------------------------------------- page
# The first screen: the music, Start/Stop, the model and its size, the live chart; the rest is in the tabs below, one
# click away.
controls_slot, live_slot, settings_slot = live.first_screen()  # Start, the live area, the settings (ui/live.py)
with settings_slot:
    corpus = corpus_picker()
    if corpus is None:
        st.stop()
    kind = settings.widget(S["model"])
    course = kind == COURSE
    hidden = settings.widget(S["hidden"])
    rare = links.shown("architecture") or links.shown("training")
    more = st.expander("More settings") if rare else st.container()  # the rarer settings, one click away
    with more:
        seq_len = settings.widget(S["window"])
        batch = settings.widget(S["batch"])
        lr = 0.01
        if course:
            st.caption(
                "Optimizer: the course's Adam (learning rate 0.01 with decay 0.01; see the tab “The course's model”)."
            )
        else:
            lr = settings.widget(S["lr"])
        seed = settings.widget(S["seed"])
        lab.max_steps = settings.widget(S["max_steps"])
        lr_schedule = music_views.schedule_controls(lab, course)  # schedule (this lab's LSTM) and stop-at-best
    config = make_config(
        kind,
        hidden=int(hidden),
        seq_len=int(seq_len),
        batch=int(batch),
        lr=float(lr),
        seed=int(seed),
        lr_schedule=lr_schedule,
    )
    try:
        with st.spinner("Building the model (the first time loads TensorFlow)…"):
            trainer = lab.configure_current(config)
    except BudgetExceeded as exc:
        live.refused(exc.verdict, {"hidden": S["hidden"].key}, current=lab.trainer)
        trainer = lab.trainer
    course = lab.kind == COURSE  # from here on the run on screen (a refused switch keeps the earlier model)
    note = lab.take_restart_note()
    if note:
        st.info(literal(loss_chart.shown(lab, note), 600))  # it may name an uploaded file
    too_short = lab.can_train()
    if too_short:
        st.error(too_short)
    with controls_slot:
        live.controls(lab, disabled=bool(too_short))
    st.caption(f"{len(lab.labels):,} values in the vocabulary · {trainer.param_count():,} parameters")

with live_slot:
    live.live_area(lab, render_training)

tab = links.tabs(
    {
        "Compose & listen": True,
        "Look inside": links.shown("inside"),
        "The music": True,
        "The course's model": course,
        "Time-lapse & race": links.shown("toolkit"),
        "Files & hand-in": links.shown("toolkit"),
        "What is happening": True,
    },
    key="music_sections",
)
with tab["Compose & listen"]:
    tempo, program = music_views.compose_area(lab, corpus)
    music_views.result_area(lab, tempo, program)
with tab["Look inside"]:
    inside_tabs.render(lab)  # Look inside: influence, how far back, neurons, gates
with tab["The music"]:
    show_corpus(corpus)  # in a tab: its table and players would be many Tab presses before Start
with tab["The course's model"]:
    if course:
        music_views.course_panel(lab)
with tab["Time-lapse & race"]:
    timelapse_view.render(lab, live=links.is_open(tab["Time-lapse & race"]))
    race_view.render(lab)
with tab["Files & hand-in"]:
    handin_view.render(lab, "music")  # the hand-in zip (ui/toolkit/handin_view.py)
    get_code_view.render(lab, "music")  # the script, the notebook and the .zip (ui/toolkit/get_code_view.py)
with tab["What is happening"]:
    if course:
        explain.show("music_course_training", n_values=trainer.vocab_size)
    else:
        explain.show("music_training", embed=EMBED_DIM)
