"""Dinosaur names lab: the course's numpy character RNN, trained live one name at a time."""

from __future__ import annotations

import streamlit as st

from core.echo import literal
from core.labs.dino_lab import MAX_UPLOAD, DinoLab, bundled_names
from core.models.dino import DinoConfig
from core.text.textio import MB
from ui import live, loss_chart, settings, temperature_view
from ui.inside import dino_views
from ui.inside import tabs as inside_tabs
from ui.inspector import render_inspector
from ui.nav import lab_page
from ui.toolkit import get_code_view, handin_view, links, memorise_view, race_view, timelapse_view

lab = lab_page(
    DinoLab,
    "🦕 Dinosaur names",
    "A character-level RNN from scratch in numpy, trained one name at a time with clipped SGD.",
)
S = DinoLab.settings()
ss = st.session_state


@st.cache_data(show_spinner=False)
def bundled() -> list[str]:
    return bundled_names()


def corpus_picker() -> tuple[str, list[str]] | None:
    """Returns (corpus id, names) or None when the chosen corpus can't be used (a message is shown)."""
    source = settings.widget(S["corpus"], options=[*S["corpus"].values(), "Upload a name list"], horizontal=True)
    if source in S["corpus"].values():
        return "bundled", bundled()
    up = st.file_uploader(
        f"A .txt file, one name per line (UTF-8, up to {MAX_UPLOAD // MB} MB)",
        type=["txt"],
        key="dino_upload",
        max_upload_size=MAX_UPLOAD // MB,  # Streamlit's own "… per file" says the same limit
    )
    kept = lab.upload
    if up is None:
        if kept.result is not None:
            st.caption(
                f"Using your earlier upload **{literal(kept.name)}** ({len(kept.result):,} names). "
                "Upload another file to replace it."
            )
            return f"upload:{kept.key[0]}", kept.result
        st.info("Upload a list of names to train on (for example Pokémon, cities or baby names).")
        return None
    kept = lab.read_upload(up.file_id, up.name, up.getvalue(), bool(ss.get("dino_latin1", False)))
    if kept.result is None:
        st.error(kept.message)
        if "Latin-1" in (kept.message or ""):
            st.checkbox("Read it as Latin-1", key="dino_latin1")
        return None
    if kept.message:
        st.info(kept.message)
    names = kept.result
    st.caption(
        f"{len(names)} names, {len(set(''.join(names)))} distinct characters (lower-cased, blank lines removed)."
    )
    return f"upload:{up.file_id}", names


def render_training() -> None:
    """The counters, the latest sampled names (above the chart: both fit the first screen) and the loss chart."""
    t = lab.trainer
    c1, c2, c3 = st.columns([1, 1, 1.3])  # the last label is the longest
    c1.metric("Names trained on", f"{t.step:,}", help=f"The run stops by itself at {t.config.iterations:,}.")
    unit = loss_chart.choice_of(lab, "dino")
    c2.metric(f"Smoothed loss ({unit})", loss_chart.loss_text(lab, "dino", t.smooth_loss))
    last = t.history.train.last("loss")
    c3.metric(f"Last name's loss ({unit})", loss_chart.loss_text(lab, "dino", last))
    if t.sample_batches:
        it, batch = t.sample_batches[-1]
        st.markdown(f"**Samples at iteration {it:,}** (new names are **bold**; names already in the list are marked ✓)")
        shown = (f"**{literal(n)}**" if t.is_new(n) else f"{literal(n)} ✓" for n in batch if n)
        st.markdown(" · ".join(shown) or "(empty samples)")
    else:
        st.caption(f"A fresh batch of sampled names appears every {t.config.sample_every:,} iterations.")
    loss_chart.render(lab, "dino")
    if len(t.sample_batches) > 1:
        with st.expander("Earlier batches of sampled names"):
            for it, batch in reversed(t.sample_batches[:-1]):
                st.markdown(f"`{it:>6}` " + ", ".join(literal(n) for n in batch))


