"""Real browser: Look inside's Influence and How far back tabs on an untrained and a briefly trained model, in the
Dinosaur lab (sampled names) and the Text lab (a typed text, then generated text; SimpleRNN vs LSTM curves overlaid).
Screenshots: inside_influence_* in test-artifacts/screenshots."""

import re

from .conftest import assert_no_exception, open_tab, scroll_to, shot, wait_idle, wait_metric_above

SHADED = "span[title*='of the largest']"  # one span per earlier token in the coloured text


def look(page, panel, name: str, at=None) -> None:
    """A screenshot of the view: from the Look inside heading, or with ``at`` (a locator) at the bottom of the
    window."""
    if at is None:
        scroll_to(page.get_by_role("heading", name="Look inside"))
    else:
        at.evaluate("e => e.scrollIntoView({block: 'end'})")
        page.wait_for_timeout(300)
    shot(page, name, full_page=False)


def measure(page, panel, lines: int) -> None:
    panel.get_by_role("button", name="📏 Measure the current model").click()
    wait_idle(page, timeout=90_000)
    panel.get_by_text("back moves the prediction").wait_for(timeout=60_000)
    chart = panel.locator('[data-testid="stPlotlyChart"]').first
    chart.locator(".scatterlayer .trace").nth(lines - 1).wait_for()
    assert chart.locator(".scatterlayer .trace").count() == lines


def test_dino_influence_untrained_then_trained(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    page.get_by_role("link", name="🦕 Dinosaur names").first.click()
    page.get_by_role("heading", name="🦕 Dinosaur names").wait_for()
    wait_idle(page)
    panel = open_tab(page, "Influence")
    panel.get_by_text("Press Sample names in the tab “Sample & inspect”").wait_for()  # nothing sampled yet: a message
    for trained in (False, True):
        if trained:
            page.get_by_role("button", name="▶ Start").click()
            wait_metric_above(page, "Names trained on", 3000, timeout=120_000)
            page.get_by_role("button", name="■ Stop").click()
            wait_idle(page)
        open_tab(page, "Sample & inspect").get_by_role("button", name="Sample names").click()
        wait_idle(page, timeout=60_000)
        panel = open_tab(page, "Influence")
        panel.get_by_text("Reading guide").wait_for()
        assert panel.locator(SHADED).count() >= 1  # the start (and the letters before the last one) are shaded
        assert panel.get_by_text("⟨start⟩").count() >= 1
        look(page, panel, f"inside_influence_dino_{'trained' if trained else 'untrained'}")
        assert_no_exception(page)
        panel = open_tab(page, "How far back")
        measure(page, panel, 1)  # the same run: its curve is replaced, not added
        look(page, panel, f"inside_distance_dino_{'trained' if trained else 'untrained'}")
        assert_no_exception(page)


def test_text_influence_typed_generated_and_curves(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    page.get_by_role("link", name="📜 Text").first.click()
    page.get_by_role("heading", name="📜 Text").wait_for(timeout=60_000)
    wait_idle(page, timeout=90_000)
    hidden = page.locator('[data-testid="stSlider"]').filter(has_text="Hidden units per layer").get_by_role("slider")
    hidden.focus()
    hidden.press("Home")  # 16 units: quick to train
    wait_idle(page, timeout=90_000)
    assert_no_exception(page)

    # untrained: a typed text, bad input first
    panel = open_tab(page, "Influence")
    panel.get_by_text("A text I type or paste").click()
    wait_idle(page)
    box = panel.get_by_role("textbox")
    box.fill("ROMEO§")
    box.press("Control+Enter")
    wait_idle(page)
    panel.get_by_text("never seen").wait_for()
    box.fill("ROMEO:\nBut soft, what light through yonder window breaks?")
    box.press("Control+Enter")
    wait_idle(page)
    panel.get_by_text("Reading guide").wait_for()
    assert panel.locator(SHADED).count() == len("ROMEO:\nBut soft, what light through yonder window breaks")
    look(page, panel, "inside_influence_text_typed_untrained")
    assert_no_exception(page)
    panel = open_tab(page, "How far back")
    measure(page, panel, 1)
    look(page, panel, "inside_distance_text_untrained")

    # briefly trained, then the generated text
    page.get_by_role("button", name="▶ Start").click()
    wait_metric_above(page, "Step", 60, timeout=120_000)
    page.get_by_role("button", name="■ Stop").click()
    wait_idle(page)
    open_tab(page, "Generate & inspect").get_by_role("button", name="Generate", exact=True).click()
    wait_idle(page, timeout=60_000)
    panel = open_tab(page, "Influence")
    panel.get_by_text("The generated text").click()
    wait_idle(page, timeout=60_000)
    panel.get_by_text("comes first").wait_for(timeout=60_000)  # the generated text's view, not the typed one's
    assert panel.locator(SHADED).count() >= 400  # 500 characters generated: every earlier one shaded
    look(page, panel, "inside_influence_text_generated_trained", at=panel.get_by_text("Reading guide"))
    assert_no_exception(page)
    panel = open_tab(page, "How far back")
    measure(page, panel, 1)

    # another cell of the same size: a new run, both curves on the chart
    cell = page.locator('[data-testid="stSelectbox"]').filter(has=page.locator("label", has_text=re.compile(r"^Cell$")))
    cell.scroll_into_view_if_needed()
    box = cell.locator("input")
    box.click()
    box.fill("SimpleRNN")  # the selectbox filters its options as one types
    box.press("Enter")
    wait_idle(page, timeout=90_000)
    page.get_by_text("Started a new run").first.wait_for()
    panel = open_tab(page, "How far back")
    measure(page, panel, 2)
    look(page, panel, "inside_distance_text_two_runs")
    assert_no_exception(page)


def test_music_influence_roll_untrained_then_trained(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    page.get_by_role("link", name="🎵 Music").first.click()
    page.get_by_role("heading", name="🎵 Music").wait_for()
    page.get_by_role("button", name="▶ Start").wait_for(timeout=90_000)  # the first visit loads TensorFlow
    wait_idle(page, timeout=90_000)
    for trained in (False, True):
        if trained:
            page.get_by_role("button", name="▶ Start").click()
            wait_metric_above(page, "Steps", 40, timeout=120_000)
            page.get_by_role("button", name="■ Stop").click()
            wait_idle(page)
        open_tab(page, "Compose & listen").get_by_role("button", name="🎼 Compose").click()
        page.get_by_text("Did it learn music? The scorecard").wait_for(timeout=60_000)
        wait_idle(page, timeout=60_000)
        panel = open_tab(page, "Influence")
        panel.get_by_text("Reading guide").wait_for()
        roll = panel.locator('[data-testid="stPlotlyChart"]').first
        roll.locator(".barlayer").first.wait_for()
        assert panel.get_by_text("What the prediction of value").count() >= 1
        look(page, panel, f"inside_influence_music_{'trained' if trained else 'untrained'}")
        assert_no_exception(page)
    panel = open_tab(page, "How far back")
    measure(page, panel, 1)
    look(page, panel, "inside_distance_music_trained")
    assert_no_exception(page)
