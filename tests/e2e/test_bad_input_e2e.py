"""Real browser, issue #5 "Bad input": a 200 MB file dropped on the Text lab's uploader is refused by Streamlit itself
(server.maxUploadSize = 20 in .streamlit/config.toml) with its own size message, and the page keeps working; a model
zip with an LSTM without biases is refused at upload, naming the option, with no error box."""

import zipfile

from .conftest import assert_no_exception, shot, wait_idle


def test_200_mb_text_upload_is_refused_by_streamlit_and_the_page_keeps_working(page, app_url, tmp_path):
    """Text uploads, a 200 MB file: Streamlit's "File must be 20.0MB or smaller." appears, no traceback, nothing is
    uploaded, and a normal-sized text uploaded afterwards is used."""
    big = tmp_path / "huge.txt"
    with open(big, "wb") as f:
        f.truncate(200 * 2**20)  # sparse: 200 MB on paper, no disk or memory used
    good = tmp_path / "small.txt"
    good.write_text("\n".join(f"ROMEO:\nthe king speaks and so we go to war, line {i}." for i in range(60)), encoding="utf-8")

    page.goto(app_url + "/text")
    page.get_by_role("heading", name="📜 Text").wait_for(timeout=60_000)
    wait_idle(page, timeout=90_000)
    page.get_by_text("Upload a .txt", exact=True).click()
    page.get_by_text("Upload a text to train on").wait_for()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').wait_for(state="attached")
    wait_idle(page)
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="at most 10 MB")
    assert uploader.count() == 1  # the page states its own limit on the uploader

    uploader.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(big))
    # Streamlit 1.67 marks the file red (an alert for screen readers) and shows its message as the chip's tooltip
    chip = uploader.locator('[data-testid="stFileChip"]').filter(has_text="huge.txt")
    chip.locator('[data-testid="stFileChipIconError"]').wait_for(timeout=30_000)
    assert chip.get_attribute("aria-invalid") == "true"
    assert uploader.get_by_role("alert").filter(has_text="File must be 20.0MB or smaller.").count() == 1
    wait_idle(page)
    chip.hover()
    page.locator('[data-testid="stTooltipContent"], [role="tooltip"]').filter(has_text="File must be 20.0MB or smaller.").first.wait_for()
    page.wait_for_function(  # the tooltip has faded in
        "() => [...document.querySelectorAll('[data-testid=\"stTooltipContent\"], [role=\"tooltip\"]')]"
        ".some(e => e.innerText.includes('20.0MB') && getComputedStyle(e).opacity === '1')"
    )
    shot(page, "bad_input_200mb_upload", full_page=False)
    assert_no_exception(page)
    assert page.get_by_text("Upload a text to train on").count() == 1  # still waiting for a usable file
    assert page.get_by_text("Validation (last 10%)").count() == 0

    # the page still works: a normal file is read and becomes the corpus
    uploader.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(good))
    page.get_by_text("Validation (last 10%)").wait_for(timeout=60_000)
    wait_idle(page, timeout=90_000)
    page.get_by_role("button", name="▶ Start").wait_for(timeout=90_000)
    assert_no_exception(page)


def test_model_zip_with_an_lstm_without_biases_is_refused_naming_the_option(page, app_url, tmp_path):
    """Model uploads (Text lab), an LSTM with use_bias=False (otherwise valid): refused at upload with a message that
    names the option, no error box or traceback, and the current model still trains."""
    import keras

    from core.files.model_zip import vocab_to_json

    chars = list("\nabcdefghijklmnopqrstuvwxyz")
    L = keras.layers
    model = keras.Sequential([keras.Input(shape=(None,), dtype="int32"), L.Embedding(len(chars), 8),
                              L.LSTM(16, return_sequences=True, use_bias=False), L.Dense(len(chars))])
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "nobias.zip", "w") as zf:
        zf.write(tmp_path / "m.keras", "model.keras")
        zf.writestr("vocab.json", vocab_to_json(chars))

    page.goto(app_url + "/text")
    page.get_by_role("heading", name="📜 Text").wait_for(timeout=60_000)
    wait_idle(page, timeout=90_000)
    page.get_by_text("Dinosaur names (bundled)").click()
    wait_idle(page, timeout=90_000)
    hidden = page.locator('[data-testid="stSlider"]').filter(has_text="Hidden units per layer").get_by_role("slider")
    hidden.focus()
    hidden.press("Home")
    wait_idle(page, timeout=90_000)
    page.get_by_role("heading", name="Save or load a model").wait_for(timeout=60_000)
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="ZIP")
    uploader.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(tmp_path / "nobias.zip"))
    wait_idle(page)
    page.get_by_role("button", name="Load this model").click()
    message = page.get_by_text("LSTM layer has use_bias=False")
    message.wait_for(timeout=60_000)
    wait_idle(page)
    message.scroll_into_view_if_needed()
    shot(page, "bad_input_model_without_biases", full_page=False)
    assert_no_exception(page)
    assert page.get_by_text("This app has encountered an error").count() == 0
    assert "the playground only trains LSTM layers with biases" in message.inner_text()
    page.get_by_role("button", name="Step").click()  # the current model is kept and trains
    wait_idle(page, timeout=90_000)
    assert_no_exception(page)
    assert page.get_by_text("Training stopped").count() == 0
