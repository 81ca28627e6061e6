"""Real browser: axe-core (bundled by axe-playwright-python, no CDN) finds no WCAG 2.0/2.1 A or AA violation on the
home page, a lesson link, and each lab fresh, while training, after generating and on every tab (each section tab
under the training area and every tab inside one: the inspector's, Look inside's), the music scorecard, the hand-in
and Get the code sections, Streamlit's own frame included: nothing is excluded from the scan.

Screenshots at 1366×768 (a Chromebook's screen) in test-artifacts/screenshots/a11y_*.png.
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from core import palette

from .conftest import SECTION_TABS, SHOTS, assert_no_exception, open_tab, scroll_to, wait_idle, wait_refreshes

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]  # WCAG 2.0 and 2.1, levels A and AA
OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]}


@pytest.fixture
def small_page(browser):
    """A fresh session in a Chromebook-sized window."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    p = context.new_page()
    p.set_default_timeout(60_000)
    yield p
    context.close()


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        for node in v["nodes"][:8]:
            why = "; ".join(c.get("message", "") for c in node.get("any", []) + node.get("all", []))
            lines.append(f"{v['id']}: {node['target']} {why[:200]}")
    return "\n".join(lines)


def check(page, name: str) -> None:
    """Scan the whole page with axe (WCAG 2.0/2.1 A and AA) and save what it scanned; no violation may remain."""
    page.wait_for_timeout(800)  # let plotly and the page's own script finish drawing
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"a11y_{name}.png"))
    violations = Axe().run(page, options=OPTIONS).response["violations"]
    assert not violations, f"{name}: {sum(len(v['nodes']) for v in violations)} nodes\n{describe(violations)}"


def assert_focus_ring(page) -> None:
    """The element with keyboard focus has the palette's 3 px ring, at 3:1 or more on the background behind it."""
    ring = page.evaluate(
        """() => { const e = document.activeElement, s = getComputedStyle(e);
          let b = e, bg = 'rgba(0, 0, 0, 0)';
          while (b && (bg = getComputedStyle(b).backgroundColor) === 'rgba(0, 0, 0, 0)') b = b.parentElement;
          return [s.outlineStyle, s.outlineWidth, s.outlineColor, bg]; }"""
    )
    style_, width, colour, behind = ring
    assert style_ == "solid" and float(width.rstrip("px")) >= 3, ring
    assert colour == "rgb({}, {}, {})".format(*palette.rgb(palette.FOCUS)), ring
    rgb = [int(v) for v in re.findall(r"\d+", behind)[:3]] if behind.startswith("rgb(") else [255, 255, 255]
    assert palette.contrast(palette.FOCUS, palette.hex_of(*rgb)) >= 3, ring


def slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def check_tabs(page, prefix: str) -> int:
    """Open every section tab under the training area and every tab inside each (the inspector's, Look inside's),
    and scan each; returns how many were scanned."""
    scanned = 0
    for section in SECTION_TABS:
        if not page.get_by_role("tab", name=section, exact=True).count():
            continue  # not in this lab
        panel = open_tab(page, section)
        assert_no_exception(page)
        check(page, f"{prefix}_tab_{slug(section)}")
        scanned += 1
        for label in [t.inner_text().strip() for t in panel.get_by_role("tab").all() if t.is_visible()]:
            panel.get_by_role("tab", name=label, exact=True).click()
            wait_idle(page, timeout=90_000)
            assert_no_exception(page)
            check(page, f"{prefix}_tab_{slug(section)}_{slug(label)}")
            scanned += 1
    return scanned


def test_home_and_a_lesson_link(small_page, app_url):
    page = small_page
    page.goto(app_url)
    wait_idle(page)
    page.get_by_role("heading").first.wait_for()
    check(page, "home")
    for _ in range(6):  # to the sidebar's first page link: a ring the keyboard user can see
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.matches('[data-testid=\"stSidebarNavLink\"]')"):
            break
    assert_focus_ring(page)
    page.goto(app_url + "/dinosaurs?lesson=dino-from-scratch")
    page.get_by_role("heading", name="🦕 Dinosaur names").wait_for()
    wait_idle(page, timeout=90_000)
    assert_no_exception(page)
    check(page, "lesson")


def test_dinosaur_lab(small_page, app_url):
    page = small_page
    page.goto(app_url + "/dinosaurs")
    page.get_by_role("heading", name="🦕 Dinosaur names").wait_for()
    wait_idle(page)
    check(page, "dino_fresh")
    page.get_by_role("button", name="▶ Start").click()
    wait_refreshes(page, "Names trained on", 3, timeout=90_000)
    check(page, "dino_training")
    page.get_by_role("button", name="■ Stop").click()
    wait_idle(page)
    open_tab(page, "Sample & inspect").get_by_role("button", name="Sample names").click()
    wait_idle(page)
    page.get_by_role("heading", name="The formulas at this step").wait_for()
    check(page, "dino_sampled")
    assert check_tabs(page, "dino") >= 9  # five sections, the inspector's two tabs, Look inside's
    page.get_by_role("tab").first.click()
    page.keyboard.press("ArrowRight")  # the keyboard moves between tabs: the focused tab shows the ring
    assert_focus_ring(page)
    # a tablet held upright: the formulas at this step are wider than their column and scroll, by keyboard too
    page.set_viewport_size({"width": 768, "height": 1024})
    open_tab(page, "Sample & inspect")
    page.get_by_role("heading", name="The formulas at this step").scroll_into_view_if_needed()
    page.wait_for_function(
        """() => { const wide = [...document.querySelectorAll('.katex-display')]
                     .filter(e => e.scrollWidth > e.clientWidth + 1);
                   return wide.length > 0 && wide.every(e => e.getAttribute('tabindex') === '0'); }""",
        timeout=20_000,
    )
    check(page, "dino_formulas_narrow")


