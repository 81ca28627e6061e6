"""Real browser: a view that redraws itself while the lab trains (the Dinosaur lab's backward pass) does so only in
the open tab. Closed, it keeps the name it was drawn with while the training counter moves on (its timer would take
time from training for nothing); opened, it follows the training again."""

import re

from deploy.load.labs import address

from .conftest import assert_no_exception, metric_int, open_tab, wait_idle, wait_metric_above

CAPTION = "Backward pass of name"


def _backward_name(page) -> int:
    """The name number the backward-pass view shows (read from its caption, even in a closed tab)."""
    text = page.get_by_text(CAPTION).first.text_content()
    return int(re.search(r"Backward pass of name ([\d,]+)", text).group(1).replace(",", ""))


def _wait_backward_name_above(page, before: int) -> int:
    """Wait until the backward-pass view shows a name after ``before``; returns it."""
    page.wait_for_function(
        """([text, before]) => {
            const e = [...document.querySelectorAll('p, div')].find((el) => el.innerText?.startsWith(text));
            const m = e && e.innerText.match(/Backward pass of name ([\\d,]+)/);
            return m && Number(m[1].replace(/,/g, '')) > before;
        }""",
        arg=[CAPTION, before],
        timeout=15_000,
    )
    return _backward_name(page)


def test_the_backward_pass_view_redraws_only_in_its_open_tab(page, app_url):
    page.goto(app_url + address("dinosaurs"))  # a run long enough not to end during the test
    page.get_by_role("button", name="▶ Start").wait_for(timeout=60_000)
    wait_idle(page)
    page.get_by_role("button", name="▶ Start").click()
    page.get_by_text(CAPTION).first.wait_for(state="attached", timeout=30_000)
    shown = _backward_name(page)
    trained = metric_int(page, "Names trained on")
    for _ in range(4):  # the live area redraws every second: a few redraws later ...
        trained = wait_metric_above(page, "Names trained on", trained)
    assert _backward_name(page) == shown  # ... the closed tab's view has not been redrawn
    open_tab(page, "Look inside")
    opened = _wait_backward_name_above(page, shown)  # opening the tab reruns the page
    _wait_backward_name_above(page, opened)  # and then its own timer redraws it while the lab trains
    page.get_by_role("button", name="■ Stop").click()
    wait_idle(page)
    assert_no_exception(page)
