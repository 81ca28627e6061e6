"""The Music lab page's larger parts, drawn from the lab object (core.labs.music_lab holds the state and the logic):
audio players, the course's-model panel, the Compose controls and the composition with its scorecard."""

from __future__ import annotations

import streamlit as st

from core import chart_text as ct
from core import charts, palette
from core.echo import literal
from core.labs.music_lab import (
    ARGMAX,
    COURSE,
    MODEL_LABELS,
    MOTIF,
    PIECE,
    SILENCE,
    MusicLab,
    copy_note,
    midi_file,
    notes_after,
    score_table,
)
from core.models import course_model as cm
from core.music import midi_io, motif
from core.music import music_audio as ma
from core.music import music_codec as mc
from core.music import music_score as ms
from ui import chart_text, explain, loss_chart, settings, temperature_view
from ui.inspector import render_inspector
from ui.labs import training_views
from ui.persist import remember
from ui.toolkit import links, memorise_view

PIECE_COLOR, MOTIF_COLOR, GEN_COLOR, UNTRAINED_COLOR = palette.MUTED, palette.SERIES[4], palette.DARK, palette.SERIES[1]
INSTRUMENTS = dict(ma.INSTRUMENTS)  # label -> General MIDI program
S = MusicLab.settings()


# ---------------------------------------------------------------------------------------------- audio
@st.cache_data(show_spinner=False, max_entries=32)
def _values_clip(values: tuple[str, ...], tempo: float, program: int | None, problem: str | None) -> ma.AudioClip:
    """The rendered clip of values; ``problem`` (FluidSynth's availability) is part of the cache key."""
    return ma.render(mc.values_to_midi(values, tempo=tempo), program=program)


@st.cache_data(show_spinner=False, max_entries=16)
def _file_clip(data: bytes, problem: str | None) -> ma.AudioClip:
    return ma.render(midi_io.load_midi_bytes(data))  # the file's own instruments


def _player(where, clip: ma.AudioClip, why: bool, alt: str) -> None:
    seconds = len(clip.samples) / clip.sample_rate if clip.sample_rate else 0.0
    # Streamlit writes the WAV; alt names the player for screen readers (what plays and how long)
    where.audio(clip.samples, sample_rate=clip.sample_rate, alt=f"{alt}, {seconds:.0f} s")
    if why and clip.engine == "sine":
        where.caption(f"🔈 {clip.reason}")


def play_values(values, tempo: float, program: int | None = None, *, alt: str, where=st, why: bool = True) -> None:
    """An audio player of values through FluidSynth (or sine waves, with the reason when ``why``); ``alt`` says what
    plays (its length in seconds is added)."""
    _player(where, _values_clip(tuple(values), float(tempo), program, ma.fluidsynth_problem()), why, alt)


def play_file(data: bytes, *, alt: str, where=st, why: bool = True) -> None:
    _player(where, _file_clip(data, ma.fluidsynth_problem()), why, alt)


# ---------------------------------------------------------------------------------------------- training
def schedule_controls(lab: MusicLab, course: bool) -> str:
    """The learning-rate schedule (this lab's LSTM; the course's model keeps the course's decay) and "stop at the
    best validation" (on by default: uploaded corpora can be tiny). Returns the schedule."""
    kind = "decay"
    if not course:
        kind = training_views.schedule_select(S["schedule"], "lstm")
    training_views.stop_at_best_toggle(lab, S["stop_best"])
    return kind


def training_status(lab: MusicLab) -> None:
    """Rate, accuracy, the best validation and the memorising message with its restore button (live area)."""
    training_views.status(lab, "music", "value")


# ---------------------------------------------------------------------------------------------- the course's model
def course_panel(lab: MusicLab) -> None:
    """The capped vocabulary, the unrolled graph of the live model, its parameter count and the course's optimizer."""
    f = lab.course_facts()
    st.subheader("The course's model")
    st.info(lab.course_vocab.sentence)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Values (one-hot width)", f"{f['n_values']}")
    c2.metric("n_a (LSTM units)", f"{f['n_a']}")
    c3.metric("Tx (steps unrolled)", f"{f['Tx']}")
    c4.metric("Parameters (counted by Keras)", f"{f['params']:,}")
    mode = settings.widget(S["graph"], horizontal=True)
    fig = charts.unrolled_graph_figure(f["n_a"], f["n_values"], min(4, f["Tx"]), Tx=f["Tx"], mode=mode)
    chart_text.show(
        fig, key="music_unrolled_graph", name="The course's model, unrolled", summary=ct.diagram_summary(fig)
    )
    check = "the same as Keras counts ✓" if f["params"] == f["formula"] else f"Keras counts {f['params']:,} ✗"
    explain.show("music_course", **f, check=check)


