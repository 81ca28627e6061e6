"""The memorisation meter (core.toolkit.memorise) against a brute-force search."""

from __future__ import annotations

import numpy as np
import pytest

from core.music.music_score import CopyIndex
from core.toolkit import memorise as mz


def brute_force(sources, query) -> tuple[int, set]:
    """(longest stretch of ``query`` found in one source, every (source, offset, query start) of that length), by
    trying every stretch."""
    best, where = 0, set()
    for i in range(len(query)):
        for j in range(i + 1, len(query) + 1):
            part = list(query[i:j])
            hits = {
                (k, p, i)
                for k, s in enumerate(sources)
                for p in range(len(s) - len(part) + 1)
                if list(s[p : p + len(part)]) == part
            }
            if not hits:
                break
            if j - i > best:
                best, where = j - i, set(hits)
            elif j - i == best:
                where |= hits
    return best, where


def test_suffix_array_is_sorted():
    rng = np.random.default_rng(0)
    for n in (1, 2, 7, 50, 300):
        s = "".join(rng.choice(list("aab c"), size=n))
        sa = mz.suffix_array(np.frombuffer(s.encode("utf-32-le"), dtype=np.uint32))
        assert [s[i:] for i in sa] == sorted(s[i:] for i in range(n))
    assert mz.suffix_array(np.zeros(0, np.int64)).size == 0


@pytest.mark.parametrize("seed", range(12))
def test_matches_brute_force_on_random_text(seed):
    rng = np.random.default_rng(seed)
    alphabet = list("abcd\n ") if seed % 2 else list("ab")
    sources = ["".join(rng.choice(alphabet, size=int(rng.integers(0, 40)))) for _ in range(int(rng.integers(1, 6)))]
    query = "".join(rng.choice(alphabet + ["z"], size=int(rng.integers(0, 30))))
    index = mz.CharIndex(sources)
    length, k, offset, at = index.longest_match(query)
    want, where = brute_force(sources, query)
    assert length == want
    if want:
        assert (k, offset, at) in where  # a real occurrence of a longest stretch
        assert sources[k][offset : offset + length] == query[at : at + length]
    else:
        assert (k, offset, at) == (None, None, None)


def test_names_never_join_across_names():
    index = mz.names_index(["abc", "def"])
    c = mz.char_copy(index, "bcde")  # "cd" only exists across the boundary
    assert c.length == 2 and c.stretch in ("bc", "de")
    c = mz.char_copy(index, "xxdefxx")
    assert (c.length, c.source, c.offset, c.at, c.stretch) == (3, "“def”", 0, 2, "def")
    assert "3 of 7 characters" in c.describe() and "“def”" in c.describe()
    assert mz.char_copy(index, "zzz").length == 0 and "Nothing" in mz.char_copy(index, "zzz").describe()


def test_text_reports_the_line():
    text = "first line\nsecond line here\nthird\n"
    c = mz.char_copy(mz.text_index(text), "a second line h!")
    assert (c.length, c.line, c.offset, c.at) == (len("second line h"), 2, 11, 2)
    assert "line 2" in c.describe() and "the training text" in c.describe()


def test_a_long_memorised_sample():
    rng = np.random.default_rng(3)
    text = "".join(rng.choice(list("abcdefgh \n"), size=20_000))
    sample = "qq" + text[5000:5400] + "qq" + text[100:130]
    c = mz.char_copy(mz.text_index(text), sample)
    assert c.length >= 400 and c.at == 2 and text[c.offset : c.offset + c.length] == sample[2 : 2 + c.length]


def test_music_reuses_the_scorecards_copy_index():
    pieces = [("N60_d4", "N62_d4", "N64_d4", "R_d4"), ("N67_d2", "N65_d2", "N64_d4", "N62_d4")]
    comp = ("N65_d2", "N64_d4", "N62_d4", "N60_d4", "N62_d4")
    c = mz.music_copy(CopyIndex(pieces), ["a.mid", "b.mid"], comp)
    assert (c.length, c.source, c.offset, c.at, c.unit) == (3, "b.mid", 1, 0, "values")
    assert brute_force(pieces, comp)[0] == 3
    assert "3 of 5 values" in c.describe() and "b.mid" in c.describe()


def test_dino_page_shows_the_meter_beside_sampled_names():
    from tests.support.apptest import open_page

    at = open_page("pages/dinosaurs.py")
    at.slider(key="dino_n_a").set_value(8)
    at.number_input(key="dino_how_many").set_value(6)
    at.run()
    at.button(key="dino_sample_btn").click()
    at.run()
    assert not at.exception
    lab = at.session_state["dino"]
    table = next(d.value for d in at.dataframe if "longest copied stretch" in d.value.columns)
    names = [n for n, _ in lab.sampled]
    assert list(table["name"]) == [n or "(empty)" for n in names]
    index = mz.names_index(lab.trainer.names)
    for n, cell in zip(names, table["longest copied stretch"]):
        want, _ = brute_force(lab.trainer.names, n)
        assert cell == ("–" if want == 0 else f"{mz.char_copy(index, n).stretch} ({want} of {len(n)})")


def test_a_long_text_is_searched_in_its_first_part():
    text = "abcdefghij" * 50 + "the tail only"
    index = mz.text_index(text, max_chars=100)
    assert index.searched_of == len(text) and len(index.text) == 100
    assert mz.char_copy(index, "the tail only").length < len("the tail only")
    assert mz.char_copy(mz.text_index(text), "the tail only").length == len("the tail only")
