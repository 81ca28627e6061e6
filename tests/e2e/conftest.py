"""Real-browser fixtures: a `streamlit run app.py` server on 127.0.0.1 and Playwright driving Debian's Chromium.

Screenshots go to test-artifacts/screenshots/ (look at them: they are what the test saw).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from deploy.app_server import AppServer

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, so the ``page`` fixture knows whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def start_app(log_name: str) -> AppServer:
    """`streamlit run app.py` on a free loopback port with the app's own default memory budget."""
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "RNNP_SERVER_BUDGET_MB"}
    return AppServer.start(ROOT / "test-artifacts" / log_name, env=env)


@pytest.fixture(scope="session")
def app_url():
    """The app exactly as a user starts it, shared by the browser tests of one run."""
    app = start_app("streamlit-e2e.log")
    yield app.url
    app.stop()


@pytest.fixture
def fresh_app_url():
    """A server of its own, for tests of what happens first after start."""
    app = start_app("streamlit-e2e-fresh.log")
    yield app.url
    app.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test.sh does)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser context (its own Streamlit session) per test; when the test fails, a screenshot of the whole
    page as it was goes to test-artifacts/screenshots/failed_<test>.png."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    p = context.new_page()
    p.set_default_timeout(30_000)
    yield p
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        try:
            shot(p, "failed_" + request.node.name.replace("/", "_")[:120])
        except PlaywrightError:
            pass  # the page may be gone: the failure itself is what the run reports
    context.close()


def shot(page, name: str, full_page: bool = True) -> Path:
    """Save a screenshot of what the test sees."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def wait_idle(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished running the script (no 'Running...' status widget)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)


def assert_no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, "a traceback is on screen"


_METRIC_JS = """
([label, above]) => {
  for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
    const l = m.querySelector('[data-testid="stMetricLabel"]');
    if (l && l.innerText.trim() === label) {
      const v = parseInt(m.querySelector('[data-testid="stMetricValue"]').innerText.replace(/[^0-9]/g, ''), 10);
      return v > above;
    }
  }
  return false;
}
"""


def metric_int(page, label: str) -> int:
    """The integer shown by the metric called ``label`` (e.g. "Names trained on")."""
    value = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label)
    )
    return int(
        "".join(ch for ch in value.first.locator('[data-testid="stMetricValue"]').inner_text() if ch.isdigit()) or 0
    )


def wait_metric_above(page, label: str, above: int, timeout: float = 60_000) -> int:
    """Wait until the metric ``label`` shows more than ``above``; returns its value."""
    page.wait_for_function(_METRIC_JS, arg=[label, above], timeout=timeout)
    return metric_int(page, label)


def slider_value(page, index: int = 0) -> str:
    return page.get_by_role("slider").nth(index).get_attribute("aria-valuetext")


def wait_refreshes(page, label: str, n: int, timeout: float = 60_000) -> int:
    """Wait for ``n`` live refreshes that moved the metric ``label`` (e.g. five one-second training refreshes)."""
    value = metric_int(page, label)
    for _ in range(n):
        value = wait_metric_above(page, label, value, timeout)
    return value


def open_tab(page, name: str):
    """Click the tab ``name`` and return its panel: a lab page's section tab under the training area ("Look inside",
    "The text", …) or a tab inside one (Look inside's "Influence", …: its section is opened first)."""
    wait_idle(page, timeout=60_000)
    tab = page.get_by_role("tab", name=name, exact=True)
    if name not in SECTION_TABS and not tab.first.is_visible():  # an inner tab of Look inside
        outer = page.get_by_role("tab", name="Look inside", exact=True)
        outer.first.wait_for(timeout=60_000)  # a full rerun may be redrawing the tab bar
        outer.click()
        wait_idle(page, timeout=60_000)
    tab.first.wait_for(timeout=60_000)
    tab.click()  # click() scrolls to it and retries if a rerun replaced it
    wait_idle(page, timeout=60_000)
    panel = page.get_by_role("tabpanel", name=name)
    panel.wait_for()
    return panel


def open_more_settings(page):
    """Open the "More settings" expander beside Start (the rarer settings); returns the page."""
    # the expander whose own label is "More settings" (a lesson's steps, in an expander above, say "More settings" too)
    label = page.locator("summary").get_by_text("More settings", exact=True)
    details = page.locator('[data-testid="stExpander"] details').filter(has=label).first
    if details.get_attribute("open") is None:
        details.locator("summary").first.click()
    return page


SECTION_TABS = (  # the lab pages' section tabs under the training area, and Look inside's place among them
    "Sample & inspect",
    "Generate & inspect",
    "Compose & listen",
    "Look inside",
    "The text",
    "The music",
    "The course's model",
    "Time-lapse & race",
    "Files & hand-in",
    "What is happening",
)


def reveal(page, locator, timeout: float = 60_000):
    """Open the section tab that holds ``locator``'s first match (drawn but hidden in a closed tab) and scroll to it."""
    target = locator.first
    target.wait_for(state="attached", timeout=timeout)
    for name in SECTION_TABS:
        if target.is_visible():
            break
        tab = page.get_by_role("tab", name=name, exact=True)
        if tab.count():
            tab.first.click()
            wait_idle(page, timeout=timeout)
    target.scroll_into_view_if_needed()
    return target


def scroll_to(locator, tries: int = 5) -> None:
    """Scroll ``locator`` into view; a rerun that redraws it meanwhile (its element replaced) is tried again."""
    for attempt in range(tries):
        try:
            locator.scroll_into_view_if_needed()
            return
        except PlaywrightError as exc:
            if "not attached" not in str(exc) or attempt == tries - 1:
                raise
            locator.page.wait_for_timeout(500)
