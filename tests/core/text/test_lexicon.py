"""core.text.lexicon: real words and speaker names in a sample, against the text a model learned from."""

import numpy as np

from core.text.lexicon import Lexicon
from tests.support import ROOT

PLAY = """Brutus:
Let's be sacrificers, but not butchers, Caius.

Cassius:
Yet I fear him;
For in the ingrafted love he bears to Caesar--

Brutus:
Alas, good Cassius, do not think of him.

Cassius:
Ne'er fear.

Messenger:
My lord!
"""


def test_words_are_counted_against_the_text_lowercased():
    lex = Lexicon(PLAY)
    c = lex.check("alas, GOOD brutus, ne'er fear thy flurbs of ")
    assert c.n_words == 8 and c.n_real == 6  # "thy" and "flurbs" are not in the text
    assert c.real_fraction == 6 / 8
    assert c.speakers == () and c.speaker_lines == 0


def test_a_word_cut_off_at_the_end_is_left_out():
    lex = Lexicon(PLAY)
    assert lex.check("good Cass").n_words == 1  # "Cass" may be the start of "Cassius"
    assert lex.check("good Cass.").n_words == 2  # ended by punctuation: complete, and not a word of the text
    assert lex.check("good Cass.").n_real == 1


def test_speaker_names_need_their_own_line_and_two_speeches():
    lex = Lexicon(PLAY)
    assert lex.has_speakers
    assert lex.speakers == {"Brutus", "Cassius"}  # "Messenger" speaks once: not counted
    c = lex.check("\nCassius:\nMy lord!\n\nBrutal:\nAlas.\n\nBrutus:\nYet.\n\nCassius:\nNo Brutus: here\n")
    assert c.speakers == ("Cassius", "Brutus")  # in order of first use, once each
    assert c.speaker_lines == 4  # "Brutal:" looks like a speaker line but is made up; "No Brutus: here" is not one


def test_two_word_names_and_text_without_speakers():
    lex = Lexicon("Sir Toby:\nA.\n\nSir Toby:\nB.\n")
    assert lex.check("Sir Toby:\nHey.\n").speakers == ("Sir Toby",)
    plain = Lexicon("Just some prose: with a colon inside a line, and no speakers at all.\n" * 3)
    assert not plain.has_speakers
    assert plain.check("").n_words == 0 and plain.check("").real_fraction == 0.0


def test_bundled_shakespeare_scores_its_own_text_high_and_noise_low():
    text = (ROOT / "data" / "shakespeare.txt").read_text(encoding="utf-8")
    lex = Lexicon(text[: int(len(text) * 0.9)])  # the training part
    assert {"Brutus", "Iago", "Sir Toby", "King Richard"} <= lex.speakers
    held_out = text[-3000:]  # validation text: mostly words seen in training, some rare ones not
    assert lex.check(held_out).real_fraction > 0.9
    assert lex.check(held_out).speakers  # the plays' speeches are headed by names
    rng = np.random.default_rng(0)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz     "))
    noise = "".join(rng.choice(letters, 3000))
    assert lex.check(noise).real_fraction < 0.5
