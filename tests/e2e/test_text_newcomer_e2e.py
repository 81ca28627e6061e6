"""A newcomer: Shakespeare, LSTM 384 (the defaults), Start, and within a minute the validation loss
falls and the samples have real words and speaker names: the live samples during the minute, and a longer
sample from the Generate button right after it.

The page checks every live sample against the training text (core.text.lexicon): the share of its words that
occur in the text, and the speaker names from the plays it used. This test reads those lines as a student
would, over the minute. The screenshot (text_newcomer.png) shows the last sample, for a person to read.
"""

import re
import time

from core.models.keras_model import RNNConfig

from .conftest import SHOTS, assert_no_exception, shot, wait_idle

CHECK = re.compile(r"(\d+)% real words.*?(?:Speaker names from the text: (.+?)\.)?$", re.S)


def metric_value(page, label: str) -> str:
    m = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(rf"^{re.escape(label)}$"))
    )
    return m.first.locator('[data-testid="stMetricValue"]').inner_text()


def live_sample(page) -> tuple[int, str] | None:
    """(step, check line) of the live sample shown, read in one go (the page refreshes under the test), or
    None before the first sample."""
    got = page.evaluate(
        """() => {
            const head = [...document.querySelectorAll('[data-testid="stMarkdown"]')]
                .find(e => e.innerText.startsWith('Sample at step'));
            const check = [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
                .find(e => /real words|No complete words/.test(e.innerText));
            return head && check ? [head.innerText, check.innerText] : null;
        }"""
    )
    if not got:
        return None
    step = re.search(r"Sample at step ([\d,]+)", got[0])
    return (int(step.group(1).replace(",", "")), got[1]) if step else None


def test_shakespeare_at_the_defaults_learns_within_a_minute(page, app_url):
    page.goto(app_url + "/text")
    page.get_by_role("heading", name="📜 Text").wait_for(timeout=60_000)
    wait_idle(page, timeout=60_000)
    # in the tab "The text", drawn once the model is built (the first visit also loads TensorFlow)
    page.get_by_text("Validation (last 10%)").first.wait_for(state="attached", timeout=120_000)
    page.get_by_role("button", name="▶ Start").click()
    t_start = time.monotonic()
    # the first validation point is the untrained model (about ln 66 ≈ 4.2 nats per character)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=\"stMetric\"]')].some(m => "
        "m.innerText.includes('Validation loss') && /\\d/.test(m.innerText))",
        timeout=60_000,
    )
    start = float(metric_value(page, "Validation loss"))
    samples: dict[int, str] = {}  # step -> check line, every live sample seen in the minute
    while time.monotonic() - t_start < 60:
        seen = live_sample(page)
        if seen:
            samples[seen[0]] = seen[1]
        page.wait_for_timeout(500)
    end = float(metric_value(page, "Validation loss"))
    last_step, last_check = live_sample(page)
    last_text = page.locator(
        '[data-testid="stCode"]'
    ).first.inner_text()  # the live sample is the page's first code block
    page.get_by_text("Sample at step").first.scroll_into_view_if_needed()
    shot(page, "text_newcomer", full_page=False)
    (SHOTS / "text_newcomer_samples.txt").write_text(  # what the test read, for a person to check
        f"validation loss {start} -> {end}\n\n"
        + "".join(f"step {k}: {v}\n" for k, v in samples.items())
        + f"\nlast sample (step {last_step}):\n{last_text}\n{last_check}\n",
        encoding="utf-8",
    )
    label = f"LSTM {RNNConfig().hidden}"
    assert page.get_by_text(re.compile(label)).count() >= 1  # the run's label: the defaults
    page.get_by_role("button", name="■ Stop").click()

    assert start > 3.5, start
    assert end < 2.2 and end < start - 1.5, (start, end)  # a minute on 2 cores: well past the speaker-layout stage
    assert len(samples) >= 5, samples  # samples keep coming while it trains
    real = {h: int(m.group(1)) for h, c in samples.items() if (m := CHECK.search(c))}
    assert real[min(real)] < 35, real  # the untrained model's first sample is gibberish ...
    assert max(real[h] for h in sorted(real)[-3:]) >= 50, real  # ... the last ones are mostly real words
    assert any("speaker line" in c or "Speaker names" in c for c in samples.values()), (
        samples
    )  # the plays' layout: "Name:" lines
    # ... and a longer sample from the Generate button, as a student would press next
    wait_idle(page)
    page.get_by_label("Characters to generate").fill("2000")
    page.get_by_label("Characters to generate").press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Generate", exact=True).click()
    generated = page.locator('[data-testid="stCaptionContainer"]', has_text=re.compile(r"real words")).nth(1)
    generated.wait_for(timeout=60_000)
    gen_check = generated.inner_text()
    generated.scroll_into_view_if_needed()
    shot(page, "text_newcomer_generate", full_page=False)
    with (SHOTS / "text_newcomer_samples.txt").open("a", encoding="utf-8") as f:
        f.write(f"\n2000 characters from Generate:\n{gen_check}\n")
    m = CHECK.search(gen_check)
    assert m and int(m.group(1)) >= 50, gen_check  # most words of a long sample are real
    # speakers: real names of the plays (Brutus, Sir Toby, ...) usually appear by now (after ~250-400 steps of
    # 64 x 50 characters, about this minute on 2 cores); speaker lines ("Name:") always do
    assert m.group(2) or re.search(r"(\d+) speaker line", gen_check), gen_check
    assert_no_exception(page)
