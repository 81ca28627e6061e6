"""Real browser, call and response: type a motif (a bad one first, then one with a value the model doesn't know and
its nearest values), let a tiny model continue it for two bars, see the two-colour piano roll and the player, and
download the .mid (it parses and starts with the motif's notes)."""

import re
from pathlib import Path

from core import palette
from core.labs.music_lab import EMBED_DIM
from ui.labs.music_views import GEN_COLOR, MOTIF_COLOR

from .conftest import assert_no_exception, metric_int, open_more_settings, open_tab, shot, wait_idle, wait_metric_above

MOTIF_RGB, ANSWER_RGB = ("rgb({}, {}, {})".format(*palette.rgb(c)) for c in (MOTIF_COLOR, GEN_COLOR))


def _slider(page, label: str):
    return page.locator('[data-testid="stSlider"]').filter(has_text=label).get_by_role("slider")


def _tiniest(page, params) -> None:
    """Hidden size, snippet length and batch to their minimum (4, 5, 2), then wait until the page's model has
    ``params(vocabulary size)`` parameters: the new run is built before anything else is clicked. The snippet
    length and the batch are in "More settings"."""
    open_more_settings(page)
    for label in ("LSTM hidden size", "Snippet length (values)", "Batch size (snippets per step)"):
        s = _slider(page, label)
        s.focus()
        s.press("Home")
        wait_idle(page, timeout=60_000)
    caption = page.get_by_text(re.compile(r"values in the vocabulary · [0-9,]+ parameters"))
    # .first: while a rerun redraws the left column, the old caption can stay beside the new one for a moment
    n_values = int(caption.first.inner_text().split(" values")[0].replace(",", ""))
    caption.filter(has_text=f"· {params(n_values):,} parameters").first.wait_for(timeout=60_000)
    wait_idle(page, timeout=60_000)


METRIC_IS = """([label, value]) => {
  const shown = [...document.querySelectorAll('[data-testid="stMetric"]')]
    .filter(m => m.querySelector('[data-testid="stMetricLabel"]')?.innerText.trim() === label)
    .map(m => parseInt(m.querySelector('[data-testid="stMetricValue"]').innerText.replace(/[^0-9]/g, ''), 10));
  return shown.length > 0 && shown.every(v => v === value);
}"""


def _wait_metric(page, label: str, value: int) -> None:
    """Wait until the metric ``label`` shows ``value`` (a tab's metrics are redrawn a moment after the caption)."""
    page.wait_for_function(METRIC_IS, arg=[label, value], timeout=60_000)


def _motif(page, text: str) -> None:
    box = page.get_by_role("textbox", name="Your motif (the model answers it)")
    box.fill(text)
    box.press("Enter")
    wait_idle(page, timeout=60_000)


