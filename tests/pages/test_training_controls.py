"""AppTest, training controls on the pages: the rate and accuracy shown, the memorising message in a student's words and
the
one click back to the best weights, on the Text and the Music page (tiny models; the validation losses after the
first are scripted so that validation rises clearly above its best)."""

import numpy as np
import pytest

from core.music import music_data as md
from tests.support.apptest import button, open_page, tiny_music, tiny_text, upload_text
from tests.support.inputs import make_text


def texts(at) -> str:
    return "\n".join(e.value for e in [*at.markdown, *at.caption, *at.info, *at.warning, *at.error, *at.success])


def script_validation(t, values):
    """After the real first pass, the trainer's validation reports ``values`` in turn (per token, on every batch)."""
    t.evaluate()
    state = {}

    def fake(x, y):
        return np.array([state["v"] * np.size(y), 0.3 * np.size(y)])

    t._eval_fn = fake
    for v in values:
        state["v"] = v
        t.train_steps(1)
        t.evaluate(full=True)


def memorising_then_restore(at, lab_key: str, unit: str):
    lab = at.session_state[lab_key]
    t = lab.trainer
    assert any(m.label == "Learning rate now" for m in at.metric)
    script_validation(t, [0.001, 0.2, 0.3, 0.4])  # the first is below any real loss: the best
    at.run()
    assert not at.exception, at.exception
    warn = "\n".join(w.value for w in at.warning)
    assert "memorising its training data" in warn and f"0.400 nats per {unit}" in warn and "0.001" in warn
    # the notes follow the loss chart's unit switch: in bits, each loss is its value in nats / ln 2
    at.radio(key=f"{lab_key}_y").set_value(f"bits per {unit}")
    at.run()
    assert not at.exception, at.exception
    warn = "\n".join(w.value for w in at.warning)
    assert f"rose from {0.001 / np.log(2):.3f} (step" in warn and f"to {0.4 / np.log(2):.3f} bits per {unit}" in warn
    assert "nats" not in warn and "⟦" not in warn
    best_step = t.keeper.best.step
    restore = button(at, "↩ Go back to the best weights")
    assert f"step {best_step:,}" in restore.label
    restore.click()
    at.run()
    assert not at.exception, at.exception
    assert not any("memorising" in w.value for w in at.warning)
    assert f"Back to the best weights: step {best_step:,}, validation {0.001 / np.log(2):.3f} bits per {unit}." in (
        texts(at)
    )
    at.radio(key=f"{lab_key}_y").set_value(f"nats per {unit}")
    at.run()
    assert f"Back to the best weights: step {best_step:,}, validation 0.001 nats per {unit}." in texts(at)
    assert "⟦" not in texts(at)
    for w, b in zip([v.numpy() for v in t.model.variables], t.keeper.best.weights):
        assert np.array_equal(w, b)
    assert t.events[-1] == (t.step, f"best weights (step {best_step:,})")


def test_text_page_shows_rate_accuracy_memorising_and_restores():
    at = open_page("pages/text.py")
    upload_text(at, make_text().encode())
    tiny_text(at)
    at.run()
    assert at.selectbox(key="text_schedule").value == "decay" and at.toggle(key="text_stop_best").value is False
    button(at, "Step").click()
    at.run()
    assert any(m.label == "Next-token accuracy" and m.value.endswith("%") for m in at.metric)
    assert any("the loss is the better measure" in c.value for c in at.caption)
    memorising_then_restore(at, "text", "character")
    # generation says which weights it uses
    button(at, "Generate").click()
    at.run()
    assert any("with the best weights (from step" in c.value for c in at.caption)
    # the schedule is a retune: same run
    run = at.session_state["text"].run_number
    at.selectbox(key="text_schedule").set_value("constant")
    at.run()
    assert (
        at.session_state["text"].run_number == run and at.session_state["text"].trainer.config.lr_schedule == "constant"
    )


@pytest.mark.skipif(len(md.bundled_styles()) < 1, reason="no bundled corpus in data/midi")
def test_music_page_stop_at_best_is_on_and_the_restore_works():
    at = open_page("pages/music.py")
    tiny_music(at)
    at.run()
    assert at.toggle(key="music_stop_best").value is True
    at.toggle(key="music_stop_best").set_value(False)  # the scripted rise would otherwise stop and restore by itself
    at.run()
    button(at, "Step").click()
    at.run()
    memorising_then_restore(at, "music", "value")
    button(at, "🎼 Compose").click()
    at.run()
    assert any("Composed with the best weights" in c.value for c in at.caption)
