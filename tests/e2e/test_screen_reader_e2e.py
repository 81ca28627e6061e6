"""Real browser, read as a screen reader reads it (Playwright's ARIA snapshot): the live status line says the step
while training and changes as it trains; on a trained Dinosaur page every chart is a named figure right before a
paragraph that names it and gives its numbers (its caption); a stop's reason reaches the status line;
the loss chart's "Show the numbers", opened by the keyboard, holds a table of its lines."""

import re

from .conftest import assert_no_exception, open_tab, shot, wait_idle

STATUS = '[role="status"][aria-live="polite"].rnnp-status'


def _status(page) -> str:
    return page.locator(STATUS).first.inner_text().strip()


def test_progress_is_announced_and_every_chart_is_named_and_summarised(page, app_url):
    page.goto(app_url + "/dinosaurs")
    page.get_by_role("button", name="▶ Start").wait_for(timeout=60_000)
    wait_idle(page)
    page.get_by_role("button", name="▶ Start").click()
    page.wait_for_function(
        "s => (document.querySelector(s)?.textContent || '').startsWith('Training: iteration')", arg=STATUS
    )
    first = _status(page)
    assert re.fullmatch(r"Training: iteration [0-9,]+, loss [0-9.]+ nats per name\.", first), first
    # the line changes while training (every few seconds, not at every refresh)
    page.wait_for_function("([s, t]) => document.querySelector(s).textContent.trim() !== t", arg=[STATUS, first])
    second = _status(page)
    assert second.startswith("Training: iteration ") and second != first
    assert int(re.search(r"iteration ([0-9,]+)", second).group(1).replace(",", "")) > int(
        re.search(r"iteration ([0-9,]+)", first).group(1).replace(",", "")
    ), (first, second)
    page.get_by_role("button", name="■ Stop").click()
    wait_idle(page)
    open_tab(page, "Sample & inspect").get_by_role("button", name="Sample names").click()
    page.get_by_text("are new (not in the training list)").wait_for()
    page.locator('[data-testid="stPlotlyChart"] .barlayer').first.wait_for()
    wait_idle(page)

    snapshot = page.locator("body").aria_snapshot().replace("''", "'")  # YAML doubles a quote in quotes
    names = [
        n
        for n in page.locator('[data-testid="stPlotlyChart"]').evaluate_all(
            "els => els.filter(e => e.checkVisibility()).map(e => e.getAttribute('aria-label'))"
        )
    ]
    assert names and all(names), names  # every shown chart (not one in a hidden tab) has an accessible name
    for name in ("Loss chart", "Temperature chart", "Inspector: one step's probabilities"):
        assert name in names, names
    for name in names:
        near = snapshot[snapshot.find(name) - 300 : snapshot.find(name) + 500]
        assert re.search(r"figure \"" + re.escape(name) + r'"', snapshot), near
        said = re.search(r'strong: "?' + re.escape(f"{name}.") + r'"?\n\s*- text: (.+)', snapshot)
        assert said and re.search(r"[0-9]", said.group(1)), near  # a summary with its numbers just after
        assert snapshot.find(said.group(1)) > snapshot.find(f'figure "{name}"')
        # the figure is its name alone: no tick labels or hover numbers read out of context inside it
        inside = page.get_by_role("figure", name=name, exact=True).first.aria_snapshot().strip()
        assert re.fullmatch(r"- '?figure \"[^\n]+\"'?", inside), inside
    loss = re.search(r'Loss chart\.\n\s*- text: "?(Loss in nats per name: .+)', snapshot).group(1)
    assert "at iteration" in loss and "baselines" in loss, loss
    shot(page, "screen_reader_dino")
    # the loss chart's numbers, made when its "Show the numbers" opens (by the keyboard): a table of its lines
    numbers = page.locator('[data-testid="stExpander"]').filter(has=page.get_by_text("Show the numbers")).first
    numbers.locator("summary").focus()
    page.keyboard.press("Enter")
    table = numbers.get_by_role("table")
    table.wait_for(timeout=30_000)
    head = table.get_by_role("columnheader").all_inner_texts()
    assert head[:3] == ["series", "iteration (names)", "loss (nats per name)"], head
    assert table.get_by_role("row").count() > 10 and re.search(r"smoothed loss \(course\)", table.inner_text())
    assert_no_exception(page)
