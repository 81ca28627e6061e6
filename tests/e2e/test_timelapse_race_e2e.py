"""Real browser: scrub the Dinosaur lab's time-lapse and see its samples change, also while it trains; race three Text
cells and see one chart with three lines and three samples."""

import re
from itertools import pairwise

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .conftest import assert_no_exception, open_tab, shot, wait_idle, wait_refreshes


def _expander(page, title: str):
    # the race's end reruns the whole page (ui/live.py), which can be drawing the tab bar again just then: wait for the
    # tab before open_tab looks whether it is there
    page.get_by_role("tab", name="Time-lapse & race", exact=True).wait_for(timeout=60_000)
    open_tab(page, "Time-lapse & race")
    return page.locator('[data-testid="stExpander"]').filter(has_text=title)


def move(page, slider, key: str) -> None:
    """Press Home or End on a slider until it shows its end (a refresh that lands meanwhile can drop a key press)."""
    for _ in range(3):
        slider.focus()
        slider.press(key)
        wait_idle(page)
        page.wait_for_timeout(500)
        wait_idle(page)
        value = slider.get_attribute("aria-valuetext")
        if (value == "0") == (key == "Home"):
            return


def test_dino_time_lapse_scrubs(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    page.get_by_role("link", name="🦕 Dinosaur names").first.click()
    page.get_by_role("heading", name="🦕 Dinosaur names").wait_for()
    wait_idle(page)
    page.get_by_role("button", name="▶ Start").click()
    wait_refreshes(page, "Names trained on", 3)
    page.get_by_role("button", name="■ Stop").click()
    wait_idle(page)
    page.wait_for_timeout(1500)  # a refresh that was under way when Stop was pressed lands
    wait_idle(page)

    lapse = _expander(page, "Time-lapse")
    lapse.get_by_text("⏪ Time-lapse").click()
    lapse.get_by_text("At most 30 snapshots").wait_for()
    slider = lapse.get_by_role("slider").first
    move(page, slider, "End")
    lapse.get_by_text("(the live model)").wait_for()
    trained = lapse.inner_text()
    lapse.scroll_into_view_if_needed()
    shot(page, "timelapse_dino_latest", full_page=False)

    move(page, slider, "Home")
    assert slider.get_attribute("aria-valuetext") == "0"
    lapse.get_by_text("Step 0 of").wait_for()
    untrained = lapse.inner_text()
    lapse.scroll_into_view_if_needed()
    shot(page, "timelapse_dino_step0", full_page=False)
    assert trained != untrained

    # the samples themselves changed, not only the step line
    def pick(text: str) -> list[str]:
        return [ln for ln in text.splitlines() if "·" in ln and "Step" not in ln and "snapshots" not in ln]

    assert pick(trained) != pick(untrained), (pick(trained), pick(untrained))
    assert lapse.get_by_text("Its probability").count() >= 1  # the inspector at that step
    assert_no_exception(page)


def _step_line(lapse) -> tuple[int, int]:
    """(chosen step, live step) of the time-lapse's "Step k of n" line."""
    line = lapse.locator('[data-testid="stMarkdownContainer"]').filter(has_text=re.compile(r"Step [\d,]+ of"))
    text = line.first.inner_text()
    k, n = re.search(r"Step ([\d,]+) of ([\d,]+)", text).groups()
    return int(k.replace(",", "")), int(n.replace(",", ""))


def test_dino_time_lapse_keeps_its_step_while_training(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    page.get_by_role("link", name="🦕 Dinosaur names").first.click()
    page.get_by_role("heading", name="🦕 Dinosaur names").wait_for()
    wait_idle(page)
    page.get_by_role("button", name="▶ Start").click()
    wait_refreshes(page, "Names trained on", 2)
    lapse = _expander(page, "Time-lapse")
    lapse.get_by_text("⏪ Time-lapse").click()
    lapse.get_by_text("At most 30 snapshots").wait_for()
    slider = lapse.get_by_role("slider").first
    slider.wait_for()
    for _ in range(5):  # a refresh that lands meanwhile can drop a key press
        slider.focus()
        slider.press("Home")
        try:
            page.wait_for_function(
                "(s) => s.getAttribute('aria-valuetext') === '0'", arg=slider.element_handle(), timeout=5_000
            )
            break
        except PlaywrightTimeout:  # pressed again
            pass
    lapse.get_by_text("Step 0 of").wait_for()
    seen = [_step_line(lapse)]
    for _ in range(3):  # training goes on: the line follows the live step, the slider stays where the student put it
        wait_refreshes(page, "Names trained on", 2)
        page.wait_for_function(
            "([n]) => [...document.querySelectorAll('[data-testid=\"stMarkdownContainer\"]')].some(e => {"
            " const m = e.innerText.match(/Step 0 of ([\\d,]+)/); return m && parseInt(m[1].replace(/,/g, '')) > n; })",
            arg=[seen[-1][1]],
            timeout=30_000,
        )
        seen.append(_step_line(lapse))
        assert slider.get_attribute("aria-valuetext") == "0"
    assert [k for k, _ in seen] == [0] * len(seen)
    assert all(a[1] < b[1] for a, b in pairwise(seen)), seen
    lapse.scroll_into_view_if_needed()
    shot(page, "timelapse_dino_while_training", full_page=False)
    page.get_by_role("button", name="■ Stop").click()
    wait_idle(page)
    assert_no_exception(page)


def test_text_race_of_three_cells(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    page.get_by_role("link", name="📜 Text").first.click()
    page.get_by_role("heading", name="📜 Text").wait_for(timeout=60_000)
    wait_idle(page, timeout=60_000)
    page.get_by_text("Dinosaur names (bundled)").click()
    wait_idle(page, timeout=60_000)
    hidden = page.locator('[data-testid="stSlider"]').filter(has_text="Hidden units per layer").get_by_role("slider")
    hidden.focus()
    hidden.press("Home")  # hidden 16: three tiny models
    wait_idle(page, timeout=60_000)

    race = _expander(page, "Architecture race")
    race.get_by_text("🏁 Architecture race").click()
    secs = race.locator('[data-testid="stSlider"]').filter(has_text="Seconds of training each").get_by_role("slider")
    secs.focus()
    secs.press("Home")  # 5 s each
    wait_idle(page)
    race.get_by_role("button", name="🏁 Start race").click()
    race.get_by_text("Race finished").first.wait_for(timeout=180_000)
    wait_idle(page, timeout=60_000)
    race = _expander(page, "Architecture race")
    chart = race.locator('[data-testid="stPlotlyChart"]').first
    chart.scroll_into_view_if_needed()
    chart.locator(".scatterlayer .trace").nth(2).wait_for(timeout=60_000)  # drawn a moment after the page settles
    shot(page, "race_text_chart", full_page=False)
    assert chart.locator(".scatterlayer .trace").count() == 3  # one chart, a line per cell
    legend = chart.locator(".legendtext").evaluate_all("els => els.map(e => e.textContent)")
    assert sorted(t.split(" · ")[0] for t in legend) == ["GRU 16", "LSTM 16", "SimpleRNN 16"], legend
    assert race.locator('[data-testid="stCode"]').count() == 3  # a sample each
    race.get_by_text("Samples at the end of the race").scroll_into_view_if_needed()
    shot(page, "race_text_samples", full_page=False)
    assert_no_exception(page)
