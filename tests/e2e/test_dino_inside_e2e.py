"""Real browser: the Dinosaur lab's temperature view, BPTT and clipping view and formula view on an
untrained and on a trained model, and "Show an explosion" caught by the guard. Screenshots in
test-artifacts/screenshots/
(dino_inside_*.png)."""

from .conftest import assert_no_exception, open_more_settings, open_tab, reveal, shot, wait_idle, wait_metric_above


def scroll_to(page, text: str) -> None:
    reveal(page, page.get_by_text(text))
    page.wait_for_timeout(400)


def test_dino_inside_views_untrained_trained_and_the_explosion(page, app_url):
    page.goto(app_url + "/dinosaurs")
    page.get_by_role("heading", name="🦕 Dinosaur names").wait_for()
    wait_idle(page)
    # untrained: the temperature view is there from the start; the BPTT view says what to do
    page.get_by_text("What temperature 1 does to the first letter of a name").wait_for()
    reveal(page, page.get_by_text("Train a few names (press Step)"))
    open_tab(page, "Sample & inspect")
    page.get_by_role("button", name="Sample names").click()
    page.get_by_role("heading", name="The formulas at this step").wait_for()
    page.locator(".katex:visible").first.wait_for()  # the formulas of the open tab (closed tabs hold others)
    assert_no_exception(page)
    scroll_to(page, "What temperature 1 does")
    shot(page, "dino_inside_temperature_untrained", full_page=False)
    scroll_to(page, "The formulas at this step")
    shot(page, "dino_inside_formula_untrained", full_page=False)

    # one step: the last name's backward pass appears
    page.get_by_role("button", name="Step", exact=True).click()
    reveal(page, page.get_by_text("Backward pass of name")).wait_for()  # in Look inside
    wait_idle(page)
    scroll_to(page, "Backpropagation through time and clipping")
    shot(page, "dino_inside_bptt_untrained", full_page=False)
    assert_no_exception(page)

    # trained: a few thousand names
    page.get_by_role("button", name="▶ Start").click()
    wait_metric_above(page, "Names trained on", 3000, timeout=120_000)
    page.get_by_role("button", name="■ Stop").click()
    wait_idle(page)
    open_tab(page, "Sample & inspect")
    page.get_by_role("button", name="Sample names").click()
    wait_idle(page)
    step = (
        page.locator('[data-testid="stSlider"]').filter(has=page.get_by_text("Step", exact=True)).get_by_role("slider")
    )
    if step.count():  # the inspector's last step: a real input and a real hidden state in the formulas
        caption = ""
        for _ in range(3):  # a rerun may redraw the slider between the focus and the key: press again
            step.first.focus()
            page.keyboard.press("End")
            page.wait_for_timeout(1500)
            wait_idle(page, timeout=60_000)
            caption = page.get_by_text("of the inspector (the course's t =").first.inner_text()
            if not caption.startswith("Step 0 "):
                break
        assert not caption.startswith("Step 0 "), caption
    reveal(page, page.get_by_text("Backward pass of name")).wait_for()  # in Look inside
    scroll_to(page, "Backpropagation through time and clipping")
    shot(page, "dino_inside_bptt_trained", full_page=False)
    scroll_to(page, "Over training: the size of all gradients")
    shot(page, "dino_inside_clip_table_trained", full_page=False)
    scroll_to(page, "What temperature 1 does")
    shot(page, "dino_inside_temperature_trained", full_page=False)
    scroll_to(page, "The formulas at this step")
    shot(page, "dino_inside_formula_trained", full_page=False)
    assert_no_exception(page)

    # temperature 0: the plain statement
    temp = (
        page.locator('[data-testid="stSlider"]')
        .filter(has_text="Temperature (0 = always the most likely letter)")
        .get_by_role("slider")
    )
    temp.focus()
    page.keyboard.press("Home")
    page.get_by_text("T = 0 always picks the most likely token").wait_for()
    wait_idle(page)
    scroll_to(page, "What temperature 0 does")
    shot(page, "dino_inside_temperature_zero", full_page=False)

    # one click: no clipping, learning rate 1, and the guard catches the explosion
    open_more_settings(page)
    page.get_by_role("button", name="💥 Show an explosion").click()
    page.get_by_text("The loss exploded at name").first.wait_for(timeout=60_000)
    wait_idle(page)
    reveal(page, page.get_by_text("the one that exploded")).wait_for()  # in Look inside
    assert_no_exception(page)
    page.get_by_text("The loss exploded at name").first.scroll_into_view_if_needed()
    shot(page, "dino_inside_explosion_caught", full_page=False)
    scroll_to(page, "Backpropagation through time and clipping")
    shot(page, "dino_inside_explosion_bptt", full_page=False)
    scroll_to(page, "Over training: the size of all gradients")
    shot(page, "dino_inside_explosion_history", full_page=False)


def test_text_temperature_view_and_explanations(page, app_url):
    page.goto(app_url + "/text")
    page.get_by_role("heading", name="📜 Text").wait_for()
    wait_idle(page, 120_000)
    page.get_by_text("What temperature 0.8 does to the first character").wait_for(timeout=120_000)
    assert_no_exception(page)
    scroll_to(page, "What temperature 0.8 does")
    shot(page, "dino_inside_text_temperature_untrained", full_page=False)
    reveal(page, page.get_by_text("Explained: SimpleRNN vs LSTM vs GRU")).click()
    page.get_by_text("SimpleRNN, LSTM, GRU.").wait_for()
    page.locator(".katex").first.wait_for()
    scroll_to(page, "SimpleRNN, LSTM, GRU.")
    shot(page, "dino_inside_text_explanations", full_page=False)
    scroll_to(page, "Nats, perplexity, bits.")
    shot(page, "dino_inside_text_explanations_params", full_page=False)
    page.get_by_role("button", name="▶ Start").click()
    wait_metric_above(page, "Step", 150, timeout=180_000)
    page.get_by_role("button", name="■ Stop").click()
    wait_idle(page)
    reveal(page, page.get_by_text("What temperature 0.8 does to the first character")).wait_for()
    assert_no_exception(page)
    scroll_to(page, "What temperature 0.8 does")
    shot(page, "dino_inside_text_temperature_trained", full_page=False)
