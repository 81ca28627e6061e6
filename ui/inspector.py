"""The inspector, shared by every lab: what the model believed at each generated step and what it picked.

Input is the list of ``core.sampling.StepRecord`` that the sampler produced, plus a label per vocabulary
index. It shows a heatmap over the whole span, and for one chosen step the bar chart (model at T=1 vs the
distribution actually sampled from), the picked token, its probability, the entropy and the top candidates.
"""

from __future__ import annotations

from typing import Sequence

import streamlit as st

from core import charts
from core.sampling import StepRecord, top_candidates


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
            step = st.slider("Step", 0, n - 1, 0, key=f"{key}__step", help="Which generated token to inspect")
        r = records[step]
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Picked", labels[r.picked])
        c2.metric("Its probability", f"{r.p_picked:.3f}")
        c3.metric("Entropy (sampled from)", f"{r.entropy:.2f} nats")
        c4.metric("Entropy (model, T=1)", f"{r.entropy_model:.2f} nats")
        st.plotly_chart(
            charts.step_distribution_figure(r.probs, r.adjusted, labels, r.picked),
            key=f"{key}__bars",
            config={"displayModeBar": False},
        )
        top = top_candidates(r.probs, labels, k=min(5, len(labels)))
        st.caption("Top candidates (model, T=1): " + ", ".join(f"`{t}` {p:.3f}" for t, p in top))
    with tab_span:
        st.plotly_chart(charts.distribution_heatmap(records, labels), key=f"{key}__heat", config={"displayModeBar": False})
        st.caption("Columns are the generated steps (step:picked); red squares mark what was picked.")
