"""AppTest, the Text page as a browser gets it (ui.live._browser patched on): drawing the lab prepares its run on a
background thread (Lab.prepare_ahead: traced and warm step functions, the starting validation, the untrained model's
live sample), once per run; Start then runs the first slice in its callback, so the page drawn after the click
shows the first point, the starting validation and the prepared sample."""

import pytest

from tests.support.apptest import button, make_tiny, open_page


@pytest.fixture
def browser(monkeypatch):
    monkeypatch.setattr("ui.live._browser", lambda: True)


def prepared(lab):
    """The lab's run once its preparing thread is done."""
    lab._preparing.join(120)
    t = lab.trainer
    assert lab.prepared and lab._prepared_for is t and t._warm and t.step == 0
    assert t._val_ahead == 0 and len(t._val_cache) == len(t.val_batches())
    assert lab._ahead is not None and lab._ahead[0] is t
    return t


def test_the_text_page_prepares_each_run_and_start_shows_the_first_point(browser):
    at = open_page("pages/text.py")
    lab = at.session_state["text"]
    default = prepared(lab)  # the page's default model, prepared while the page is read
    make_tiny(at)
    t = prepared(lab)  # the tiny run that replaced it is prepared too
    assert t is not default
    sample = lab._ahead[2]
    button(at, "▶ Start").click()
    at.run()
    assert not at.exception, at.exception
    try:
        assert lab.running and t.step >= 1 and len(t.history) >= 1  # the first point, in the page after the click
        assert list(t.history.val.steps)[:1] == [0]  # the starting validation
        assert lab._ahead is None and sample.step == 0  # the first slice took the untrained model's prepared sample
        assert lab.live_sample is sample or lab.live_sample.step > 0  # (the thread may have made a newer one)
    finally:
        button(at, "■ Stop").click()
        at.run()
        at.session_state["_training_worker"].join(60)
    assert not lab.running
