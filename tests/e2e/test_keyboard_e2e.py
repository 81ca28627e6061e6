"""Real browser, keyboard only: in every lab, Tab from the top of the page reaches Start in at most 11 presses;
Enter starts training, the loss chart gets a point and the focus moves to Stop (Start is disabled); Enter on Stop
moves it back to Start; Tab reaches the sample / generate / compose button, and Enter uses it; in the Music lab Tab
reaches the composition's player and Space plays it. A slider changed with the arrow keys keeps the focus through
the rerun. On a tablet and at 200% zoom the collapsed sidebar takes no Tab stop."""

import pytest
from playwright.sync_api import expect

from .conftest import assert_no_exception, shot, wait_idle

MAX_TABS = 10  # Tab presses from the top of a lab page to Start, at most (see docs/accessibility.md, Keyboard)
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


def _wait_focus_on(page, tag: str, text: str) -> None:
    """Wait until the focused element is the ``tag`` element showing ``text`` (the page's script moves the focus)."""
    try:
        page.wait_for_function(
            f"want => {{ const f = ({FOCUSED})(); return f[0] === want[0] && f[1] === want[1]; }}", arg=[tag, text]
        )
    except Exception as e:
        raise AssertionError(f"the focus is on {page.evaluate(FOCUSED)}, not on {tag} {text!r}") from e


def _in_sidebar(page) -> bool:
    return page.evaluate("() => !!document.activeElement.closest('[data-testid=\"stSidebar\"]')")


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
    expect(page.get_by_role("button", name="■ Stop")).to_be_enabled()
    _wait_focus_on(page, "BUTTON", "■ Stop")  # Start is disabled while training: the focus moved to Stop
    page.keyboard.press("Enter")
    wait_idle(page, timeout=60_000)
    _wait_focus_on(page, "BUTTON", "▶ Start")  # Stop is disabled again: the focus moved back to Start
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


def test_a_slider_keeps_the_focus_through_the_rerun(page, app_url):
    page.goto(f"{app_url}/dinosaurs")
    page.get_by_role("button", name="▶ Start").wait_for(timeout=90_000)
    wait_idle(page)
    slider = page.locator(".st-key-dino_n_a").get_by_role("slider")
    before = int(slider.input_value())
    slider.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    wait_idle(page)  # the page ran again with the new size
    page.wait_for_function("() => document.activeElement.matches('.st-key-dino_n_a input[type=range]')")
    page.keyboard.press("ArrowRight")  # the arrow keys go on moving the same slider
    page.wait_for_function("v => document.activeElement.value === String(v)", arg=before + 4)
    wait_idle(page)
    assert page.evaluate("() => document.activeElement.matches('.st-key-dino_n_a input[type=range]')")
    assert_no_exception(page)


@pytest.mark.parametrize(
    "name, viewport, scale",
    [("tablet", {"width": 768, "height": 1024}, 1), ("zoom200", {"width": 683, "height": 384}, 2)],
)
def test_the_collapsed_sidebar_takes_no_tab_stop(browser, app_url, name, viewport, scale):
    """A tablet held upright, and a 1366×768 screen at 200% zoom (half the CSS pixels, twice the device pixels):
    Streamlit collapses the sidebar, and Tab goes from the page's top to Start without landing in it."""
    context = browser.new_context(viewport=viewport, device_scale_factor=scale)
    page = context.new_page()
    page.set_default_timeout(90_000)
    try:
        page.goto(f"{app_url}/dinosaurs")
        page.get_by_role("button", name="▶ Start").wait_for()
        wait_idle(page)
        assert page.locator('[data-testid="stSidebar"]').get_attribute("data-collapsed") == "true"
        page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
        stops = []
        for _ in range(30):
            page.keyboard.press("Tab")
            stops.append((page.evaluate(FOCUSED), _in_sidebar(page)))
            if stops[-1][0][:2] == ["BUTTON", "▶ Start"]:
                break
        assert stops[-1][0][:2] == ["BUTTON", "▶ Start"], stops
        assert not [f for f, inside in stops if inside], stops
        # the sidebar opens from the keyboard too, and then its page links take focus
        page.get_by_role("button", name="Expand sidebar").focus()
        page.keyboard.press("Enter")
        page.locator('[data-testid="stSidebar"][data-collapsed="false"]').wait_for()
        link = page.locator('[data-testid="stSidebarNavLink"]').first
        expect(link).to_be_visible()
        link.focus()
        assert _in_sidebar(page)
        shot(page, f"keyboard_sidebar_{name}", full_page=False)
    finally:
        context.close()
