"""Real browser, bad input: a 200 MB file dropped on the Text lab's uploader is refused by Streamlit itself
(the uploader's own limit, the Text lab's 10 MB) with its own size message, and the page keeps working; a model
zip with an LSTM without biases is refused at upload, naming the option, with no error box. Uploads called like
Markdown show their names as typed (no link or image in the page, no request for the image), and a link with
thousands of unknown names gets a short message, with Start near the top of the page."""

import zipfile

from core.echo import JOINER
from tests.support.inputs import MARKDOWN_NAME, tune

from .conftest import assert_no_exception, open_tab, shot, wait_idle

NAMES = "\n".join(
    f"{n}saurus"
    for n in (
        "tyranno",
        "stego",
        "bronto",
        "veloci",
        "ptero",
        "allo",
        "brachio",
        "diplo",
        "spino",
        "igua",
        "anky",
        "pachy",
    )
)


def test_200_mb_text_upload_is_refused_by_streamlit_and_the_page_keeps_working(page, app_url, tmp_path):
    """Text uploads, a 200 MB file: Streamlit's "File must be 10.0MB or smaller." appears, no traceback, nothing is
    uploaded, and a normal-sized text uploaded afterwards is used."""
    big = tmp_path / "huge.txt"
    with open(big, "wb") as f:
        f.truncate(200 * 2**20)  # sparse: 200 MB on paper, no disk or memory used
    good = tmp_path / "small.txt"
    good.write_text(
        "\n".join(f"ROMEO:\nthe king speaks and so we go to war, line {i}." for i in range(60)), encoding="utf-8"
    )

    page.goto(app_url + "/text")
    page.get_by_role("heading", name="📜 Text").wait_for(timeout=60_000)
    wait_idle(page, timeout=90_000)
    page.get_by_text("Upload a .txt", exact=True).click()
    page.get_by_text("Upload a text to train on").wait_for()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').wait_for(state="attached")
    wait_idle(page)
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="at most 10 MB")
    assert uploader.count() == 1  # the page states its own limit on the uploader
    assert uploader.get_by_text("10MB per file").count() == 1  # and Streamlit's small print agrees

    uploader.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(big))
    # Streamlit 1.67 marks the file red (an alert for screen readers) and shows its message as the chip's tooltip
    chip = uploader.locator('[data-testid="stFileChip"]').filter(has_text="huge.txt")
    chip.locator('[data-testid="stFileChipIconError"]').wait_for(timeout=30_000)
    assert chip.get_attribute("aria-invalid") == "true"
    assert uploader.get_by_role("alert").filter(has_text="File must be 10.0MB or smaller.").count() == 1
    wait_idle(page)
    chip.hover()
    page.locator('[data-testid="stTooltipContent"], [role="tooltip"]').filter(
        has_text="File must be 10.0MB or smaller."
    ).first.wait_for()
    page.wait_for_function(  # the tooltip has faded in
        '() => [...document.querySelectorAll(\'[data-testid="stTooltipContent"], [role="tooltip"]\')]'
        ".some(e => e.innerText.includes('10.0MB') && getComputedStyle(e).opacity === '1')"
    )
    shot(page, "bad_input_200mb_upload", full_page=False)
    assert_no_exception(page)
    assert page.get_by_text("Upload a text to train on").count() == 1  # still waiting for a usable file
    assert page.get_by_text("Validation (last 10%)").count() == 0

    # the page still works: a normal file is read and becomes the corpus
    uploader.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(good))
    page.get_by_text("Validation (last 10%)").first.wait_for(state="attached", timeout=60_000)
    wait_idle(page, timeout=90_000)
    page.get_by_role("button", name="▶ Start").wait_for(timeout=90_000)
    assert_no_exception(page)


def _no_markup_from(page, where: str) -> None:
    """No link or image made of the Markdown name anywhere in the app's main area or sidebar."""
    made = page.evaluate(
        """() => [...document.querySelectorAll('a, img')]
                 .map(e => e.getAttribute('href') || e.getAttribute('src') || '')
                 .filter(u => u.includes('example.com') || u.includes('127.0.0.1:9'))"""
    )
    assert made == [], (where, made)


def _shown(locator) -> str:
    """What a reader sees (core.echo's word joiners are invisible)."""
    return locator.inner_text().replace(JOINER, "")


def _sidebar_link(page, name: str):
    return page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=name)


