"""Dinosaur names lab: the course's numpy character RNN, trained live one name at a time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from core import charts
from core.dino import MAX_HIDDEN, DinoConfig, DinoTrainer, clean_names, load_names
from core.textio import MB, UploadError, decode_text
from ui import live, persist
from ui.inspector import render_inspector
from ui.nav import start_page

start_page()
persist.keep("dino_source", "dino_latin1", "dino_n_a", "dino_lr", "dino_iters", "dino_seed", "dino_sample_every", "dino_temp", "dino_how_many", "dino_sample_seed")

KEY = "dino"
DATA = Path(__file__).resolve().parent.parent / "data" / "dinos.txt"
MAX_UPLOAD = 5 * MB  # name lists are small; this keeps one name per step fast
SLICE_SECONDS = 0.5  # training time per refresh (one refresh a second)
ss = st.session_state

st.title("🦕 Dinosaur names")
st.caption("A character-level RNN from scratch in numpy, trained one name at a time with clipped SGD.")


@st.cache_data(show_spinner=False)
def bundled_names() -> list[str]:
    return load_names(DATA)


# ---------------------------------------------------------------------------------------------- corpus
def corpus_picker() -> tuple[str, list[str]] | None:
    """Returns (corpus id, names) or None when the chosen corpus can't be used (a message is shown)."""
    source = st.radio("Names to learn from", ["Bundled dinosaur names", "Upload a name list"], horizontal=True, key="dino_source")
    if source == "Bundled dinosaur names":
        return "bundled", bundled_names()
    up = st.file_uploader(
        f"A .txt file, one name per line (UTF-8, up to {MAX_UPLOAD // MB} MB)", type=["txt"], key="dino_upload"
    )
    if up is None:
        kept = ss.get("dino_uploaded")
        if kept is not None:
            # the uploader forgets its file when the student visits another page; the session keeps the names
            st.caption(f"Using your earlier upload **{kept[1]}** ({len(kept[2]):,} names). Upload another file to replace it.")
            return f"upload:{kept[0]}", kept[2]
        st.info("Upload a list of names to train on (for example Pokémon, cities or baby names).")
        return None
    latin1 = ss.get("dino_latin1", False)
    try:
        text, note = decode_text(up.getvalue(), max_bytes=MAX_UPLOAD, allow_latin1=latin1, what="name list")
    except UploadError as exc:
        st.error(str(exc))
        if "Latin-1" in str(exc):
            st.checkbox("Read it as Latin-1", key="dino_latin1")
        return None
    names = clean_names(text)
    if len(names) < 10:
        st.error(f"The list has {len(names)} usable names after removing blank lines; at least 10 are needed.")
        return None
    if note:
        st.info(note)
    st.caption(f"{len(names)} names, {len(set(''.join(names)))} distinct characters (lower-cased, blank lines removed).")
    ss["dino_uploaded"] = (up.file_id, up.name, names)
    return f"upload:{up.file_id}", names


# ---------------------------------------------------------------------------------------------- model
def current_trainer(corpus_id: str, names: list[str], config: DinoConfig) -> DinoTrainer:
    """The session's trainer; a new one when the hidden size, seed or corpus changed (and say so)."""
    t: DinoTrainer | None = ss.get(KEY)
    if t is not None and ss.get("dino_corpus") == corpus_id and t.config.n_a == config.n_a and t.config.seed == config.seed:
        # learning rate, budget and sampling interval apply to the running model
        t.learning_rate = config.learning_rate
        t.config = config
        return t
    if t is not None:
        changes = live.changes(("hidden size", t.config.n_a, config.n_a), ("seed", t.config.seed, config.seed))
        if ss.get("dino_corpus") != corpus_id:
            changes.append("a different name list")
        ss["dino_restart_note"] = "The model was restarted from scratch (" + ", ".join(changes) + ")."
        live.stop(KEY)
    t = DinoTrainer(names, config)
    ss[KEY] = t
    ss["dino_corpus"] = corpus_id
    ss.pop("dino_sampled", None)
    return t


def run_slice() -> str | None:
    t: DinoTrainer = ss[KEY]

    def chunk() -> str | None:
        return t.train_steps(25).stopped_reason

    return live.timed_slice(chunk, SLICE_SECONDS)


