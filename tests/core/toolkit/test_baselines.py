"""Baselines (core.toolkit.baselines) against cross-entropies counted by hand on tiny corpora."""

from __future__ import annotations

from collections import Counter
from math import log

import numpy as np
import pytest

from core.music.music_data import MusicCorpus, Piece
from core.text.text_data import TextCorpus
from core.toolkit import baselines as bl


def values(lines):
    return {b.name: b.value for b in lines}


def test_unigram_bigram_by_hand():
    # train "a a a b" (a=0, b=1), test "a b b"; targets from position 1
    # unigram counts of the training targets a a b: P(a) = (2+1)/(3+2) = 3/5, P(b) = 2/5
    # bigram: c(a,a) = 2, c(a,b) = 1, c(a) = 3, c(b) = 0 -> P(b|a) = 2/5, P(b|b) = (0+1)/(0+2) = 1/2
    got = values(bl.baselines([np.array([0, 0, 0, 1])], [np.array([0, 1, 1])], 2, (1, 2)))
    assert got["uniform"] == pytest.approx(log(2))
    assert got["unigram"] == pytest.approx(log(5 / 2))  # -(2 ln 2/5) / 2 targets
    assert got["bigram"] == pytest.approx((log(5 / 2) + log(2)) / 2)


def test_trigram_by_hand():
    # train "a a b a a b", test "a a b b"; every model predicts from position 2 on
    # trigram: c(aa,b) = 2, c(aa) = 2; c(ab,a) = 1, c(ab) = 1 -> P(b|aa) = 3/4, P(b|ab) = 1/3 -> ln(4/3) + ln 3 = ln 4
    # bigram: c(a,b) = 2, c(a,a) = 1, c(a) = 3; c(b,a) = 1, c(b) = 1 -> P(b|a) = 3/5, P(b|b) = 1/3 -> ln 5
    # unigram: targets b a a b -> P(b) = 3/6 -> 2 ln 2
    got = values(bl.baselines([np.array([0, 0, 1, 0, 0, 1])], [np.array([0, 0, 1, 1])], 2, (1, 2, 3)))
    assert got["trigram"] == pytest.approx(log(4) / 2)
    assert got["bigram"] == pytest.approx(log(5) / 2)
    assert got["unigram"] == pytest.approx(log(2))
    assert list(got) == ["uniform", "unigram", "bigram", "trigram"]


def naive_nats(train, test, order, V, skip, k=1.0):
    """The same add-k model with Python dictionaries (the obvious way)."""
    c_hw, c_h = Counter(), Counter()
    for s in train:
        for t in range(skip, len(s)):
            h = tuple(s[t - order + 1 : t])
            c_hw[h + (s[t],)] += 1
            c_h[h] += 1
    total, n = 0.0, 0
    for s in test:
        for t in range(skip, len(s)):
            h = tuple(s[t - order + 1 : t])
            total -= log((c_hw[h + (s[t],)] + k) / (c_h[h] + k * V))
            n += 1
    return total, n


@pytest.mark.parametrize("order", [1, 2, 3])
def test_matches_naive_counting_on_random_sequences(order):
    rng = np.random.default_rng(order)
    V = 7
    train = [rng.integers(0, V, size=n) for n in (50, 3, 120)]
    test = [rng.integers(0, V, size=n) for n in (40, 2, 33)]
    for k in (1.0, 0.25):
        total, n = bl.ngram_nats(train, test, order, V, skip=2, k=k)
        want, want_n = naive_nats([list(s) for s in train], [list(s) for s in test], order, V, 2, k)
        assert n == want_n
        assert total == pytest.approx(want)


def test_dino_per_name_by_hand():
    # 10 names: the 10th ("ab") is held out; 5 × "ab" and 4 × "b" are counted. '\n' = 0, a = 1, b = 2.
    # bigram: after '\n': a 5, b 4 (9); after a: b 5; after b: '\n' 9
    #   held-out "ab" = '\n' a b '\n': P(a|\n) = 6/12, P(b|a) = 6/8, P(\n|b) = 10/12 -> ln 2 + ln 4/3 + ln 6/5 = ln 16/5
    # unigram: targets a 5, b 9, '\n' 9 (23): P(a) = 6/26, P(b) = P(\n) = 10/26 -> ln(13³ / 75)
    names = ["ab"] * 5 + ["b"] * 4 + ["ab"]
    b = bl.for_dino(names, {"\n": 0, "a": 1, "b": 2})
    got = values(b.lines)
    assert got["uniform"] == pytest.approx(3 * log(3))  # three predictions per name
    assert got["bigram"] == pytest.approx(log(16 / 5))
    assert got["unigram"] == pytest.approx(log(13**3 / 75))
    assert b.unit == "name" and "Laplace" in b.smoothing and b.held_out.startswith("every 10th name (1 name,")


def test_dino_split_every_tenth():
    names = [f"n{i}" for i in range(25)]
    kept, held = bl.dino_split(names)
    assert held == ["n9", "n19"] and len(kept) == 23


def test_music_by_hand_and_capped_vocabulary():
    x, y = "N60_d4", "N62_d4"
    pieces = [Piece(f"p{i}.mid", (x, y)) for i in range(9)] + [Piece("val.mid", (x, y, y))]
    corpus = MusicCorpus(pieces)
    assert corpus.val_idx == [9]
    got = values(bl.for_music(corpus).lines)
    # training targets (from position 1): y × 9 -> P(y) = 10/11; bigram P(y|x) = 10/11, P(y|y) = 1/2
    assert got["uniform"] == pytest.approx(log(2))
    assert got["unigram"] == pytest.approx(log(11 / 10))
    assert got["bigram"] == pytest.approx((log(11 / 10) + log(2)) / 2)
    # a lookup that folds both values into one id: one capped value, certain -> every model scores 0
    capped = values(bl.for_music(corpus, np.array([0, 0])).lines)
    assert capped["uniform"] == pytest.approx(0.0) and capped["bigram"] == pytest.approx(0.0)


def test_text_uses_the_validation_split():
    text = ("the cat sat on the mat. " * 60)[:1400] + "zebra"
    corpus = TextCorpus(text)
    b = bl.for_text(corpus)
    want = values(bl.baselines([corpus.train_ids], [corpus.val_ids], corpus.vocab_size, (1, 2, 3)))
    assert values(b.lines) == want
    assert want["uniform"] > want["unigram"] > want["bigram"] > want["trigram"]
    assert "last 10%" in b.held_out and "Laplace" in b.describe()


def test_empty_test_gives_no_lines():
    assert bl.baselines([np.array([0, 1, 0])], [np.array([1])], 2, (1, 2)) == []
