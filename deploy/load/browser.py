"""Driving Chromium tabs (Playwright): open a lab's page, press Start, record every counter value the tab draws
(a MutationObserver) on this process's clock, time a fresh home page load."""

from __future__ import annotations

import re
import time

from deploy.load.labs import LABS, address

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]


def read_counter(page, label: str) -> int | None:
    """The integer shown by the st.metric called `label` (None if not on screen yet)."""
    loc = page.locator('[data-testid="stMetric"]').filter(has_text=label).locator('[data-testid="stMetricValue"]')
    if loc.count() == 0:
        return None
    digits = re.sub(r"[^0-9]", "", loc.first.inner_text())
    return int(digits) if digits else None


GAP_OBSERVER_JS = """(label) => {
  window.__rnnpTimes = [];
  let last = null;
  const read = () => {
    for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
      const l = m.querySelector('[data-testid="stMetricLabel"]');
      if (l && l.innerText.trim() === label) return m.querySelector('[data-testid="stMetricValue"]').innerText;
    }
    return null;
  };
  new MutationObserver(() => {
    const v = read();
    if (v !== null && v !== last) { last = v; window.__rnnpTimes.push([performance.now() / 1000, v]); }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def open_lab_page(browser, url: str, lab: str, timeout_ms: float):
    """A Chromium tab on the lab, its page loaded and idle (Start not pressed yet)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(timeout_ms)
    page.goto(url + address(lab))
    page.get_by_role("button", name="▶ Start").wait_for()
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
    return page


def start_tab(page, lab: str):
    """Press Start and observe the counter; returns (page, replica)."""
    page.get_by_role("button", name="▶ Start").click()
    page.evaluate(GAP_OBSERVER_JS, LABS[lab]["counter"])
    replica = next((c["value"] for c in page.context.cookies() if c["name"] == "RNNP_SRV"), "?")
    return page, replica


def open_tab(browser, url: str, lab: str, timeout_ms: float):
    """A Chromium tab on the lab with training started and the counter observed; returns (page, replica)."""
    return start_tab(open_lab_page(browser, url, lab, timeout_ms), lab)


def tab_updates(page, offset: float) -> list[tuple[float, int]]:
    """The counter values the tab drew, with times on this process's perf_counter clock (offset: page - ours)."""
    out = []
    for t, text in page.evaluate("() => window.__rnnpTimes || []"):
        digits = re.sub(r"[^0-9]", "", text)
        if digits:
            out.append((t - offset, int(digits)))
    return out


def clock_offset(page) -> float:
    """performance.now() of the page minus perf_counter() here, in seconds (to within a round trip)."""
    t0 = time.perf_counter()
    now = page.evaluate("() => performance.now() / 1000")
    t1 = time.perf_counter()
    return now - (t0 + t1) / 2


def home_load(browser, url: str) -> float:
    ctx = browser.new_context()
    try:
        p = ctx.new_page()
        t0 = time.perf_counter()
        p.goto(url)
        p.get_by_role("heading", name="RNN Playground").wait_for(timeout=180_000)
        return time.perf_counter() - t0
    finally:
        ctx.close()
