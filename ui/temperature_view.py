"""What the temperature does, drawn beside every temperature slider (Dinosaur, Text and Music labs).

The view takes the distribution of the first token the next sample would draw (core.models.sampling.first_step_probs:
the first letter of a name, the character after the priming text, the value after the opening) and shows it
at T = 1 and after p^(1/T) renormalised (core.models.sampling.reweight), with the entropy of both. The distribution is
computed once per (run, step, prime) and kept in the session, so moving the slider costs no model call.
Simplified on purpose: only that first step is shown; the inspector shows every step of a sample.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import streamlit as st

from core import chart_text as ct
from core import charts
from core.models.sampling import first_step_probs, reweight
from ui import chart_text, glossary

TOP = 12  # tokens drawn


def render(
    probs: np.ndarray, labels: Sequence[str], temperature: float, *, key: str, what: str, top_k: int | None = None
) -> None:
    """Draw ``probs`` (the model at T = 1) before and after ``temperature``; ``what`` names the token it predicts."""
    rw = reweight(probs, temperature, top_k)
    top = rw.top(min(TOP, len(labels)))
    T = float(temperature)
    st.markdown(f"**What temperature {T:g} does to {what}**")
    chart_text.show(
        charts.temperature_figure(rw.before, rw.after, labels, top, T),
        key=f"{key}__fig",
        name="Temperature chart",
        summary=ct.temperature_summary(rw.before, rw.after, labels, top, T),
    )
    rest_before, rest_after = rw.rest(len(top))
    others = (
        f" The {len(labels) - len(top)} other tokens hold {rest_before:.1%} before and {rest_after:.1%} after."
        if len(labels) > len(top)
        else ""
    )
    how = ct.temperature_effect(rw, labels, top)
    glossary.caption(
        f"Light bars: the model (T = 1), entropy {rw.entropy_before:.2f} nats. Dark bars: p^(1/T) renormalised"
        f"{' then top-k' if rw.top_k else ''}, what a sample draws from, entropy {rw.entropy_after:.2f} nats. "
        f"{how}{others}"
    )


def _cached_probs(key: str, signature: tuple, compute) -> np.ndarray:
    """The distribution for ``signature`` (run, step, start), computed once per change and kept in the session."""
    kept = st.session_state.get(f"{key}__probs")
    if kept is None or kept[0] != signature:
        kept = (signature, compute())
        st.session_state[f"{key}__probs"] = kept
    return kept[1]


def for_dino(lab, temperature: float) -> None:
    """The Dinosaur lab: the first letter of a name (from the zero vector, as sampling starts)."""
    t = lab.trainer
    if t is None:
        return
    probs = _cached_probs(
        "dino_temp_view", (lab.run_number, t.step, t.explosions), lambda: first_step_probs(t.token_model())
    )
    render(probs, t.labels, temperature, key="dino_temp_view", what="the first letter of a name")


def for_text(lab, prime: str, temperature: float, top_k: int = 0) -> None:
    """The Text lab: the character after the priming text (after a newline when it is empty), as Generate starts."""
    t, run = lab.trainer, lab.run
    if t is None or run is None:
        return
    stoi = {c: i for i, c in enumerate(run.chars)}
    if any(c not in stoi for c in prime):
        st.caption("The temperature view waits for a priming text the model can read.")
        return
    ids = [stoi[c] for c in prime] if prime else ([stoi["\n"]] if "\n" in stoi else [])
    first, rest = (ids[0], ids[1:]) if ids else (None, [])
    probs = _cached_probs(
        "text_temp_view",
        (lab.run_number, t.step, prime),
        lambda: first_step_probs(t.token_model(), prime=rest, first_input=first),
    )
    labels = lab.sampled.labels if lab.sampled is not None and len(lab.sampled.labels) == len(run.chars) else None
    if labels is None:
        from core.text.text_data import char_label

        labels = [char_label(c) for c in run.chars]
    what = "the character after your priming text" if prime else "the first character (after a newline)"
    render(probs, labels, temperature, key="text_temp_view", what=what, top_k=top_k or None)


def for_music(lab, prime: Sequence[str], temperature: float) -> None:
    """The Music lab: the value after the opening (from silence when there is none), as Compose starts."""
    t = lab.trainer
    if t is None:
        return
    try:
        ids = lab.prime_ids(prime)
    except ValueError:
        st.caption("The temperature view waits for an opening the model can read.")
        return
    probs = _cached_probs(
        "music_temp_view", (lab.run_number, t.step, tuple(prime)), lambda: first_step_probs(t.token_model(), prime=ids)
    )
    what = "the value after the opening" if prime else "the first value (from silence)"
    render(probs, list(lab.names), temperature, key="music_temp_view", what=what)
