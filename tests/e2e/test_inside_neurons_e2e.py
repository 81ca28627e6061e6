"""Real browser: Look inside's Neurons and Gates tabs on an untrained and a briefly trained Text model (LSTM 64 on the
bundled Shakespeare), then on the Music lab's untrained LSTM. Screenshots: inside_neurons_* in
test-artifacts/screenshots."""

import re

from playwright.sync_api import Error as PlaywrightError

from .conftest import assert_no_exception, metric_int, open_tab, shot, wait_idle, wait_metric_above

TRAIN_STEPS = 150  # a brief training run of the Text model
MUSIC_STEPS = 150  # and of the Music model


def look(page, panel, name: str) -> None:
    panel.scroll_into_view_if_needed()
    page.get_by_role("tab", name="Neurons", exact=True).scroll_into_view_if_needed()
    shot(page, name, full_page=False)


def check_neurons(page, trained: bool) -> None:
    panel = open_tab(page, "Neurons")
    panel.get_by_text("Find interesting units").wait_for(timeout=60_000)
    panel.get_by_text("untrained" if not trained else "The model at step").first.wait_for(timeout=60_000)
    assert panel.locator("span[title]").count() >= 400  # the coloured text: one span per character
    assert panel.locator('[data-testid="stDataFrame"]').count() == 2
    look(page, panel, f"inside_neurons_text_{'trained' if trained else 'untrained'}")
    assert_no_exception(page)


def check_gates(page, trained: bool) -> None:
    panel = open_tab(page, "Gates")
    panel.get_by_text("counted over").wait_for(timeout=60_000)
    panel.locator('[data-testid="stPlotlyChart"] .scatterlayer').first.wait_for()
    assert panel.get_by_text("forget gate").count() >= 1 and panel.get_by_text("output gate").count() >= 1
    look(page, panel, f"inside_gates_text_{'trained' if trained else 'untrained'}")
    assert_no_exception(page)


def test_neurons_and_gates_on_text_untrained_then_trained(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    page.get_by_role("link", name="📜 Text").first.click()
    page.get_by_role("heading", name="📜 Text").wait_for(timeout=60_000)
    wait_idle(page, timeout=90_000)
    page.get_by_text("Validation (last 10%)").first.wait_for(state="attached")  # in the tab "The text"
    hidden = page.locator('[data-testid="stSlider"]').filter(has_text="Hidden units per layer").get_by_role("slider")
    hidden.focus()
    hidden.press("Home")  # 16
    wait_idle(page, timeout=90_000)
    for _ in range(3):
        hidden.focus()
        hidden.press("ArrowRight")  # +16 each: 64 units
        wait_idle(page, timeout=90_000)
    open_tab(page, "Look inside").get_by_role("heading", name="Look inside").wait_for(timeout=90_000)
    assert_no_exception(page)

    check_neurons(page, trained=False)
    check_gates(page, trained=False)

    page.get_by_role("button", name="▶ Start").scroll_into_view_if_needed()
    page.get_by_role("button", name="▶ Start").click()
    wait_metric_above(page, "Step", TRAIN_STEPS, timeout=240_000)
    page.get_by_role("button", name="■ Stop").click()
    wait_idle(page, timeout=60_000)
    steps = metric_int(page, "Step")
    assert steps > TRAIN_STEPS

    check_neurons(page, trained=True)
    panel = page.get_by_role("tabpanel", name="Neurons")
    shown = panel.get_by_text("The model at step").first.inner_text()
    assert int(re.search(r"at step ([\d,]+)", shown).group(1).replace(",", "")) >= steps  # the weights after training
    # pick an interesting unit from the list: the pickers follow
    panel.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option").first.click()
    wait_idle(page, timeout=60_000)
    look(page, panel, "inside_neurons_text_trained_picked")
    # bad input: a character the model never saw
    box = panel.locator("textarea")
    box.fill("Hello ☃ world")
    box.press("Control+Enter")
    wait_idle(page, timeout=60_000)
    panel.get_by_text("The model has never seen these characters").wait_for()
    assert_no_exception(page)
    check_gates(page, trained=True)


def check_music(page, trained: bool) -> None:
    label = "trained" if trained else "untrained"
    panel = open_tab(page, "Neurons")
    panel.get_by_text("Find interesting units").wait_for(timeout=60_000)
    panel.get_by_text("untrained" if not trained else "The model at step").first.wait_for(timeout=60_000)
    roll = panel.locator('[data-testid="stPlotlyChart"]').first
    for attempt in range(3):  # a rerun that was still arriving can replace the chart under the scroll: find it again
        try:
            roll.locator(".barlayer").wait_for()  # the coloured piano roll
            roll.scroll_into_view_if_needed(timeout=15_000)
            break
        except PlaywrightError:
            if attempt == 2:
                raise
            wait_idle(page, timeout=60_000)
    page.mouse.wheel(0, 150)
    shot(page, f"inside_neurons_music_{label}", full_page=False)
    panel = open_tab(page, "Gates")
    panel.get_by_text("counted over").wait_for(timeout=60_000)
    look(page, panel, f"inside_gates_music_{label}")
    assert_no_exception(page)


def test_neurons_and_gates_on_music_untrained_then_trained(page, app_url):
    page.goto(app_url + "/music")
    page.get_by_role("heading", name="🎵 Music").wait_for()
    page.get_by_role("button", name="▶ Start").wait_for(timeout=90_000)
    wait_idle(page, timeout=90_000)
    check_music(page, trained=False)
    page.get_by_role("button", name="▶ Start").scroll_into_view_if_needed()
    page.get_by_role("button", name="▶ Start").click()
    wait_metric_above(page, "Steps", 0, timeout=120_000)
    # MUSIC_STEPS steps, or fewer when "Stop at the best validation" (on by default in the Music lab) ends the run
    page.wait_for_function(
        """([label, above]) => {
          const m = [...document.querySelectorAll('[data-testid="stMetric"]')]
            .find(e => e.querySelector('[data-testid="stMetricLabel"]')?.innerText.trim() === label);
          const v = m && m.querySelector('[data-testid="stMetricValue"]');
          const n = v ? parseInt(v.innerText.replace(/[^0-9]/g, ''), 10) : 0;
          const stopped = [...document.querySelectorAll('button')]
            .some(b => b.innerText.trim() === '▶ Start' && !b.disabled);
          return n > above || stopped;
        }""",
        arg=["Steps", MUSIC_STEPS],
        timeout=240_000,
    )
    stop = page.get_by_role("button", name="■ Stop")
    if stop.is_enabled():
        stop.click()
    wait_idle(page, timeout=60_000)
    assert metric_int(page, "Steps") > 0
    check_music(page, trained=True)


def test_neurons_and_gates_on_dinosaur_names(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    page.get_by_role("link", name="🦕 Dinosaur names").first.click()
    page.get_by_role("heading", name="🦕 Dinosaur names").wait_for()
    wait_idle(page)
    page.get_by_role("button", name="▶ Start").click()
    wait_metric_above(page, "Names trained on", 5000, timeout=240_000)
    page.get_by_role("button", name="■ Stop").click()
    wait_idle(page, timeout=60_000)
    panel = open_tab(page, "Neurons")
    panel.get_by_text("The model at step").first.wait_for(timeout=60_000)
    assert panel.get_by_text("The course's RNN, 50 units").count() >= 1
    assert panel.locator("span[title]").count() >= 40  # every name letter by letter, with its start mark
    look(page, panel, "inside_neurons_dino_trained")
    panel = open_tab(page, "Gates")
    panel.get_by_text("The course's RNN has no gates").wait_for()
    assert_no_exception(page)
