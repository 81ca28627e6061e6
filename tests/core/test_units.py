"""core.units: the one conversion of a loss to the loss chart's unit, and losses kept inside notes."""

import numpy as np
import pytest

from core import units
from core.labs.settings import unit_choices


def test_convert_follows_every_choice_of_the_switch():
    v = np.array([np.log(2), 2 * np.log(2)])
    nats, bits, ppl = unit_choices("value")
    assert units.convert(v, nats) == pytest.approx(v)
    assert units.convert(v, bits) == pytest.approx([1, 2])
    assert units.convert(v, ppl) == pytest.approx([2, 4])
    assert units.convert(1.5, None) == pytest.approx(1.5)  # no choice: nats


def test_phrase_names_the_unit():
    assert units.phrase(np.log(90), "nats per value", "value") == f"{np.log(90):.2f} nats per value"
    assert units.phrase(np.log(90), "bits per value", "value", 3) == f"{np.log2(90):.3f} bits per value"
    assert units.phrase(np.log(90), "perplexity", "value") == "perplexity 90.00"


def test_a_loss_in_a_note_is_drawn_in_the_unit_of_the_moment():
    note = f"It rose from {units.loss(1.2344)} (step 5) to {units.loss(1.5, 'character')}; stop."
    assert units.in_unit(note) == "It rose from 1.234 (step 5) to 1.500 nats per character; stop."
    assert units.in_unit(note, "nats per character") == units.in_unit(note)
    assert units.in_unit(note, "bits per character") == (
        f"It rose from {1.2344 / np.log(2):.3f} (step 5) to {1.5 / np.log(2):.3f} bits per character; stop."
    )
    # the exact number is kept: 1.2344 nats is 1.781 bits (1.234 rounded first would say 1.780)
    assert f"{1.2344 / np.log(2):.3f}" == "1.781"
    assert units.in_unit(note, "perplexity") == (
        f"It rose from perplexity {np.exp(1.2344):.3f} (step 5) to perplexity {np.exp(1.5):.3f}; stop."
    )
    assert units.in_unit(f"{units.loss(2.0, 'value', 2)} and {units.loss(float('nan'), 'value')}") == (
        "2.00 nats per value and nan nats per value"
    )


def test_text_without_losses_is_left_as_it_is():
    assert units.in_unit("Loaded the model: validation 1.6 nats per character.", "bits per character") == (
        "Loaded the model: validation 1.6 nats per character."
    )
    assert units.in_unit(None, "bits per value") is None and units.in_unit("", None) == ""
