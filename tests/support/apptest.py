"""Driving pages with streamlit.testing.v1.AppTest: open a page, find a button, tiny settings, uploads, messages."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.support import ROOT

TEXT_UPLOAD = "Upload a .txt"  # the Text page's upload choice
MUSIC_UPLOAD = "Upload MIDI files"  # the Music page's upload choice


def app(timeout: float = 180) -> AppTest:
    """The app as a user gets it (app.py and its navigation), not run yet."""
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)  # absolute: AppTest resolves relative paths


def open_page(page: str, timeout: float = 180) -> AppTest:
    """The app, run and switched to ``page`` (e.g. "pages/text.py")."""
    at = app(timeout)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, label_start: str):
    """The first button whose label starts with ``label_start`` (Start / Stop / Step have icons in front)."""
    return next(b for b in at.button if b.label.startswith(label_start))


def tiny_text(at: AppTest) -> None:
    """Text lab settings for a model that trains in milliseconds (LSTM 16, embedding 8, windows 16 × 4); no run."""
    at.slider(key="text_hidden").set_value(16)
    at.slider(key="text_embed").set_value(8)
    at.select_slider(key="text_seq").set_value(16)
    at.select_slider(key="text_batch").set_value(4)


def tiny_music(at: AppTest) -> None:
    """Music lab settings for a model that trains in milliseconds (LSTM 8, snippets 10 × 4); no run."""
    at.slider(key="music_hidden").set_value(8)
    at.select_slider(key="music_batch").set_value(4)
    at.slider(key="music_seq_len").set_value(10)


def make_tiny(at: AppTest) -> None:
    """``tiny_text`` and a learning rate that learns something in a few steps; runs the page."""
    tiny_text(at)
    at.select_slider(key="text_lr").set_value(1e-2)
    at.run()
    assert not at.exception, at.exception


def messages(at: AppTest) -> str:
    """Every error / warning / info on the page, one per line (for assertions and their failure output)."""
    return "\n".join(e.value for e in [*at.error, *at.warning, *at.info])


def ok(at: AppTest) -> None:
    assert not at.exception, at.exception


def upload_text(at: AppTest, data: bytes, name: str = "t.txt") -> None:
    if at.radio(key="text_source").value != TEXT_UPLOAD:
        at.radio(key="text_source").set_value(TEXT_UPLOAD)
        at.run()
    at.file_uploader(key="text_upload").set_value((name, data, "text/plain"))
    at.run()
    ok(at)
