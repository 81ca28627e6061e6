"""The architecture race section of every lab page (core.toolkit.race): pick two or three configurations, press Start
race,
watch them train in turns of equal time on one chart, and compare their samples at the end.

The race is a lab of its own in the session (``st.session_state[lab.key + "_race"]``), driven by the same live
fragment as normal training (ui.live.live_area), so starting it pauses the session's other training and starting
any lab pauses it. The lab's own chart, with its earlier runs, is not touched.
"""

from __future__ import annotations

import streamlit as st

from core import chart_text as ct
from core import charts
from core.labs.lab import Note
from core.models.timelapse import SAMPLE_TEMPO
from core.models.trainer import StopKind
from core.toolkit.race import DEFAULT_SECONDS, MAX_RACERS, Race, lab_corpus, race_configs, race_verdict, unavailable
from ui import chart_text, live, loss_chart
from ui.toolkit import links

SECONDS = (5, 120)  # the race-length slider's range (seconds of training per configuration)


def _start(lab, choices: list, seconds: float) -> None:
    """Build the racers (after the memory check) and start the race; a refusal is kept as a message."""
    ss = st.session_state
    old = ss.get(f"{lab.key}_race")
    corpus = lab_corpus(lab)
    configs = race_configs(lab, choices)
    verdict = race_verdict(lab, corpus, configs, replacing=old.need if isinstance(old, Race) else 0)
    if not verdict.ok:
        ss[f"{lab.key}_race_refused"] = verdict.message
        return
    ss.pop(f"{lab.key}_race_refused", None)
    if isinstance(old, Race):
        old.stop()
        ss.pop(f"{lab.key}_race")
        del old
    race = Race(lab, seconds)
    race.need = verdict.need
    with st.spinner(f"Building {len(configs)} models…"):
        race.build(corpus, configs)
    ss[race.key] = race
    live.start(race)  # the one-lab-at-a-time rule: every other lab of this session pauses


def _stop(race: Race) -> None:
    race.stop(Note(StopKind.PAUSED, "Race stopped. Press Continue race to go on."))


def _show_sample(lab, race: Race, r, where) -> None:
    s = r.sample
    if s is None:
        where.caption("Its sample appears when the race ends.")
        return
    if s.kind == "names":
        where.markdown(
            " · ".join(f"**{n}**" if n and lab.trainer.is_new(n) else f"{n or '(empty)'} ✓" for n in s.items)
        )
        where.caption(s.note)
    elif s.kind == "text":
        where.code(s.items[0], language=None, wrap_lines=True)
        if s.note:
            where.caption(s.note)
    else:
        from core.music import music_codec as mc

        chart_text.piano_roll(
            mc.values_to_notes(s.items, SAMPLE_TEMPO),
            key=f"{race.key}_roll_{r.label}",
            name=f"Piano roll of {r.label}'s sample",
            height=220,
            where=where,
        )


def _render_race(lab, race: Race) -> None:
    if not race.racers:
        return
    earlier = race.earlier_run()
    if earlier:
        st.info(earlier)
    mismatch = race.mismatch()
    if mismatch:
        st.warning(mismatch)
    cols = st.columns(len(race.racers))
    last = race.ranking()
    for col, r in zip(cols, race.racers):
        value = next((v for rr, v in last if rr is r), None)
        col.metric(
            r.label,
            "–" if value is None else f"{value:.3f}",
            help=f"{race.metric_name()} in nats per {lab.unit} (as the race chart) after {r.spent_s:.1f} s of training",
        )
        warm = "" if r.warmup_s is None or r.warmup_s < 0.05 else f" (+{r.warmup_s:.1f} s first step, not counted)"
        col.caption(
            f"{r.steps:,} steps in {r.spent_s:.1f} s{warm}"
            + (f" · out: {loss_chart.shown(race, r.stop.message)}" if r.out else "")
        )
    series = race.loss_series()
    fig = charts.loss_figure(
        series,
        x_title="training time of each configuration (s)",
        y_title=f"{lab.chart_y}, {race.metric_name()}",
        height=340,
    )
    chart_text.show(
        fig,
        key=f"{race.key}_chart",
        name="Race chart",
        summary=ct.loss_summary(series, (), f"nats per {lab.unit} ({race.metric_name()})", "second"),
    )
    st.caption(
        f"Each configuration trains for {race.seconds:g} s in turns of {race.turn_s:g} s; their clocks are now at most "
        f"{race.spread_s():.2f} s apart (a turn ends after the chunk of steps that reaches it)."
    )
    if any(r.sample is not None for r in race.racers):
        st.markdown("**Samples at the end of the race** (the same seed for every configuration)")
        for col, r in zip(st.columns(len(race.racers)), race.racers):
            col.markdown(f"**{r.label}** · {r.steps:,} steps")
            _show_sample(lab, race, r, col)


def render(lab) -> None:
    """The race section (an expander) for any lab page."""
    if not links.shown("toolkit") or lab.trainer is None:
        return
    ss = st.session_state
    race = ss.get(f"{lab.key}_race")
    race = race if isinstance(race, Race) else None
    with st.expander("🏁 Architecture race", expanded=race is not None):
        what, options, default, fmt = lab.race_choices()
        st.caption(
            f"Train two or three configurations in turns of equal time, on one chart, each with a sample at the end. "
            f"They share everything else: {lab.race_shared()}. Your own run and its chart stay as they are."
        )
        c1, c2 = st.columns([3, 2])
        choices = c1.multiselect(
            what, options, default, format_func=fmt, key=f"{lab.key}_race_cfg", max_selections=MAX_RACERS
        )
        seconds = c2.slider("Seconds of training each", *SECONDS, int(DEFAULT_SECONDS), key=f"{lab.key}_race_secs")
        ok = 2 <= len(choices) <= MAX_RACERS
        if not ok:
            st.warning(f"Pick 2 or {MAX_RACERS} configurations to race.")
        why_not = unavailable(lab)
        if why_not:
            st.info(f"No race now: {why_not}")
            ok = False
        b1, b2, b3 = st.columns(3)
        running = race is not None and race.running
        if b1.button(
            "🏁 Start race", key=f"{lab.key}_race_start", type="primary", disabled=not ok or running, width="stretch"
        ):
            _start(lab, list(choices), float(seconds))
            if f"{lab.key}_race_refused" not in ss:
                st.rerun()  # the page redraws with the race running and every other lab paused
        can_go_on = race is not None and not running and not race.finished and bool(race.racers)
        b2.button(
            "▶ Continue race",
            key=f"{lab.key}_race_go",
            on_click=live.start,
            args=(race,),
            disabled=not can_go_on,
            width="stretch",
        )
        b3.button(
            "■ Stop race",
            key=f"{lab.key}_race_stop",
            on_click=_stop,
            args=(race,),
            disabled=not running,
            width="stretch",
        )
        refused = ss.get(f"{lab.key}_race_refused")
        if refused:
            st.error(refused)
        if race is None:
            return
        if race.note is not None:
            (
                st.success
                if race.note.kind == StopKind.FINISHED
                else st.warning
                if race.note.kind == StopKind.PAUSED
                else st.error
            )(loss_chart.shown(race, race.note.text))
        live.live_area(race, lambda: _render_race(lab, race))