def render_training() -> None:
    t: DinoTrainer = ss[KEY]
    h = t.history
    c1, c2, c3 = st.columns(3)
    c1.metric("Names trained on", f"{t.iteration:,}", help=f"The run stops by itself at {t.config.iterations:,}.")
    c2.metric("Smoothed loss", f"{t.smooth_loss:.2f}")
    last = h.last("loss")
    c3.metric("Last name's loss", "–" if last is None else f"{last:.2f}")
    fig = charts.loss_figure(
        [
            charts.Series("raw loss per name", h.steps, h.values["loss"], width=1, opacity=0.35),
            charts.Series("smoothed loss (course)", h.steps, h.values["smooth"], width=3),
        ],
        x_title="iteration (names)",
        y_title="loss (nats per name)",
    )
    st.plotly_chart(fig, key="dino_loss_chart", config={"displayModeBar": False})
    if t.sample_batches:
        it, batch = t.sample_batches[-1]
        st.markdown(f"**Samples at iteration {it:,}** (new names are **bold**; names already in the list are marked ✓)")
        st.markdown(" · ".join(f"**{n}**" if t.is_new(n) else f"{n} ✓" for n in batch if n) or "(empty samples)")
        if len(t.sample_batches) > 1:
            with st.expander("Earlier batches"):
                for it, batch in reversed(t.sample_batches[:-1]):
                    st.markdown(f"`{it:>6}` " + ", ".join(batch))
    else:
        st.caption(f"A fresh batch of sampled names appears every {t.config.sample_every:,} iterations.")


# ---------------------------------------------------------------------------------------------- page
picked = corpus_picker()
if picked is None:
    st.stop()
corpus_id, names = picked

left, right = st.columns([5, 8], gap="large")
with left:
    st.subheader("Settings")
    n_a = st.slider("Hidden size (n_a)", 1, MAX_HIDDEN, 50, key="dino_n_a", help="Changing it starts a new model.")
    lr = st.select_slider(
        "Learning rate",
        options=[0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0],
        value=0.01,
        key="dino_lr",
    )
    iterations = st.number_input("Iterations (names to train on)", 100, 500_000, 30_000, step=1000, key="dino_iters")
    seed = st.number_input("Seed", 0, 2**31 - 1, 0, key="dino_seed", help="Changing it starts a new model.")
    sample_every = st.select_slider("Show samples every", [100, 250, 500, 1000, 2000, 5000], 1000, key="dino_sample_every")
    config = DinoConfig(n_a=int(n_a), learning_rate=float(lr), iterations=int(iterations), seed=int(seed), sample_every=int(sample_every))
    trainer = current_trainer(corpus_id, names, config)
    note = ss.pop("dino_restart_note", None)
    if note:
        st.info(note)
    live.controls(KEY, run_slice, disabled=trainer.done)
    if trainer.done:
        st.caption("The iteration budget is used up: raise it to keep training, or change the seed to start over.")
    st.caption(
        f"{len(names):,} names · vocabulary of {trainer.vocab_size} characters · "
        f"{sum(p.size for p in trainer.parameters.values()):,} parameters"
    )
    with st.expander("What is happening", expanded=True):
        st.markdown("For each name, step by step (x⁽¹⁾ is the zero vector, the name ends with `\\n`):")
        st.latex(r"\small a^{\langle t \rangle} = \tanh(W_{ax} x^{\langle t \rangle} + W_{aa} a^{\langle t-1 \rangle} + b)")
        st.latex(r"\small \hat y^{\langle t \rangle} = \mathrm{softmax}(W_{ya} a^{\langle t \rangle} + b_y)")
        st.latex(r"\small \mathcal{L} = -\sum_t \log \hat y^{\langle t \rangle}_{y^{\langle t \rangle}}")
        st.markdown("Back-propagation through time gives the gradients, which are **clipped** element-wise before the SGD step:")
        st.latex(r"\small dW \leftarrow \min(\max(dW, -5), 5)")
        st.latex(r"\small W \leftarrow W - \alpha\, dW")

with right:
    st.subheader("Training")
    live.live_area(KEY, run_slice, render_training, interval=1.0)

st.divider()
st.subheader("Sample new names")
s1, s2, s3 = st.columns([2, 1, 1])
temperature = s1.slider("Temperature (0 = always the most likely letter)", 0.0, 3.0, 1.0, 0.05, key="dino_temp")
how_many = s2.number_input("How many names", 1, 100, 10, key="dino_how_many")
sample_seed = s3.number_input("Sampling seed", 0, 2**31 - 1, 0, key="dino_sample_seed")
if st.button("Sample names", key="dino_sample_btn"):
    rng = np.random.default_rng(int(sample_seed))
    ss["dino_sampled"] = trainer.sample_names(int(how_many), float(temperature), rng)

sampled = ss.get("dino_sampled")
if sampled:
    new = sum(1 for n, _ in sampled if n and trainer.is_new(n))
    st.markdown(f"{new} of {len(sampled)} names are new (not in the training list).")
    rows = [{"name": n or "(empty)", "new?": "" if not n else ("new" if trainer.is_new(n) else "in the list"), "length": len(n)} for n, _ in sampled]
    st.dataframe(rows, hide_index=True, key="dino_sample_table")
    st.subheader("Inspector")
    choice = st.selectbox(
        "Name to inspect",
        range(len(sampled)),
        format_func=lambda i: f"{i + 1}. {sampled[i][0] or '(empty)'}",
        key="dino_inspect_pick",
    )
    name, records = sampled[choice]
    render_inspector(records, trainer.labels, key="dino_inspector", context=f"Generating “{name}” one character at a time, starting from the zero vector.")
else:
    st.caption("Press **Sample names** to draw names from the current model (untrained models babble).")
