"""The inspector, shared by every lab: what the model believed at each generated step and what it picked.

Input is the list of ``core.models.sampling.StepRecord`` that the sampler produced, plus a label per vocabulary
index. It shows a heatmap over the whole span, and for one chosen step the bar chart (model at T=1 vs the
distribution actually sampled from), the picked token, its probability, the entropy and the top candidates.
Every number says which of the two distributions it comes from: the model's own (T = 1) or the one sampled
from (after temperature and top-k); at T = 0 the second puts everything on one token while the first still
shows the model's spread.

``step_key(key)`` is the session key of the chosen step, for views that follow the inspector (the Dinosaur
lab's formula view).
"""

from __future__ import annotations

from typing import Sequence

import streamlit as st

from core import chart_text as ct
from core import charts
from core.models.sampling import StepRecord, top_candidates
from ui import chart_text, glossary


def step_key(key: str) -> str:
    """The session-state key of the step slider of the inspector drawn with ``key``."""
    return f"{key}__step"


def render_inspector(records: Sequence[StepRecord], labels: Sequence[str], *, key: str, context: str = "") -> None:
    """Draw the inspector for one generated sequence. ``context`` is shown above (e.g. the priming text)."""
    if not records:
        st.info("Nothing was generated, so there is nothing to inspect.")
        return
    if context:
        st.caption(context)
    n = len(records)
    tab_step, tab_span = st.tabs(["One step", "Whole sequence (heatmap)"])
    with tab_step:
        step = 0
        if n > 1:
            step = st.slider("Step", 0, n - 1, 0, key=step_key(key), help="Which generated token to inspect")
        r = records[step]
        p_model = float(r.probs[r.picked])
        c1, c2, c3, c4, c5 = st.columns([2, 3, 3, 3, 3])
        c1.metric("Picked", labels[r.picked])
        c2.metric(
            "Its probability (sampled)",
            f"{r.p_picked:.3f}",
            help="In the distribution sampled from: after temperature and top-k",
        )
        c3.metric(
            "Its probability (T=1)",
            f"{p_model:.3f}",
            help="In the model's own distribution, before temperature and top-k",
        )
        c4.metric(
            "Entropy (sampled)",
            f"{r.entropy:.2f} nats",
            help="Of the distribution sampled from.\n\n" + glossary.help_for("entropy", "nats"),
        )
        c5.metric(
            "Entropy (T=1)",
            f"{r.entropy_model:.2f} nats",
            help="Of the model's own distribution.\n\n" + glossary.help_for("entropy", "nats"),
        )
        chart_text.show(
            charts.step_distribution_figure(r.probs, r.adjusted, labels, r.picked),
            key=f"{key}__bars",
            name="Inspector: one step's probabilities",
            summary=ct.distribution_summary(r.probs, r.adjusted, labels, r.picked),
        )
        k = min(5, len(labels))
        model_top = top_candidates(r.probs, labels, k=k)
        sampled_top = [(t, p) for t, p in top_candidates(r.adjusted, labels, k=k) if p > 0]
        st.caption("Top candidates, model (T=1): " + ", ".join(f"`{t}` {p:.3f}" for t, p in model_top))
        st.caption(
            "Top candidates, sampled from (after temperature and top-k): "
            + ", ".join(f"`{t}` {p:.3f}" for t, p in sampled_top)
            + (
                " — one candidate only (temperature 0 or top-k 1): it is always picked."
                if len(sampled_top) == 1
                else ""
            )
        )
    with tab_span:
        chart_text.show(
            charts.distribution_heatmap(records, labels),
            key=f"{key}__heat",
            name="Inspector heatmap",
            summary=ct.heatmap_summary(records, labels),
        )
        st.caption("Columns are the generated steps (step:picked); open squares mark what was picked.")
