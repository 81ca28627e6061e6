"""Real browser: every bundled lesson's link opens its lab with the guide in the sidebar, and its first step works:
(upload the lesson's hand-outs when it has them,) press Start, and the loss chart gets its first point.

A screenshot of each lesson's first screen goes to test-artifacts/screenshots/lesson_<name>.png, and one after its
first step to lesson_<name>_started.png."""

from __future__ import annotations

import pytest

from core.toolkit import links as cl
from tests.e2e.conftest import assert_no_exception, reveal, shot, wait_idle, wait_metric_above

COUNTER = {"dino": "Names trained on", "text": "Step", "music": "Steps"}  # each page's training counter (a metric)


def _upload_handouts(page, les: cl.Lesson) -> None:
    """Step 1 of a lesson with hand-outs: choose "Upload MIDI files" and drop them in."""
    page.locator(".st-key-music_source").get_by_text("Upload MIDI files", exact=True).click()  # not the guide's words
    wait_idle(page, 60_000)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').wait_for(state="attached", timeout=60_000)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        [str(cl.MIDI_DIR / d) for d in les.downloads]
    )
    reveal(page, page.get_by_text("Held out for validation"), timeout=90_000)
    wait_idle(page, 90_000)
    held = page.locator('[data-testid="stMetric"]').filter(has_text="Held out for validation").first.inner_text()
    assert "0 pieces" in held, held  # the lesson's question 2: three tunes, none held out


@pytest.mark.parametrize("name", [les.name for les in cl.load_lessons()])
def test_a_lesson_link_opens_its_lab_and_its_first_step_trains(app_url, page, name):
    les = cl.load_lesson(name)
    page.goto(f"{app_url}/{cl.spec(les.lab).page}?lesson={name}")
    page.get_by_role("button", name="▶ Start").wait_for(timeout=120_000)  # the first Keras page loads TensorFlow
    wait_idle(page, 120_000)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text(les.title).first.wait_for(timeout=60_000)
    assert sidebar.get_by_text("What you should see").count() >= 1
    assert sidebar.get_by_text(f"[{les.claims[0].id}]").count() == 0  # claim ids are not shown
    assert page.get_by_text("could not be used").count() == 0  # the preset is valid
    assert_no_exception(page)
    shot(page, f"lesson_{name}")

    if les.downloads:
        _upload_handouts(page, les)
    page.get_by_role("button", name="▶ Start").click()
    wait_metric_above(page, COUNTER[les.lab], 0, timeout=180_000)
    page.evaluate("() => window.scrollTo(0, 0)")  # the live area is at the top
    chart = page.locator('[class*="_loss_chart"]').first  # ui/loss_chart.py keys every lab's chart "<lab>_loss_chart"
    chart.locator(".scatterlayer .trace").first.wait_for(timeout=60_000)  # the loss chart has its first point
    assert_no_exception(page)
    stop = page.get_by_role("button", name="■ Stop")
    if stop.is_enabled():
        stop.click()
    wait_idle(page, 60_000)
    shot(page, f"lesson_{name}_started")
    assert_no_exception(page)