# ---------------------------------------------------------------------------------------------- compose
def _opening(lab: MusicLab, corpus, start: str) -> tuple[tuple[str, ...], str, bool]:
    """The opening the Start choice gives: (values, where they came from, ready to compose)."""
    if start == PIECE:
        p1, p2, p3 = st.columns([2, 1, 1])
        k = settings.widget(S["piece"], p1, options=range(len(corpus)), format_func=lambda j: corpus.pieces[j].name)
        total = lab.piece_length_bars(k)
        if st.session_state.get(S["from_bar"].key, 1) > total:  # another piece may be shorter
            remember(S["from_bar"].key, total)
        first = int(settings.widget(S["from_bar"], p2, label=f"{S['from_bar'].label} (of {total})"))
        n = int(settings.widget(S["prime_bars"], p3))
        prime = lab.piece_bars(k, first - 1, n)
        if not prime:
            st.error(f"The piece has {total} bars; pick a bar from 1 to {total}.")
            return (), "", False
        last = first + n - 1
        st.caption(f"Fed in first: {motif.decode(prime)}")
        return (
            prime,
            f"bar{'s' if n > 1 else ''} {first}{'' if n == 1 else f'–{last}'} of {corpus.pieces[k].name}",
            True,
        )
    if start == MOTIF:
        text = settings.widget(S["motif"], placeholder=motif.EXAMPLE)
        st.caption(motif.HELP)
        with st.expander("The note syntax"):
            explain.show("music_motif", n_labels=len(lab.labels))
        if not text.strip():
            st.info(f"Type a motif to continue, for example {motif.EXAMPLE}")
            return (), "", False
        check = lab.check_motif(text)
        if check.error:
            st.error(literal(check.error, 400))
        elif check.unknown:
            st.warning(literal(check.message, 400))
            st.button(
                "Use the nearest values",
                key="music_motif_fix",
                on_click=remember,
                args=(S["motif"].key, check.fixed_text),
            )
        else:
            n = motif.n_bars(check.values)
            st.caption(f"{len(check.values)} values, {n:g} bar{'' if n == 1 else 's'}: {motif.decode(check.values)}")
            return check.values, "your motif", True
        return (), "", False
    return (), "", True


def compose_area(lab: MusicLab, corpus) -> tuple[float, int]:
    """The Compose controls; composes on the button. Returns the playback (tempo, General MIDI program)."""
    st.subheader("Compose")
    start = settings.widget(S["start"], horizontal=True)
    prime, prime_label, ready = _opening(lab, corpus, start)
    g1, g2, g3 = st.columns([2, 2, 1])
    n_values = bars = None
    if start == SILENCE:
        n_values = int(settings.widget(S["n"], g1))
    else:
        bars = int(settings.widget(S["bars"], g1))
    argmax = lab.kind == COURSE and settings.widget(S["generation"], g2) == ARGMAX
    temperature = 0.0
    if not argmax:
        temperature = settings.widget(S["temperature"], g2)
    gen_seed = settings.widget(S["gen_seed"], g3, disabled=argmax)
    if links.shown("sampling"):
        temperature_view.for_music(lab, prime, 0.0 if argmax else float(temperature))  # before/after p^(1/T)
    if argmax:
        g2.caption(
            "Deterministic: the same weights always write the same values (the seed doesn't matter). From silence a "
            f"young model would repeat one value: no value plays more than {cm.MAX_REPEAT} times in a row (the next "
            "most likely comes then); sampling varies it more."
        )
    h1, h2 = st.columns(2)
    tempo = settings.widget(S["tempo"], h1, value=int(corpus.tempo))
    instrument = settings.widget(S["instrument"], h2)
    if st.button("🎼 Compose", key="music_generate_btn", type="primary", disabled=not ready):
        with st.spinner("Composing…"):
            lab.compose(
                tempo=float(tempo),
                seed=int(gen_seed),
                temperature=float(temperature),
                argmax=bool(argmax),
                n_values=n_values,
                bars=bars,
                prime=prime,
                start=start,
                prime_label=prime_label,
            )
    return float(tempo), INSTRUMENTS[instrument]


