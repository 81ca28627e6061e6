"""TextCorpus: vocabulary, encode/decode, split, batches, the live sample (model zips:
tests/core/files/test_model_zip.py)."""

import numpy as np
import pytest

from core.text.text_data import MIN_CHARS, CorpusError, TextCorpus, char_label
from tests.support.inputs import make_text, text_corpus

TEXT = make_text()


def test_vocab_is_sorted_set_and_round_trip():
    c = TextCorpus(TEXT)
    assert c.chars == sorted(set(TEXT))
    assert all(c.stoi[ch] == i and c.itos[i] == ch for i, ch in enumerate(c.chars))
    ids = c.encode(TEXT)
    assert ids.dtype == np.int32 and ids.shape == (len(TEXT),)
    assert c.decode(ids) == TEXT
    assert c.decode(c.encode("ROMEO:\nthe king")) == "ROMEO:\nthe king"


def test_split_is_last_ten_percent():
    c = TextCorpus(TEXT)
    assert len(c.train_ids) + len(c.val_ids) == len(TEXT)
    assert abs(len(c.val_ids) - 0.1 * len(TEXT)) <= 1
    assert c.decode(c.val_ids) == TEXT[-len(c.val_ids) :]


def test_too_short_and_unknown_chars_are_refused_with_reasons():
    with pytest.raises(CorpusError, match="at least"):
        TextCorpus("abc" * 10)
    assert MIN_CHARS >= 1000
    c = TextCorpus(TEXT)
    with pytest.raises(CorpusError, match="Not in the vocabulary"):
        c.encode("ROMEO says ~")
    assert c.unknown_chars("ae~#") == ["#", "~"]
    with pytest.raises(CorpusError, match="vocabulary lacks"):
        TextCorpus(TEXT + "§", chars=sorted(set(TEXT)))
    # a given (larger) vocabulary is used as is
    bigger = sorted(set(TEXT) | {"§"})
    assert TextCorpus(TEXT, chars=bigger).chars == bigger


def test_sample_batch_windows_are_shifted_by_one_and_seeded():
    c = TextCorpus(TEXT)
    x, y = c.sample_batch(np.random.default_rng(3), 5, 12)
    assert x.shape == y.shape == (5, 12) and x.dtype == np.int32
    assert np.array_equal(x[:, 1:], y[:, :-1])
    train = c.decode(c.train_ids)
    for row_x, row_y in zip(x, y):
        assert (c.decode(row_x) + c.decode(row_y[-1:])) in train
    x2, _ = c.sample_batch(np.random.default_rng(3), 5, 12)
    assert np.array_equal(x, x2)
    with pytest.raises(CorpusError, match="at most"):
        c.sample_batch(np.random.default_rng(0), 2, c.max_seq_len + 1)


def test_val_batches_are_fixed_bounded_and_from_validation():
    c = TextCorpus(TEXT)
    b1 = c.val_batches(3, 4, 20)
    b2 = c.val_batches(3, 4, 20)
    assert len(b1) <= 3 and sum(len(x) for x, _ in b1) <= 12
    for (x, y), (x2, y2) in zip(b1, b2):
        assert np.array_equal(x, x2) and np.array_equal(y, y2)
        assert np.array_equal(x[:, 1:], y[:, :-1])
        for row in x:
            assert c.decode(row) in c.decode(c.val_ids)


def test_stats_and_labels():
    c = TextCorpus(TEXT)
    s = c.stats()
    assert s.n_chars == len(TEXT) and s.vocab_size == len(set(TEXT))
    assert s.most_common[0][0] == " "
    assert char_label("\n") == "⏎" and char_label(" ") == "␣" and char_label("a") == "a"
    assert len(c.labels) == c.vocab_size


class _Recorder:
    """A TokenModel that always predicts "a" for sure, and records what it was fed."""

    def __init__(self, corpus):
        self.fed, self.a = [], corpus.stoi["a"]
        self.v = corpus.vocab_size

    def initial_state(self):
        return None

    def next_token_probs(self, state, token):
        self.fed.append(token)
        p = np.zeros(self.v)
        p[self.a] = 1.0
        return p, state


def test_progress_sample_starts_after_a_blank_line_when_the_text_has_them():
    from core.labs.text_lab import progress_sample

    play = text_corpus()  # speeches separated by blank lines
    m = _Recorder(play)
    text, check = progress_sample(m, play, 5, 0.8, np.random.default_rng(0))
    nl = play.stoi["\n"]
    assert play.has_blank_lines and m.fed[:2] == [nl, nl] and text == "aaaaa"
    assert check == play.lexicon.check(text) and check.n_words == 0  # "aaaaa" may go on: not a complete word

    prose = TextCorpus("one line of prose after another\n" * 100)
    m = _Recorder(prose)
    progress_sample(m, prose, 3, 0.8, np.random.default_rng(0))
    assert not prose.has_blank_lines and m.fed[0] == prose.stoi["\n"] and len(m.fed) == 3  # after one newline only

    no_newline = TextCorpus("abc " * 500)
    m = _Recorder(no_newline)
    progress_sample(m, no_newline, 2, 0.8, np.random.default_rng(0))
    assert m.fed[0] is None  # no newline in the vocabulary: starts from no input