def test_text_lab(small_page, app_url):
    page = small_page
    page.goto(app_url + "/text")
    page.get_by_role("heading", name="📜 Text").wait_for()
    wait_idle(page, timeout=90_000)
    check(page, "text_fresh")
    hidden = page.locator('[data-testid="stSlider"]').filter(has_text="Hidden units per layer").get_by_role("slider")
    hidden.focus()
    hidden.press("Home")  # a tiny model: a few seconds of training are enough
    wait_idle(page, timeout=90_000)
    page.get_by_role("button", name="▶ Start").click()
    page.get_by_text("Sample at step").wait_for(timeout=90_000)
    wait_refreshes(page, "Step", 2, timeout=90_000)
    check(page, "text_training")
    page.get_by_role("button", name="■ Stop").click()
    wait_idle(page)
    open_tab(page, "Generate & inspect").get_by_role("button", name="Generate", exact=True).click()
    page.get_by_role("heading", name="Inspector").wait_for()
    wait_idle(page)
    check(page, "text_generated")
    assert check_tabs(page, "text") >= 10  # six sections, the inspector's two tabs, Look inside's


def test_music_lab(small_page, app_url):
    page = small_page
    page.goto(app_url + "/music")
    page.get_by_role("heading", name="🎵 Music").wait_for()
    page.get_by_role("button", name="▶ Start").wait_for(timeout=90_000)  # the first visit loads TensorFlow
    wait_idle(page, timeout=90_000)
    check(page, "music_fresh")
    page.get_by_role("button", name="▶ Start").click()
    wait_refreshes(page, "Steps", 2, timeout=90_000)
    check(page, "music_training")
    page.get_by_role("button", name="■ Stop").click()
    wait_idle(page)
    open_tab(page, "Compose & listen").get_by_role("button", name="🎼 Compose").click()
    page.get_by_role("heading", name="Inspector").wait_for(timeout=90_000)
    wait_idle(page)
    check(page, "music_composed")
    page.get_by_text("Did it learn music? The scorecard").scroll_into_view_if_needed()
    page.get_by_text("What the scorecard measures").click()  # its explanation, open
    wait_idle(page)
    check(page, "music_scorecard")
    assert check_tabs(page, "music") >= 10  # six or seven sections, the inspector's two tabs, Look inside's


def test_reduced_motion_stops_animation_and_sets_the_toggle(browser, app_url):
    """A browser that prefers reduced motion: CSS transitions end at once on the first visit, and from the next
    session (a reload) the sidebar's Reduce motion toggle starts on."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, reduced_motion="reduce")
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(app_url + "/dinosaurs")
        page.get_by_role("heading", name="🦕 Dinosaur names").wait_for()
        wait_idle(page)
        # an expander's summary animates its arrow (0.2 s, 0.15 s) when motion is not reduced
        page.wait_for_function(
            """() => { const s = document.querySelector('summary');
              return s && getComputedStyle(s).transitionDuration.split(',').every(d => parseFloat(d) < 0.01); }""",
            timeout=20_000,
        )
        page.wait_for_function("() => document.cookie.includes('rnnp_reduce_motion=1')")
        assert not page.get_by_role("switch", name="Reduce motion").is_checked()  # the first session can't know yet
        page.reload()
        page.get_by_role("heading", name="🦕 Dinosaur names").wait_for()
        wait_idle(page)
        assert page.get_by_role("switch", name="Reduce motion").is_checked()
        check(page, "reduced_motion")
    finally:
        context.close()


def test_hand_in_and_get_the_code(small_page, app_url):
    """The toolkit's sections at the end of a lab page, while training and after: the hand-in taken during training
    (its download button and caption), then Get the code with its radio and three download buttons, both ways."""
    page = small_page
    page.goto(app_url + "/dinosaurs")
    page.get_by_role("button", name="▶ Start").wait_for()
    wait_idle(page)
    page.get_by_role("button", name="▶ Start").click()
    wait_refreshes(page, "Names trained on", 2, timeout=90_000)
    open_tab(page, "Files & hand-in")
    scroll_to(page.get_by_role("heading", name="Hand in this run"))
    page.get_by_role("button", name="📸 Take the hand-in at the current step").click()
    page.get_by_role("button", name="⬇ Download the hand-in (.zip)").wait_for(timeout=90_000)
    check(page, "handin_training")
    page.get_by_role("button", name="■ Stop").click()
    wait_idle(page)
    scroll_to(page.get_by_role("heading", name="Get the code"))
    for name in ("⬇ Script (.py)", "⬇ Notebook (.ipynb)", "⬇ Everything (.zip)", "⬇ Download the hand-in (.zip)"):
        page.get_by_role("button", name=name).wait_for()
    check(page, "get_code_scratch")
    page.get_by_text("from my trained model").click()
    wait_idle(page)
    assert page.get_by_role("radio", name=re.compile("from my trained model")).is_checked()
    check(page, "get_code_trained")
    assert_no_exception(page)
