"""Real browser: on a tiny uploaded text the Text lab's model memorises within a minute; the page says so
in a student's words, one click brings back the best weights (training pauses, the chart marks it), and
Generate says it uses the best weights."""

import re

import numpy as np

from .conftest import assert_no_exception, open_more_settings, shot, wait_idle


def tiny_text(seed: int = 0, n_chars: int = 3000) -> str:
    """~3,000 characters of made-up words (a 40-word vocabulary, 8 words a line): easy to memorise, nothing to
    generalise, so the held-out last 10% gets worse soon after the first steps."""
    rng = np.random.default_rng(seed)
    letters = list("abcdefghijklmnopqrstuvwxyz")
    words = ["".join(rng.choice(letters, size=int(rng.integers(2, 7)))) for _ in range(40)]
    text, i = "", 0
    while len(text) < n_chars:
        text += str(rng.choice(words)) + ("\n" if i % 8 == 7 else " ")
        i += 1
    return text


def test_memorising_message_and_restore_on_a_tiny_text(page, app_url, tmp_path):
    f = tmp_path / "made_up_words.txt"
    f.write_text(tiny_text(), encoding="utf-8")
    page.goto(app_url + "/text")
    page.get_by_role("heading", name="📜 Text").wait_for(timeout=60_000)
    wait_idle(page, timeout=90_000)
    page.get_by_text("Upload a .txt", exact=True).click()
    # the text's own uploader (the model zip's, in the closed "Files & hand-in" tab, is in the page too)
    drop = page.locator('[data-testid="stFileUploader"]').filter(has_text="A plain-text .txt file")
    drop = drop.locator('[data-testid="stFileUploaderDropzoneInput"]')
    drop.wait_for(state="attached")
    wait_idle(page)
    drop.set_input_files(str(f))
    page.get_by_text("Validation (last 10%)").first.wait_for(state="attached", timeout=60_000)
    wait_idle(page, timeout=90_000)
    open_more_settings(page)  # the schedule is a rarer setting
    page.get_by_text("Learning-rate schedule").first.wait_for()
    page.get_by_text("then halves every").first.wait_for()  # what the default schedule does, said under the picker
    assert_no_exception(page)

    page.get_by_role("button", name="▶ Start").click()
    warning = page.get_by_text(re.compile("The model is memorising its training data")).first
    warning.wait_for(timeout=240_000)
    restore = page.get_by_role("button", name=re.compile("Go back to the best weights"))
    restore.wait_for()
    best_step = int(re.search(r"step ([\d,]+)", restore.inner_text()).group(1).replace(",", ""))
    warning.scroll_into_view_if_needed()
    shot(page, "best_weights_memorising", full_page=False)
    text = warning.inner_text()
    assert "held-out part it has never trained on" in text and "nats per character" in text
    assert page.get_by_text("Next-token accuracy").count() >= 1 and page.get_by_text("Learning rate now").count() >= 1
    assert_no_exception(page)

    restore.click()
    page.get_by_text(re.compile("Back to the best weights: step")).first.wait_for(timeout=60_000)
    wait_idle(page, timeout=60_000)
    note = page.get_by_text(re.compile("Back to the best weights: step")).first.inner_text()
    assert f"step {best_step:,}" in note and "Training is paused" in note
    assert page.get_by_text(re.compile("The model is memorising its training data")).count() == 0
    assert page.get_by_role("button", name="▶ Start").is_enabled()  # paused: Start is offered again
    # the chart marks the restore (ui/loss_chart.py draws the trainer's events)
    page.locator('[data-testid="stPlotlyChart"]').first.get_by_text(re.compile(r"best weights \(step")).first.wait_for(
        timeout=30_000
    )
    page.get_by_text(re.compile("Back to the best weights: step")).first.scroll_into_view_if_needed()
    shot(page, "best_weights_restored", full_page=False)
    page.locator('[data-testid="stPlotlyChart"]').first.scroll_into_view_if_needed()
    shot(page, "best_weights_restored_chart", full_page=False)
    assert_no_exception(page)

    page.get_by_role("button", name="Generate", exact=True).click()
    page.get_by_text(re.compile("with the best weights \\(from step")).first.wait_for(timeout=60_000)
    assert_no_exception(page)


def scale_walk_midi(seed: int, n: int = 64) -> bytes:
    """A melody that walks the C-major scale (the same habits in every piece, different notes): a held-out piece is
    first predicted better, then worse, once the model memorises the others."""
    import io

    import pretty_midi

    rng = np.random.default_rng(seed)
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    inst = pretty_midi.Instrument(program=0)
    scale, k, t = [60, 62, 64, 65, 67, 69, 71, 72, 74, 76], 4, 0.0
    for i in range(n):
        d = 0.5 if i % 4 == 3 else 0.25
        k = int(np.clip(k + rng.choice([-1, 1, 1, -1, 2, -2]), 0, len(scale) - 1))
        inst.notes.append(pretty_midi.Note(velocity=90, pitch=scale[k], start=t, end=t + d))
        t += d
    pm.instruments.append(inst)
    buf = io.BytesIO()
    pm.write(buf)
    return buf.getvalue()


def test_music_stops_at_the_best_validation_on_a_tiny_upload(page, app_url):
    """Eight short uploaded tunes (one held out): with "Stop at the best validation" on (the default) training stops
    by itself once the model memorises, the best weights come back, and Compose says it uses them."""
    page.goto(app_url + "/music")
    page.get_by_role("heading", name="🎵 Music").wait_for(timeout=60_000)
    wait_idle(page, timeout=90_000)
    page.get_by_text("Upload MIDI files", exact=True).click()
    page.get_by_text("Upload one or more MIDI files").wait_for()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        [{"name": f"walk{i}.mid", "mimeType": "audio/midi", "buffer": scale_walk_midi(i)} for i in range(8)]
    )
    page.get_by_text("Vocabulary (distinct values)").wait_for(state="attached", timeout=60_000)  # in "The music"
    page.get_by_role("button", name="▶ Start").wait_for(timeout=90_000)
    wait_idle(page, timeout=90_000)
    open_more_settings(page)  # stop-at-best is a rarer setting
    assert page.get_by_role("switch", name="Stop at the best validation").is_checked()
    page.get_by_role("button", name="▶ Start").click()
    stopped = page.get_by_text(re.compile("Stopped at the best validation")).first
    stopped.wait_for(timeout=180_000)
    text = stopped.inner_text()
    assert "memorising its training data" in text and "are back in place" in text
    wait_idle(page, timeout=60_000)
    stopped.scroll_into_view_if_needed()
    shot(page, "best_weights_music_stopped", full_page=False)
    assert_no_exception(page)
    page.get_by_role("button", name="🎼 Compose").click()
    page.get_by_text(re.compile(r"Composed with the best weights \(from step")).first.wait_for(timeout=60_000)
    assert_no_exception(page)
