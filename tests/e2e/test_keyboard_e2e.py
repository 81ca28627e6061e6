"""Real browser, keyboard only: in every lab, Tab from the top of the page reaches Start in at most 10 presses;
Enter starts training and the loss chart gets a point; Tab reaches Stop, then the sample / generate / compose
button, and Enter uses it; in the Music lab Tab reaches the composition's player and Space plays it."""

import pytest
from playwright.sync_api import expect

from .conftest import assert_no_exception, shot, wait_idle

MAX_TABS = 10  # Tab presses from the top of a lab page to Start, at most
FOCUSED = (
    "() => { const e = document.activeElement; "
    "return [e.tagName, (e.innerText || '').trim(), e.getAttribute('aria-label') || '']; }"
)


def _tab_to(page, want, limit: int) -> int:
    """Press Tab until ``want(tag, text, label)`` holds for the focused element; returns the presses."""
    for n in range(1, limit + 1):
        page.keyboard.press("Tab")
        if want(*page.evaluate(FOCUSED)):
            return n
    raise AssertionError(f"not reached in {limit} Tab presses; focus is on {page.evaluate(FOCUSED)}")


def _button(text: str):
    return lambda tag, inner, label: tag == "BUTTON" and inner == text


@pytest.mark.parametrize(
    "path, action",
    [("dinosaurs", "Sample names"), ("text", "Generate"), ("music", "🎼 Compose")],
)
def test_keyboard_only_start_train_and_sample(page, app_url, path, action):
    page.goto(f"{app_url}/{path}")
    page.get_by_role("button", name="▶ Start").wait_for(timeout=90_000)
    wait_idle(page, timeout=90_000)
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    presses = _tab_to(page, _button("▶ Start"), 30)
    assert presses <= MAX_TABS, f"{presses} Tab presses to Start"
    page.keyboard.press("Enter")
    page.get_by_role("figure", name="Loss chart").locator(".scatterlayer .trace").first.wait_for(timeout=90_000)
    expect(page.get_by_role("button", name="■ Stop")).to_be_enabled()  # training runs: Stop is the next Tab stop
    _tab_to(page, _button("■ Stop"), 5)
    page.keyboard.press("Enter")
    wait_idle(page, timeout=60_000)
    _tab_to(page, _button(action), 300)
    page.keyboard.press("Enter")
    wait_idle(page, timeout=120_000)
    if path == "music":
        page.get_by_role("figure", name="Piano roll of the composition").wait_for(timeout=60_000)
        _tab_to(page, lambda tag, inner, label: tag == "AUDIO" and label.startswith("Composition"), 300)
        page.keyboard.press("Space")
        page.wait_for_function("() => { const a = document.activeElement; return a.tagName === 'AUDIO' && !a.paused; }")
    else:
        page.get_by_text("Picked").first.wait_for(timeout=60_000)  # the inspector of what was sampled
    shot(page, f"keyboard_{path}", full_page=False)
    assert_no_exception(page)