# ---------------------------------------------------------------------------------------------- page
# The first screen: the names, Start/Stop, the settings this lab is about, the live chart and samples; the rest is in
# the tabs below, one click away.
controls_slot, live_slot, settings_slot = live.first_screen()  # Start, the live area, the settings (ui/live.py)
with settings_slot:
    picked = corpus_picker()
    if picked is None:
        st.stop()
    corpus_id, names = picked
    n_a = settings.widget(S["hidden"])
    lr = settings.widget(S["lr"])
    more = st.expander("More settings")  # the rarer settings and the explosion demo, one click away
    with more:
        iterations = settings.widget(S["iterations"])
        seed = settings.widget(S["seed"])
        sample_every = settings.widget(S["sample_every"])
        clip = dino_views.clip_controls(float(lr))  # None: clipping off
    config = DinoConfig(
        n_a=int(n_a),
        learning_rate=float(lr),
        iterations=int(iterations),
        seed=int(seed),
        sample_every=int(sample_every),
        clip_value=clip,
    )
    trainer = lab.configure(corpus_id, names, config)
    note = lab.take_restart_note()
    if note:
        st.info(literal(loss_chart.shown(lab, note), 600))  # it may name an uploaded file
    with controls_slot:
        live.controls(lab, disabled=trainer.done)
    with more:
        dino_views.explosion_buttons(lab)
    if trainer.done:
        st.caption("The iteration budget is used up: raise it to keep training, or change the seed to start over.")
    st.caption(
        f"{len(names):,} names · vocabulary of {trainer.vocab_size} characters · {trainer.param_count():,} parameters"
    )

with live_slot:
    live.live_area(lab, render_training)
    dino_views.loss_note(lab, names)  # why the smoothed loss starts at 7 ln V and rises

tab = links.tabs(
    {
        "Sample & inspect": True,
        "Look inside": links.shown("inside"),
        "Time-lapse & race": links.shown("toolkit"),
        "Files & hand-in": links.shown("toolkit"),
        "What is happening": True,
    },
    key="dino_sections",
)
with tab["Sample & inspect"]:
    s1, s2, s3 = links.group("sampling").columns([2, 1, 1])
    temperature = settings.widget(S["temperature"], s1)
    how_many = settings.widget(S["n"], s2)
    sample_seed = settings.widget(S["sample_seed"], s3)
    temperature_view.for_dino(lab, float(temperature))
    if st.button("Sample names", key="dino_sample_btn"):
        lab.sample(int(how_many), float(temperature), int(sample_seed))

    sampled = lab.sampled
    if sampled:
        new = sum(1 for n, _ in sampled if n and trainer.is_new(n))
        st.markdown(f"{new} of {len(sampled)} names are new (not in the training list).")
        rows = [
            {
                "name": n or "(empty)",
                "new?": "" if not n else ("new" if trainer.is_new(n) else "in the list"),
                "length": len(n),
            }
            for n, _ in sampled
        ]
        st.dataframe(rows, hide_index=True, key="dino_sample_table")
        memorise_view.names(lab, [n for n, _ in sampled], "dino")
        if links.shown("inspector"):
            st.subheader("Inspector")
            choice = st.selectbox(
                "Name to inspect",
                range(len(sampled)),
                format_func=lambda i: f"{i + 1}. {sampled[i][0] or '(empty)'}",
                key="dino_inspect_pick",
            )
            name, records = sampled[choice]
            context = f"Generating “{literal(name)}” one character at a time, starting from the zero vector."
            render_inspector(records, trainer.labels, key="dino_inspector", context=context)
            dino_views.formula(lab, choice)
    else:
        st.caption("Press **Sample names** to draw names from the current model (untrained models babble).")
with tab["Look inside"]:
    if links.shown("inside"):
        dino_views.backprop(lab, live=links.is_open(tab["Look inside"]))  # backpropagation through time, clipping
    inside_tabs.render(lab)  # Look inside: influence, how far back, neurons, gates
with tab["Time-lapse & race"]:
    timelapse_view.render(lab, live=links.is_open(tab["Time-lapse & race"]))
    race_view.render(lab)
with tab["Files & hand-in"]:
    handin_view.render(lab, "dino")  # the hand-in zip (ui/toolkit/handin_view.py)
    get_code_view.render(lab, "dino")  # the script, the notebook and the .zip (ui/toolkit/get_code_view.py)
with tab["What is happening"]:
    dino_views.explanations(lab)
