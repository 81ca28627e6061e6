"""Bounded loss histories and upload decoding."""

import codecs

import pytest

from core.models.history import LossHistory
from core.text.textio import UploadError, decode_text


def test_history_stays_bounded_and_keeps_the_shape():
    h = LossHistory(names=("loss",), max_points=100)
    for i in range(1, 100_001):
        h.append(i, loss=1.0 / i)
    assert len(h) < 100
    assert h.steps[0] == 1 and h.steps == sorted(h.steps)
    assert h.steps[-1] > 90_000  # still reaches the end
    gaps = {b - a for a, b in zip(h.steps, h.steps[1:])}
    assert len(gaps) == 1  # evenly decimated
    assert h.last("loss") == pytest.approx(1.0 / h.steps[-1])


def test_history_keeps_everything_while_small():
    h = LossHistory(names=("a", "b"), max_points=10)
    for i in range(5):
        h.append(i, a=i, b=-i)
    assert h.steps == [0, 1, 2, 3, 4] and h.values["b"] == [0, -1, -2, -3, -4]


def test_decode_utf8_bom_and_newlines():
    text, note = decode_text(codecs.BOM_UTF8 + "héllo\r\nwörld\r".encode(), max_bytes=1000)
    assert text == "héllo\nwörld\n" and note is None


def test_decode_utf16_with_bom():
    text, note = decode_text("hello\nworld".encode("utf-16"), max_bytes=1000)
    assert text == "hello\nworld" and "UTF-16" in note


@pytest.mark.parametrize(
    "data,needle",
    [
        (b"", "empty"),
        (b"\n\n \n", "no visible text"),
        (bytes(range(256)) * 4, "binary"),
        (b"x" * 6000, "limit"),
        ("café".encode("latin-1"), "not valid UTF-8"),
    ],
)
def test_decode_refusals_have_reasons(data, needle):
    with pytest.raises(UploadError, match=needle):
        decode_text(data, max_bytes=5000)


def test_latin1_only_when_allowed():
    text, note = decode_text("café".encode("latin-1"), max_bytes=1000, allow_latin1=True)
    assert text == "café" and "Latin-1" in note