def test_motif_is_answered_played_and_downloaded(page, app_url):
    page.goto(app_url + "/music")
    page.get_by_role("heading", name="🎵 Music").wait_for()
    page.get_by_role("button", name="▶ Start").wait_for(timeout=90_000)  # the first visit loads TensorFlow
    wait_idle(page, timeout=90_000)
    # the tiniest model (hidden 4, snippets of 5, batches of 2): a few steps train in a moment
    _tiniest(page, lambda v: v * EMBED_DIM + 4 * (4 * (EMBED_DIM + 4) + 4) + 4 * v + v)  # embedding, LSTM, Dense
    page.get_by_role("button", name="Step", exact=True).click()
    wait_metric_above(page, "Steps", 0)
    wait_idle(page)

    page.get_by_text("Continue my motif").click()
    page.get_by_text("Type a motif to continue").wait_for()
    # a bad motif: its message, no traceback, Compose off
    _motif(page, "C4q H4q G4h")
    page.get_by_text("Token 2 'H4q' (at character 5): 'H' is not a note name").wait_for()
    assert page.get_by_role("button", name="🎼 Compose").is_disabled()
    shot(page, "music_motif_bad", full_page=False)
    assert_no_exception(page)
    # a value the model never saw: named, with the nearest values, and a button that uses them
    _motif(page, "C4q C4:13 E4q")
    page.get_by_text("Not in the model's vocabulary: C4:13 (nearest:").wait_for()
    page.get_by_role("button", name="Use the nearest values").click()
    page.get_by_text("Not in the model's vocabulary").wait_for(state="detached")
    wait_idle(page)
    page.wait_for_function("() => !document.querySelector('input[aria-label^=\"Your motif\"]').value.includes('C4:13')")
    fixed = page.get_by_role("textbox", name="Your motif (the model answers it)").input_value()
    assert fixed.startswith("C4q ") and fixed.endswith(" E4q"), fixed
    shot(page, "music_motif_nearest", full_page=False)

    _motif(page, "C4q E4q G4h")
    page.get_by_text("3 values, 1 bar: C4q E4q G4h").wait_for()
    bars = _slider(page, "Bars the model adds")
    bars.focus()
    bars.press("Home")
    bars.press("ArrowRight")  # 2 bars
    wait_idle(page)
    page.get_by_role("button", name="🎼 Compose").click()
    page.get_by_text("answering your motif.").wait_for(timeout=60_000)
    wait_idle(page)
    roll = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="the model's answer").first
    roll.locator(".scatterlayer .trace").nth(1).wait_for()
    # one trace per part, each drawn in its colour (a path per note segment)
    strokes = roll.locator(".scatterlayer .trace").evaluate_all(
        "ts => ts.map(t => [...new Set([...t.querySelectorAll('path.js-line')].map(p => p.style.stroke))])"
    )
    assert strokes == [[MOTIF_RGB], [ANSWER_RGB]], strokes
    assert page.locator("audio").count() >= 2  # a corpus piece and the composition (motif + answer)
    page.get_by_role("button", name="⬇ Download .mid").scroll_into_view_if_needed()
    roll.scroll_into_view_if_needed()
    shot(page, "music_motif_answered", full_page=False)

    with page.expect_download() as info:
        page.get_by_role("button", name="⬇ Download .mid").click()
    data = Path(info.value.path()).read_bytes()
    from core.music.midi_io import load_midi_bytes

    pm = load_midi_bytes(data)
    notes = sorted((n for i in pm.instruments for n in i.notes), key=lambda n: (n.start, n.pitch))
    assert [n.pitch for n in notes[:3]] == [60, 64, 67] and len(notes) > 3  # the motif, then the model's answer
    assert_no_exception(page)


def test_course_mode_shows_its_model_and_composes_by_argmax(page, app_url):
    page.goto(app_url + "/music")
    page.get_by_role("heading", name="🎵 Music").wait_for()
    page.get_by_role("button", name="▶ Start").wait_for(timeout=90_000)
    wait_idle(page, timeout=90_000)
    page.get_by_role("radiogroup", name="Model").get_by_text(
        "the course's model (one-hot, 90 values)"
    ).click()  # (the race offers it too)
    wait_idle(page, timeout=90_000)
    course = open_tab(page, "The course's model")
    course.get_by_role("heading", name="The course's model").wait_for(timeout=90_000)
    assert metric_int(page, "Parameters (counted by Keras)") == 45_530  # n_a = 64, 90 values: the course's count
    course.get_by_text("= 39,680 (LSTM) + 5,850 (Dense) = 45,530: the same as Keras counts ✓").wait_for()
    course.get_by_text("The 89 most common values keep their own index").wait_for()
    graph = course.locator('[data-testid="stPlotlyChart"]').filter(has_text="box is the same LSTM cell")
    graph.locator(".shapelayer path").first.wait_for()  # the boxes are drawn
    assert graph.locator(".shapelayer path").count() == 16  # x, LSTM cell, Dense, ŷ at 4 steps
    graph.scroll_into_view_if_needed()
    shot(page, "music_course_graph", full_page=False)
    # the tiniest course model (n_a 4, Tx 5, batches of 2): a step, then the course's generation
    _tiniest(page, lambda v: 4 * 4 * (4 + v + 1) + 4 * v + v)
    _wait_metric(page, "Parameters (counted by Keras)", 4 * 4 * (4 + 90 + 1) + 4 * 90 + 90)
    assert metric_int(page, "Values (one-hot width)") == 90
    course.get_by_text("2 windows of Tx = 5 values per step").wait_for()
    page.get_by_role("button", name="Step", exact=True).click()
    wait_metric_above(page, "Steps", 0)
    wait_idle(page)
    compose = open_tab(page, "Compose & listen")
    assert compose.get_by_role("radio", name="The most likely value, fed back (the course's way)").is_checked()
    compose.get_by_role("button", name="🎼 Compose").click()
    page.get_by_text("composed by the course's model (one-hot, 90 values)").wait_for(timeout=60_000)
    page.get_by_text("the most likely value every step").first.wait_for()
    wait_idle(page)
    page.get_by_text("Did it learn music? The scorecard").scroll_into_view_if_needed()
    shot(page, "music_course_composed", full_page=False)
    assert page.locator("audio").count() >= 2
    assert_no_exception(page)
