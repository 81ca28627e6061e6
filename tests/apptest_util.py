"""Helpers for driving pages with streamlit.testing.v1.AppTest."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def open_page(page: str, timeout: float = 180) -> AppTest:
    """The app as a user gets it (app.py and its navigation), switched to ``page`` (e.g. "pages/text.py")."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)  # absolute: AppTest resolves relative paths against the caller
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