# ---------------------------------------------------------------------------------------------- result
def _scorecard(lab: MusicLab, res) -> None:
    st.markdown("**Did it learn music? The scorecard**")
    ref, why = lab.reference()
    if res.scores is None:
        st.info(why)
        return
    st.dataframe(score_table(res.scores), hide_index=True, key="music_score_table")
    st.caption(f"{ms.READING_GUIDE} {ref.summary()}")
    labels = [label for label, _ in res.scores]
    if ms.CHANCE_LABEL in labels:
        st.caption(
            f"The chance row is what a uniform random choice scores: the mean of {ms.CHANCE_DRAWS} compositions of "
            f"the same length, each value drawn uniformly from the model's {len(res.labels)} values. An untrained "
            "model's probabilities are close to uniform, so when it samples, its row lands near chance, and can "
            "match the trained row on a measure by luck: a measure shows learning only where the trained row is "
            "clearly better than chance."
        )
    note = copy_note(res.scores)
    if note:
        st.caption(note)
    if ms.VALIDATION_LABEL not in labels:
        st.caption("No validation row: a corpus needs 5 pieces or more to hold some out.")
    with st.expander("What the scorecard measures"):
        explain.show("music_scorecard", key=ref.key_name, range=ref.typical_range, density=ref.typical_density)


def result_area(lab: MusicLab, tempo: float, program: int) -> None:
    """The last composition: piano roll, player, .mid, scorecard, the untrained model's attempt, the inspector."""
    res = lab.result
    if res is None:
        st.caption(
            "Press **Compose** to let the model write music (an untrained model writes random values from the "
            "vocabulary)."
        )
        return
    prime_v, gen_v, untrained_v = res.prime, res.trained_values, res.untrained_values
    how = "the most likely value every step" if res.argmax else f"sampled at temperature {res.temperature:g}"
    what = f"{len(gen_v)} values" + (f" ({res.bars} bar{'s' if res.bars > 1 else ''})" if res.bars else "")
    opening_name, opening_color = (
        ("your motif", MOTIF_COLOR) if res.start == MOTIF else ("from the corpus", PIECE_COLOR)
    )
    after = f", answering {literal(res.prime_label)}." if prime_v else ", starting from silence."
    st.markdown(
        f"**{what} composed by {MODEL_LABELS[res.model]} after {res.step:,} training "
        f"step{'' if res.step == 1 else 's'}**, {how}{after}"
    )
    if res.weights:
        st.caption(f"Composed with {loss_chart.shown(lab, res.weights)}.")
    if res.rules:
        st.caption(res.rules)
    opening, composed = notes_after(prime_v, gen_v, tempo)
    parts = [
        (opening_name, opening, opening_color),
        ("the model's answer" if prime_v else "composed", composed, GEN_COLOR),
    ]
    chart_text.show(
        charts.piano_roll_parts_figure(parts),
        key="music_result_roll",
        name="Piano roll of the composition",
        summary=ct.piano_roll_summary(parts),
    )
    a1, a2 = st.columns([3, 1])
    play_values(prime_v + gen_v, tempo, program, where=a1, alt=f"Composition, {what}, step {res.step:,}")
    a2.download_button(
        "⬇ Download .mid",
        midi_file(prime_v + gen_v, tempo, program),
        file_name="composed.mid",
        mime="audio/midi",
        key="music_midi_dl",
    )
    with st.expander("The values as text"):
        st.code(motif.decode(gen_v), language=None, wrap_lines=True)
        st.code(" ".join(gen_v), language=None, wrap_lines=True)
    _scorecard(lab, res)
    memorise_view.music(lab, "music")
    with st.expander("Listen to the untrained model's attempt"):
        opening, attempt = notes_after(prime_v, untrained_v, tempo)
        untrained = [(opening_name, opening, opening_color), ("untrained", attempt, UNTRAINED_COLOR)]
        chart_text.show(
            charts.piano_roll_parts_figure(untrained, height=260),
            key="music_untrained_roll",
            name="Piano roll of the untrained model's attempt",
            summary=ct.piano_roll_summary(untrained),
        )
        play_values(prime_v + untrained_v, tempo, program, why=False, alt="The untrained model's attempt")
    if not links.shown("inspector"):
        return
    st.subheader("Inspector")
    step0 = (
        "Step 0 is predicted after the opening."
        if prime_v
        else "Step 0 is predicted from silence (a zero input), so it is usually the least certain."
    )
    pick = "the most likely one is fed back in" if res.argmax else "one is drawn and fed back in"
    render_inspector(
        res.trained,
        [motif.value_text(v) for v in res.labels],  # the values as the page writes them (C4q, [C4 E4]h, Rq)
        key="music_inspector",
        context=f"At each step the model gives a probability to every value in its vocabulary; {pick}. {step0}",
    )