def test_markdown_file_names_show_as_typed_in_every_lab(page, app_url):
    """Uploads called ``[click me](https://example.com) ![img](http://127.0.0.1:9/p.png) **bold** $x$ <b>b</b>``:
    the Text lab's corpus caption, the Dinosaur lab's "earlier upload" caption and the Music lab's problems list
    show the name as typed; the page has no link or image from it and never asks for the image."""
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "127.0.0.1:9" in r.url or "example.com" in r.url else None)
    name = MARKDOWN_NAME + ".txt"

    page.goto(app_url + "/dinosaurs")
    page.get_by_role("button", name="▶ Start").wait_for(timeout=60_000)
    wait_idle(page)
    page.get_by_text("Upload a name list", exact=True).click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').wait_for(state="attached")
    wait_idle(page, timeout=90_000)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": name, "mimeType": "text/plain", "buffer": NAMES.encode()}]
    )
    page.get_by_text("12 names", exact=False).first.wait_for(timeout=60_000)
    wait_idle(page)
    _sidebar_link(page, "Home").click()
    page.get_by_role("heading", name="RNN Playground").wait_for()
    _sidebar_link(page, "Dinosaur names").click()
    caption = page.locator('[data-testid="stCaptionContainer"]').filter(has_text="Using your earlier upload")
    caption.wait_for(timeout=60_000)
    wait_idle(page)
    assert MARKDOWN_NAME + ".txt" in _shown(caption), _shown(caption)
    _no_markup_from(page, "dinosaurs")
    shot(page, "bad_input_markdown_name_dino", full_page=False)

    page.goto(app_url + "/text")
    page.get_by_role("heading", name="📜 Text").wait_for(timeout=60_000)
    wait_idle(page, timeout=90_000)
    page.get_by_text("Upload a .txt", exact=True).click()
    # the text's own uploader (the model zip's, in the closed "Files & hand-in" tab, is in the page too)
    drop = page.locator('[data-testid="stFileUploader"]').filter(has_text="A plain-text .txt file")
    drop = drop.locator('[data-testid="stFileUploaderDropzoneInput"]')
    drop.wait_for(state="attached")
    wait_idle(page, timeout=90_000)  # the uploader the file goes to is the one the finished rerun drew
    text = "\n".join(f"ROMEO:\nthe king speaks and so we go to war, line {i}." for i in range(60))
    drop.set_input_files(files=[{"name": name, "mimeType": "text/plain", "buffer": text.encode()}])
    caption = page.locator('[data-testid="stCaptionContainer"]').filter(has_text="Most common characters")
    caption.wait_for(state="attached", timeout=90_000)
    wait_idle(page, timeout=90_000)
    open_tab(page, "The text")  # the corpus preview
    caption.wait_for()
    assert _shown(caption).startswith(name + ":"), _shown(caption)
    _no_markup_from(page, "text")
    shot(page, "bad_input_markdown_name_text", full_page=False)

    page.goto(app_url + "/music")
    page.get_by_text("Upload MIDI files", exact=True).wait_for(timeout=90_000)
    wait_idle(page, timeout=90_000)
    page.get_by_text("Upload MIDI files", exact=True).click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').wait_for(state="attached")
    wait_idle(page, timeout=90_000)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[
            {"name": "good.mid", "mimeType": "audio/midi", "buffer": tune(0)},
            {"name": MARKDOWN_NAME + ".mid", "mimeType": "audio/midi", "buffer": b"not midi"},
        ]
    )
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="Some files could not be used")
    alert.wait_for(timeout=90_000)
    wait_idle(page, timeout=90_000)
    assert MARKDOWN_NAME + ".mid: This is not a MIDI file" in _shown(alert), _shown(alert)
    _no_markup_from(page, "music")
    shot(page, "bad_input_markdown_name_music", full_page=False)
    assert_no_exception(page)
    assert asked == [], asked


def test_a_link_with_thousands_of_unknown_names_keeps_start_near_the_top(page, app_url):
    """hide= with 8,000 unknown group names (a 47 KB address), then 3,000 unknown parameters (over the 1,000 that
    Streamlit reads): a short warning that names a few and counts the rest, and Start within the first screens."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(app_url + "/dinosaurs?hide=" + ",".join(f"grp{i}" for i in range(8000)))
    start = page.get_by_role("button", name="▶ Start")
    start.wait_for(timeout=90_000)
    wait_idle(page, timeout=90_000)
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="could not be used")
    assert "and 7,995 more" in alert.inner_text() and "grp7999" not in alert.inner_text(), alert.inner_text()
    assert alert.bounding_box()["height"] < 400, alert.bounding_box()
    assert start.bounding_box()["y"] < 2000, start.bounding_box()
    shot(page, "bad_input_long_hide", full_page=False)

    page.goto(app_url + "/dinosaurs?" + "&".join(f"p{i}=1" for i in range(3000)))
    start.wait_for(timeout=90_000)
    alert.wait_for(timeout=60_000)
    wait_idle(page, timeout=90_000)
    said = alert.inner_text()
    assert "and 994 more" in said and "2,001 more parameters were ignored" in said, said
    assert alert.bounding_box()["height"] < 400 and start.bounding_box()["y"] < 2000
    shot(page, "bad_input_thousands_of_parameters", full_page=False)
    assert_no_exception(page)


def test_model_zip_with_an_lstm_without_biases_is_refused_naming_the_option(page, app_url, tmp_path):
    """Model uploads (Text lab), an LSTM with use_bias=False (otherwise valid): refused at upload with a message that
    names the option, no error box or traceback, and the current model still trains."""
    import keras

    from core.files.model_zip import vocab_to_json

    chars = list("\nabcdefghijklmnopqrstuvwxyz")
    L = keras.layers
    model = keras.Sequential(
        [
            keras.Input(shape=(None,), dtype="int32"),
            L.Embedding(len(chars), 8),
            L.LSTM(16, return_sequences=True, use_bias=False),
            L.Dense(len(chars)),
        ]
    )
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
    open_tab(page, "Files & hand-in")  # the model files
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
