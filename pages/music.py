"""Music lab: music as a sequence of values, an LSTM learns from random snippets and composes value by value."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core import charts
from core import music_codec as mc
from core import music_data as md
from core.keras_model import RNNConfig
from core.music_lab import EMBED_DIM, MusicLab, notes_after
from ui import explain, live
from ui.inspector import render_inspector
from ui.nav import lab_page

lab = lab_page(
    MusicLab,
    "🎵 Music",
    "Music becomes a sequence of values (a note, a chord or a rest, with its length). An LSTM learns from random "
    "snippets of values, then composes one value at a time, feeding each one back in as its next input.",
    keep=(
        "music_source", "music_max_chord", "music_transpose", "music_hidden", "music_seq_len", "music_batch",
        "music_lr", "music_seed", "music_max_steps", "music_n", "music_temp", "music_tempo", "music_gen_seed",
        "music_start", "music_prime_len",
    ),
)


UPLOAD_LABEL = "Upload MIDI files"
PRIME_COLOR, GEN_COLOR, UNTRAINED_COLOR = "#9e9e9e", "#08519c", "#d62728"


# ---------------------------------------------------------------------------------------------- cached work
@st.cache_data(show_spinner=False, max_entries=64)
def wav_of_values(values: tuple[str, ...], tempo: float) -> bytes:
    return mc.render_audio(mc.values_to_midi(values, tempo=tempo))


@st.cache_data(show_spinner=False, max_entries=32)
def wav_of_file(data: bytes) -> bytes:
    return mc.render_audio(mc.load_midi_bytes(data))


def style_label(style: str) -> str:
    return style.replace("_", " ").capitalize()


# ---------------------------------------------------------------------------------------------- corpus
def corpus_picker() -> md.MusicCorpus | None:
    """The corpus to learn from, or None when there is nothing usable yet (a message is shown)."""
    labels = {style_label(s): s for s in md.bundled_styles()}
    source = st.radio("Music to learn from", [*labels, UPLOAD_LABEL], horizontal=True, key="music_source")
    with st.expander("How music becomes values (codec settings)"):
        explain.show("music_codec")
        c1, c2 = st.columns(2)
        max_chord = c1.slider(
            "Notes kept per chord (the highest)", 1, 4, 1, key="music_max_chord",
            help="1 keeps only the top note at each onset (a melody). More notes per chord means many more distinct values to learn.",
        )
        transpose = c2.toggle(
            "Transpose every piece to C major / A minor", True, key="music_transpose",
            help="A simple key estimate (Krumhansl-Kessler profiles); pieces in different keys then share one vocabulary.",
        )
    options = mc.CodecOptions(max_chord=int(max_chord), transpose=bool(transpose))
    if source != UPLOAD_LABEL:
        with st.spinner("Reading the MIDI files…"):
            return lab.use_bundled(labels[source], options)
    ups = st.file_uploader(
        f"MIDI files (.mid), up to {mc.MAX_FILE_BYTES // 2**20} MB each; several at once make a corpus",
        type=["mid", "midi"], accept_multiple_files=True, key="music_upload",
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
        st.warning("Some files could not be used:\n" + "\n".join(f"- {p}" for p in lab.problems))
    if corpus is None:
        st.error("None of the uploaded files could be used, so there is nothing to learn from yet.")
    return corpus


def show_corpus(corpus: md.MusicCorpus) -> None:
    notes = [p.note for p in corpus.pieces if p.note]
    if notes:
        st.info("\n".join(notes))
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
            {"value": t, "meaning": mc.describe_value(t), "count": n, "share": f"{100 * n / total:.1f}%"}
            for t, n in v.most_common(12)
        ]
        st.dataframe(rows, hide_index=True, key="music_vocab_table")
        rare = sum(1 for n in v.counts if n == 1)
        st.caption(f"{rare:,} of the {len(v):,} values occur only once.")
        st.download_button(
            "Download the vocabulary (JSON)", v.to_json(), file_name="music_vocab.json", mime="application/json", key="music_vocab_dl"
        )
    with right:
        i = st.selectbox(
            "Listen to a piece of the corpus", range(len(corpus)), format_func=lambda k: corpus.pieces[k].name, key="music_piece"
        )
        piece = corpus.pieces[i]
        notes = mc.values_to_notes(piece.values, piece.tempo)
        st.plotly_chart(
            charts.piano_roll_figure(notes, title=f"{piece.name}: {len(piece.values)} values (as the model sees it)", height=260),
            key="music_piece_roll", config={"displayModeBar": False},
        )
        a1, a2 = st.columns(2)
        if piece.data:
            a1.caption("The original file")
            a1.audio(wav_of_file(piece.data), format="audio/wav")
        a2.caption("As values (what the model learns)")
        a2.audio(wav_of_values(piece.values, piece.tempo), format="audio/wav")


# ---------------------------------------------------------------------------------------------- training
def render_training() -> None:
    t = lab.trainer
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Steps", f"{t.step:,}")
    smooth, last_val = t.history.last_smooth(), t.history.last_val()
    c2.metric("Train loss (running average)", "–" if smooth is None else f"{smooth:.2f}")
    c3.metric("Validation loss", "–" if last_val is None else f"{last_val:.2f}")
    c4.metric("Time trained", f"{t.elapsed_s:.0f} s")
    fig = charts.loss_figure(lab.loss_series(), x_title=lab.chart_x, y_title=lab.chart_y)
    st.plotly_chart(fig, key="music_loss_chart", config={"displayModeBar": False})
    st.caption(
        f"A model that guesses uniformly among the {t.vocab_size} values has loss ln({t.vocab_size}) = {np.log(t.vocab_size):.2f}."
    )


# ---------------------------------------------------------------------------------------------- page
corpus = corpus_picker()
if corpus is None:
    st.stop()
show_corpus(corpus)

st.divider()
left, right = st.columns([1, 2], gap="large")
with left:
    st.subheader("Model")
    hidden = st.slider("LSTM hidden size", 4, 512, 64, key="music_hidden", help="Changing it starts a new model.")
    seq_len = st.slider("Snippet length (values)", 5, 100, 30, key="music_seq_len", help="Each training example is this many consecutive values.")
    batch = st.select_slider("Batch size (snippets per step)", [2, 4, 8, 16, 32, 64, 128], 32, key="music_batch")
    lr = st.select_slider("Learning rate (Adam)", [0.0003, 0.001, 0.003, 0.01, 0.03], 0.003, key="music_lr")
    seed = st.number_input("Seed", 0, 2**31 - 1, 0, key="music_seed", help="Seeds the weights and the snippet order. Changing it starts a new model.")
    lab.max_steps = st.number_input("Stop after (steps)", 10, 100_000, 2000, step=100, key="music_max_steps", help="About a minute of training on the defaults.")
    config = RNNConfig(
        cell="lstm", hidden=int(hidden), layers=1, embed_dim=EMBED_DIM, seq_len=int(seq_len), batch_size=int(batch),
        learning_rate=float(lr), dropout=0.0, seed=int(seed),
    )
    with st.spinner("Building the LSTM (the first time loads TensorFlow)…"):
        trainer = lab.configure_current(config)
    note = lab.take_restart_note()
    if note:
        st.info(note)
    too_short = lab.can_train()
    if too_short:
        st.error(too_short)
    live.controls(lab, disabled=bool(too_short))
    st.caption(f"{len(corpus.vocab):,} values in the vocabulary · {trainer.param_count():,} parameters")
    with st.expander("What is happening", expanded=False):
        explain.show("music_training", embed=EMBED_DIM)

with right:
    st.subheader("Training")
    live.live_area(lab, render_training)

# ---------------------------------------------------------------------------------------------- compose
st.divider()
st.subheader("Compose")
g1, g2, g3, g4 = st.columns([2, 2, 2, 1])
n_values = g1.slider("Values to generate", 10, 400, 100, key="music_n")
temperature = g2.slider("Temperature (0 = always the most likely value)", 0.0, 2.0, 1.0, 0.05, key="music_temp")
tempo = g3.slider("Playback tempo (quarter notes per minute)", 40, 240, int(corpus.tempo), key="music_tempo")
gen_seed = g4.number_input("Sampling seed", 0, 2**31 - 1, 0, key="music_gen_seed")
start = st.radio("Start", ["From silence", "Primed with the opening of a corpus piece"], horizontal=True, key="music_start")
prime: list[int] = []
if start != "From silence":
    p1, p2 = st.columns([2, 1])
    k = p1.selectbox("Piece", range(len(corpus)), format_func=lambda j: corpus.pieces[j].name, key="music_prime_piece")
    n_prime = p2.slider("Opening values fed in first", 1, 60, 16, key="music_prime_len")
    prime = corpus.opening(int(k), int(n_prime))

if st.button("🎼 Compose", key="music_generate_btn", type="primary"):
    with st.spinner(f"Composing {int(n_values)} values…"):
        lab.compose(int(n_values), float(temperature), int(gen_seed), prime, float(tempo))

res = lab.result
if res is None:
    st.caption("Press **Compose** to let the model write music (an untrained model writes random values from the vocabulary).")
    st.stop()

prime_v, gen_v, untrained_v = res.prime, res.trained_values, res.untrained_values
tempo_now = float(tempo)
st.markdown(
    f"**{len(gen_v)} values composed by the model after {res.step:,} training steps**"
    + (f", after the first {len(prime_v)} values of a corpus piece (grey)." if prime_v else ", starting from silence.")
)
opening, composed = notes_after(prime_v, gen_v, tempo_now)
st.plotly_chart(
    charts.piano_roll_parts_figure([("opening (from the corpus)", opening, PRIME_COLOR), ("composed", composed, GEN_COLOR)]),
    key="music_result_roll", config={"displayModeBar": False},
)
a1, a2 = st.columns([3, 1])
a1.audio(wav_of_values(prime_v + gen_v, tempo_now), format="audio/wav")
a2.download_button(
    "⬇ Download .mid", mc.midi_bytes(mc.values_to_midi(prime_v + gen_v, tempo=tempo_now)), file_name="composed.mid", mime="audio/midi", key="music_midi_dl"
)
with st.expander("The values as text"):
    st.code(" ".join(gen_v), language=None, wrap_lines=True)

st.markdown("**Does it keep the corpus's key and rhythm?**")
profile, scored = lab.style_rows()
rows = [
    {"": name, "pitches in the corpus's 7 main pitch classes": f"{100 * s.in_key:.0f}%", "values with a common corpus duration": f"{100 * s.common_rhythm:.0f}%"}
    for name, s in scored
]
st.dataframe(rows, hide_index=True, key="music_style_table")
pcs = " ".join(mc.PITCH_CLASS_NAMES[pc] for pc in sorted(profile.pitch_classes))
durs = ", ".join(str(d) for d in sorted(profile.durations))
st.caption(
    f"The corpus's 7 most common pitch classes are {pcs}; its common durations (at least 2% of its values) are {durs} "
    "sixteenths. The untrained model is the same network before any training, sampled with the same seed and settings."
)
with st.expander("Listen to the untrained model's attempt"):
    opening, attempt = notes_after(prime_v, untrained_v, tempo_now)
    st.plotly_chart(
        charts.piano_roll_parts_figure([("opening", opening, PRIME_COLOR), ("untrained", attempt, UNTRAINED_COLOR)], height=260),
        key="music_untrained_roll", config={"displayModeBar": False},
    )
    st.audio(wav_of_values(prime_v + untrained_v, tempo_now), format="audio/wav")

st.subheader("Inspector")
render_inspector(
    res.trained, corpus.vocab.itos, key="music_inspector",
    context=(
        "At each step the model gives a probability to every value in the vocabulary; one is drawn and fed back in. "
        + ("Step 0 is predicted after the opening." if prime_v else "Step 0 is predicted from silence (a zero input), so it is usually the least certain.")
    ),
)
