"""Real browser at a Chromebook's, a tablet's and a phone's size.

At 1366×768, in every lab, Start and the live loss chart are inside the first screen without scrolling, while
training, and so are the live samples of the Dinosaur and Text labs (above their charts: a trained model's sample,
which has more lines than an untrained one's); the Music lab has none. At 768×1024 and 390×844, after Start, Start
and the whole loss chart fit on one screen (scrolled to Start, the chart ends inside the screen), no button's label
is cut (wider than its box, or ending in an ellipsis), no metric's label is cut, and the page does not scroll
sideways.
Screenshots of each lab at each size go to test-artifacts/screenshots/layout_*.
"""

import re

import pytest

from .conftest import assert_no_exception, shot, wait_idle, wait_refreshes

LAPTOP = {"width": 1366, "height": 768}
SMALL = {"tablet": {"width": 768, "height": 1024}, "phone": {"width": 390, "height": 844}}
LABS = {  # page -> (the counter the live area shows, the live sample's bold heading)
    "dinosaurs": ("Names trained on", "Samples at iteration"),
    "text": ("Step", "Sample at step"),
    "music": ("Steps", None),
}

CUT = """
() => {
  const cut = (el) => {
    const s = getComputedStyle(el);
    return el.scrollWidth > el.clientWidth + 1 || (s.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth);
  };
  const out = [];
  const seen = (el) => el.offsetParent !== null && el.getClientRects().length > 0;
  for (const b of document.querySelectorAll('button')) {
    if (!seen(b) || !(b.innerText || '').trim()) continue;
    for (const el of [b, ...b.querySelectorAll('*')]) {
      if (cut(el)) { out.push('button ' + b.innerText.trim()); break; }
    }
  }
  for (const m of document.querySelectorAll('[data-testid="stMetricLabel"]')) {
    if (!seen(m)) continue;
    for (const el of [m, ...m.querySelectorAll('*')]) {
      if (cut(el)) { out.push('metric ' + m.innerText.trim()); break; }
    }
  }
  return out;
}
"""
AFTER = """
(text) => {
  const b = [...document.querySelectorAll('strong')].find((s) => s.innerText.includes(text));
  const next = b && b.closest('[data-testid="stElementContainer"]').nextElementSibling;
  if (!next) return null;
  const r = next.getBoundingClientRect();
  return [r.top, r.bottom, next.innerText];
}
"""  # the top, bottom and text of the element after the live sample's heading
SIDEWAYS = "() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1"


def _open(page, app_url, path: str) -> None:
    page.goto(f"{app_url}/{path}")
    page.get_by_role("button", name="▶ Start").wait_for(timeout=120_000)  # a Keras lab's first visit loads TensorFlow
    wait_idle(page, timeout=120_000)
    assert_no_exception(page)


def _in_view(page, locator, what: str) -> None:
    box = locator.bounding_box()
    assert box is not None, f"{what} is not drawn"
    assert box["y"] >= 0 and box["y"] + box["height"] <= LAPTOP["height"], f"{what} is not on the first screen: {box}"


@pytest.mark.parametrize("path", list(LABS))
def test_first_screen_holds_start_chart_and_sample(browser, app_url, path):
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        _open(page, app_url, path)
        if path == "text":  # the smallest model, so a live sample comes within seconds
            hidden = page.locator('[data-testid="stSlider"]').filter(has_text="Hidden units").get_by_role("slider")
            hidden.focus()
            hidden.press("Home")
            wait_idle(page, timeout=60_000)
        counter, sample = LABS[path]
        page.get_by_role("button", name="▶ Start").click()
        page.get_by_role("figure", name="Loss chart").locator(".scatterlayer .trace").first.wait_for(timeout=90_000)
        if sample:  # a sample of a model that has trained (its step is not 0)
            page.locator("strong", has_text=re.compile(rf"^{sample} [1-9]")).first.wait_for(timeout=90_000)
        wait_refreshes(page, counter, 2)
        page.get_by_role("button", name="■ Stop").click()
        wait_idle(page, timeout=60_000)
        page.evaluate("() => window.scrollTo(0, 0)")
        shot(page, f"layout_{path}_laptop", full_page=False)
        _in_view(page, page.get_by_role("button", name="▶ Start"), "Start")
        _in_view(page, page.get_by_role("figure", name="Loss chart"), "the loss chart")
        if sample:
            _in_view(page, page.locator("strong", has_text=sample).first, "the live sample's heading")
            names = page.evaluate(AFTER, sample)  # the names under the heading
            assert names is not None and names[1] <= LAPTOP["height"], (
                f"the sampled names are below the screen: {names}"
            )
        assert_no_exception(page)
    finally:
        context.close()


@pytest.mark.parametrize("size", list(SMALL))
@pytest.mark.parametrize("path", list(LABS))
def test_small_screens_cut_nothing(browser, app_url, path, size):
    context = browser.new_context(viewport=SMALL[size])
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        _open(page, app_url, path)
        chart = page.get_by_role("figure", name="Loss chart")
        start = page.get_by_role("button", name="▶ Start")
        start.click()
        chart.locator(".scatterlayer .trace").first.wait_for(timeout=90_000)
        sample = LABS[path][1]
        if sample:  # the live sample is drawn above the chart: it must not push the chart off
            page.locator("strong", has_text=sample).first.wait_for(timeout=90_000)
        page.get_by_role("button", name="■ Stop").click()
        wait_idle(page, timeout=60_000)
        header = page.locator('[data-testid="stHeader"]').bounding_box()  # fixed at the top, over the page
        room = SMALL[size]["height"] - header["y"] - header["height"]
        start.evaluate("(el) => el.scrollIntoView({block: 'start'})")
        page.mouse.wheel(0, -(header["y"] + header["height"]))  # Start just under the header
        page.wait_for_timeout(300)
        top, box = start.bounding_box(), chart.bounding_box()
        shot(page, f"layout_{path}_{size}", full_page=False)
        assert box["y"] + box["height"] - top["y"] <= room, (
            f"Start and the chart are not on one screen under the header ({room:.0f} px): Start {top}, chart {box}"
        )
        assert page.evaluate(CUT) == [], "labels cut off"
        assert not page.evaluate(SIDEWAYS), "the page scrolls sideways"
        assert_no_exception(page)
    finally:
        context.close()
