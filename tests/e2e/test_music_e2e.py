"""Real browser: open the Music lab, train a few seconds, compose, see the piano roll, hear it, download the .mid."""

from pathlib import Path

from .conftest import assert_no_exception, open_tab, reveal, shot, wait_idle, wait_refreshes

STEPS_ABOVE_ZERO = """() => {
  const m = [...document.querySelectorAll('[data-testid="stMetric"]')].find(e => e.innerText.startsWith('Steps'));
  if (!m) return false;
  const n = parseInt(m.innerText.split('\\n').pop().replace(/,/g, ''), 10);
  return n > 0;
}"""


def test_music_lab_trains_composes_plays_and_downloads(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    page.get_by_role("link", name="🎵 Music").first.click()
    page.get_by_role("heading", name="🎵 Music").wait_for()
    page.get_by_role("button", name="▶ Start").wait_for(timeout=90_000)  # the first visit loads TensorFlow
    wait_idle(page, timeout=90_000)
    corpus = open_tab(page, "The music")
    corpus.get_by_text("Vocabulary (distinct values)").wait_for()
    assert corpus.locator("audio").count() >= 1  # a corpus piece to listen to
    # the temperature view beside the Compose slider, on the untrained model
    compose = open_tab(page, "Compose & listen")
    temp_view = compose.get_by_text("What temperature 1 does to the first value (from silence)")
    temp_view.wait_for()
    temp_view.scroll_into_view_if_needed()
    shot(page, "music_temperature_untrained", full_page=False)

    page.get_by_role("button", name="▶ Start").click()
    page.wait_for_function(STEPS_ABOVE_ZERO, timeout=60_000)  # the live fragment trains in slices
    wait_refreshes(page, "Steps", 3)
    shot(page, "music_training")
    page.get_by_role("button", name="■ Stop").click()
    wait_idle(page)
    # the full rerun after Stop redraws the view (it is outside the live fragment) with the trained model
    page.wait_for_function(
        "() => [...document.querySelectorAll('button')].some(b => b.innerText.trim() === '▶ Start' && !b.disabled)"
    )
    wait_idle(page)
    temp_view = compose.get_by_text("What temperature 1 does to the first value (from silence)")
    temp_view.scroll_into_view_if_needed()
    shot(page, "music_temperature_trained", full_page=False)  # the same view after training: a sharper distribution

    compose.get_by_role("button", name="🎼 Compose").click()
    compose.get_by_text("Did it learn music? The scorecard").wait_for()
    wait_idle(page)
    compose.get_by_role("heading", name="Inspector").wait_for()
    page.get_by_role("figure", name="Loss chart").wait_for()  # the loss chart stays above the tabs
    assert compose.locator('[data-testid="stPlotlyChart"]').count() >= 3  # temperature view, composed roll, inspector
    assert compose.locator("audio").count() >= 1  # the composition (the corpus piece is in the tab "The music")
    compose.get_by_role("button", name="⬇ Download .mid").scroll_into_view_if_needed()
    compose.locator('[data-testid="stPlotlyChart"] .barlayer').first.wait_for()  # the inspector's bars are drawn
    shot(page, "music_composed", full_page=False)

    with page.expect_download() as info:
        compose.get_by_role("button", name="⬇ Download .mid").click()
    path = info.value.path()
    assert Path(path).read_bytes().startswith(b"MThd")
    assert_no_exception(page)


def _tune_bytes() -> bytes:
    import pretty_midi

    from core.music.midi_io import midi_bytes

    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    inst = pretty_midi.Instrument(program=0)
    for i in range(80):
        inst.notes.append(pretty_midi.Note(80, [60, 62, 64, 65, 67, 69, 71, 72][(i * 3) % 8], i * 0.25, i * 0.25 + 0.2))
    pm.instruments.append(inst)
    return midi_bytes(pm)


def test_music_upload_mixes_good_and_bad_files(page, app_url):
    good = _tune_bytes()
    page.goto(app_url + "/music")
    page.get_by_role("heading", name="🎵 Music").wait_for()
    wait_idle(page, timeout=90_000)
    page.get_by_text("Upload MIDI files", exact=True).click()
    page.get_by_text("Upload one or more MIDI files").wait_for()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        [
            {"name": "good.mid", "mimeType": "audio/midi", "buffer": good},
            {"name": "truncated.mid", "mimeType": "audio/midi", "buffer": good[:60]},
            {"name": "not_midi.mid", "mimeType": "audio/midi", "buffer": b"hello, I am text"},
        ]
    )
    page.get_by_text("Some files could not be used").wait_for(timeout=60_000)
    page.get_by_text("truncated.mid: The MIDI file is truncated or corrupt").wait_for()
    page.get_by_text("not_midi.mid: This is not a MIDI file").wait_for()
    reveal(
        page, page.get_by_text("Vocabulary (distinct values)")
    )  # the good file still makes a corpus (tab "The music")
    page.get_by_role("button", name="▶ Start").wait_for(timeout=90_000)
    wait_idle(page, timeout=90_000)
    shot(page, "music_upload", full_page=False)
    assert_no_exception(page)
