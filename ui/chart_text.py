"""Every chart drawn one way, readable without sight: its name, the chart, a summary, and "Show the numbers".

``show(fig, key=…, name=…, summary=…)`` draws, in this order: the plotly chart named ``name`` for assistive
technologies (Streamlit 1.67's ``st.plotly_chart(alt=…)`` gives the chart's element ``role="figure"`` and
``aria-label``); under it, as under a printed figure, a caption "**name.** summary" (the sentence a sighted student
reads off the picture, from core.chart_text; below the chart, so a lab's chart keeps its place on the first screen
however long the sentence grows); and an expander "Show the numbers" holding a Markdown table (a real HTML table a
screen reader can walk) of what the chart plots (``core.chart_text.figure_table`` unless a table is given).

The name is kept short and fixed (Streamlit remounts a chart whose ``alt`` changes, which would reset its zoom on
every refresh of a live chart); the numbers go into the summary just after it.
"""

from __future__ import annotations

from typing import Callable

import streamlit as st

from core import chart_text as ct
from core import charts
from core.echo import literal

SHOW_NUMBERS = "Show the numbers"
LONG = 2000  # characters of a summary shown at most


def markdown_table(table: ct.Table) -> str:
    """A GitHub-flavoured Markdown table; every cell shown literally (labels may hold | or markup)."""
    head = "| " + " | ".join(literal(str(c), 80) or " " for c in table.columns) + " |"
    rule = "|" + "---|" * len(table.columns)
    body = ["| " + " | ".join(literal(ct.num(v) if _is_num(v) else str(v), 120) for v in r) + " |" for r in table.rows]
    return "\n".join([head, rule, *body])


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def summary_line(name: str, summary: str) -> str:
    """The caption under a chart: its name in bold, then the summary (both shown literally)."""
    return f"**{literal(name, 200)}.** {literal(summary, LONG)}"


def show(
    fig, *, key: str, name: str, summary: str, table: ct.Table | None = None, where=None, numbers: bool = True
) -> None:
    """Draw ``fig`` with its name, summary and (when ``numbers``) a "Show the numbers" table."""
    where = where if where is not None else st
    where.plotly_chart(fig, key=key, config={"displayModeBar": False}, alt=name)
    where.caption(summary_line(name, summary))
    if numbers:
        table_of(table if table is not None else ct.figure_table(fig), where=where)


def table_of(table: ct.Table | None, *, where=None) -> None:
    """The "Show the numbers" expander with ``table`` (nothing when there are no rows)."""
    where = where if where is not None else st
    if table is not None and table.rows:
        with where.expander(SHOW_NUMBERS):
            _table(table)


def lazy_table_of(make: Callable[[], ct.Table | None], *, key: str, where=None) -> None:
    """The "Show the numbers" expander of a live chart: opening it reruns the page (or its fragment), and the table
    is made, by ``make()``, only while it is open. A live chart redraws every second while its lab trains, and
    most of the time nobody reads its numbers: making and sending the table took a quarter of each drawing."""
    where = where if where is not None else st
    box = where.expander(SHOW_NUMBERS, key=key, on_change="rerun")
    if box.open:
        table = make()
        with box:
            if table is not None and table.rows:
                _table(table)
            else:
                st.caption("No numbers yet: the chart is empty.")


def _table(table: ct.Table) -> None:
    st.markdown(markdown_table(table))
    st.caption(f"{len(table.rows)} rows (long series thinned to at most {ct.MAX_ROWS}, evenly spaced).")


def piano_roll(notes, *, key: str, name: str, title: str = "", height: int = 320, where=None) -> None:
    """A one-colour piano roll (charts.piano_roll_figure) of (start s, end s, pitch) notes, with its summary."""
    fig = charts.piano_roll_figure(notes, title=title, height=height)
    show(fig, key=key, name=name, summary=ct.piano_roll_summary([("notes", notes, "")]), where=where)
