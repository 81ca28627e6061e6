"""Charts in words (core.chart_text): the summaries say the right numbers, tables are what the figures draw, thinned."""

import numpy as np

from core import chart_text as ct
from core import charts
from core.models.sampling import StepRecord


def test_loss_summary_names_the_last_and_first_values_and_the_baselines():
    series = [
        charts.Series("train · #1", [1, 2, 3], [4.0, 3.0, 2.9], opacity=0.3),
        charts.Series("train, running average · #1", [1, 2, 3], [4.17, 3.1, 2.31]),
        charts.Series("validation · #1", [100, 1200], [4.17, 1.62]),
    ]
    text = ct.loss_summary(series, [charts.RefLine("bigram 2.48", 2.48)], "nats per character", "step")
    assert text.startswith("Loss in nats per character: run #1: ")  # one run: its label said once
    assert "; validation 1.62 at step 1,200, down from 4.17" in text
    assert ": train, running average 2.31 at step 3, down from 4.17" in text
    assert "train 2.9" not in text  # the faint raw curve is left out
    assert text.endswith("baselines: bigram 2.48.")
    assert ct.loss_summary([], [], "nats", "step").startswith("No training yet")


def test_loss_summary_of_one_bold_line_says_its_run_before_it():
    series = [
        charts.Series("loss · #1 n_a 50 · seed 0", [1, 2], [30.0, 26.0], opacity=0.3),
        charts.Series("smoothed loss (course) · #1 n_a 50 · seed 0", [1, 2], [23.0, 22.5]),
    ]
    text = ct.loss_summary(series, [], "nats per name", "iteration")
    assert (
        text
        == "Loss in nats per name: run #1 n_a 50 · seed 0: smoothed loss (course) 22.50 at iteration 2, down from 23."
    ), text


def test_loss_summary_names_each_run_when_several_are_drawn():
    series = [
        charts.Series("validation · #1 LSTM 16", [1, 2], [4.0, 3.0]),
        charts.Series("validation · #2 GRU 16", [1, 2], [4.0, 2.5]),
    ]
    text = ct.loss_summary(series, [], "nats per character", "step")
    assert "validation · #1 LSTM 16 3 at step 2" in text and "validation · #2 GRU 16 2.50 at step 2" in text
    assert "run #" not in text


def test_loss_summary_says_a_rising_curve_went_up():
    text = ct.loss_summary([charts.Series("val", [0, 10], [1.5, 2.0])], [], "nats per value", "step")
    assert "val 2 at step 10, up from 1.50" in text


def test_distribution_summary_gives_the_pick_and_the_most_likely_tokens():
    probs = np.array([0.5, 0.3, 0.2])
    adjusted = np.array([0.7, 0.2, 0.1])
    text = ct.distribution_summary(probs, adjusted, ["a", "r", "x"], 1)
    assert text.startswith("Picked 'r': 0.20 in the distribution sampled from, 0.30 by the model")
    assert "Most likely by the model: 'a' 0.50, 'r' 0.30, 'x' 0.20" in text


def test_heatmap_summary_finds_the_surest_and_least_sure_step():
    recs = [
        StepRecord(probs=np.array([0.9, 0.1]), adjusted=np.array([0.9, 0.1]), picked=0, p_picked=0.0),
        StepRecord(probs=np.array([0.6, 0.4]), adjusted=np.array([0.6, 0.4]), picked=1, p_picked=0.0),
    ]
    text = ct.heatmap_summary(recs, ["a", "b"])
    assert "2 generated steps" in text
    assert "surest pick is step 0 'a' (0.90)" in text and "least sure step 1 'b' (0.40)" in text
    assert "mean probability of the picks 0.65" in text


def test_influence_summary_ranks_earlier_tokens_and_counts_back():
    text = ct.influence_summary(["d", "a", "r"], [0.22, 1.0, 0.31], "x")
    assert text == (
        "Predicting 'x': most influential earlier letters: 'a' 1.00 (2 back), 'r' 0.31 (1 back), 'd' 0.22 (3 back) "
        "(share of the largest)."
    )
    table = ct.influence_table(["d", "a", "r"], [0.22, 1.0, 0.31])
    assert table.rows[0] == (1, "r", 0.31)  # nearest first


def test_activation_summary_and_table():
    acts = np.linspace(-1, 1, 120)
    labels = [str(i) for i in range(120)]
    text = ct.activation_summary(labels, acts, "h unit 3")
    assert "highest +1.00 at position 119 '119'" in text and "lowest -1.00 at position 0 '0'" in text
    table = ct.activation_table(labels, acts)
    assert len(table.rows) <= ct.MAX_ROWS
    assert table.rows[0][0] == 0 and table.rows[-1][0] == 119  # first and last kept


def test_gate_summary_counts_units_mostly_open():
    shares = [("forget", 0, [0.0, 0.1, 0.0, 0.0], [0.9, 0.6, 0.2, 0.0])]
    text = ct.gate_summary(shares)
    assert "forget gate, layer 1" in text and "2 of 4 units open more than half the time" in text
    assert "nearly open 42%" in text  # mean of 0.9, 0.6, 0.2, 0
    assert len(ct.gate_table(shares).rows) == 4


def test_piano_roll_summary_names_range_and_most_common_pitch():
    notes = [(0.0, 0.5, 60), (0.5, 1.0, 64), (1.0, 2.5, 60)]
    text = ct.piano_roll_summary([("composed", notes, "#000")])
    assert text == "composed: 3 notes over 2.5 s, from C4 to E4, most often C4."
    assert ct.piano_roll_summary([("x", [], "#000")]) == "No notes."


def test_distance_bptt_and_gradient_summaries():
    text = ct.distance_summary([("#1", [1, 2, 10], [0.5, 0.2, 0.005])])
    assert "#1: 0.50 at 1 back, 0.005 at 10 back (0.01×)" in text
    assert ct.bptt_summary([1.0, np.inf, 0.1], ["a", "b", "c"]).endswith(
        "largest at step a (1) and smallest at step c (0.10)."
    )
    log = [(10, 5.0, 5.0, 0, False), (20, 120.0, 7.0, 3, True)]
    assert ct.grad_history_summary(log) == (
        "2 points; at name 20 the gradient norm was 120 before clipping and 7 after; the largest 120; 1 explosion."
    )


def test_figure_table_reads_a_loss_figure_back_thinned():
    xs = list(range(1000))
    fig = charts.loss_figure([charts.Series("a", xs, [float(x) for x in xs]), charts.Series("b", [0, 5], [2.0, 1.0])])
    table = ct.figure_table(fig)
    assert table.columns == ("series", "iteration", "loss")
    assert len(table.rows) <= ct.MAX_ROWS
    a = [r for r in table.rows if r[0] == "a"]
    assert a[0] == ("a", 0, 0) and a[-1] == ("a", 999, 999)  # the first and last points kept
    assert [r for r in table.rows if r[0] == "b"] == [("b", 0, 2), ("b", 5, 1)]


def test_figure_table_keeps_gaps_of_a_log_axis_as_not_a_number():
    fig = charts.bptt_figure([1.0, 0.0], [0.5, 0.0], {}, ["a", "b"])
    table = ct.figure_table(fig)
    assert table.rows[0] == ("‖da⟨t⟩‖ (all of it)", "a", 1)
    assert np.isnan(table.rows[1][2])


def test_figure_table_of_a_piano_roll_has_one_row_per_note():
    fig = charts.piano_roll_figure([(0.0, 0.5, 60), (0.5, 1.0, 62)])
    table = ct.figure_table(fig)
    assert table.columns[:3] == ("seconds from", "seconds to", "MIDI pitch")
    assert [r[:3] for r in table.rows] == [(0, 0.5, 60), (0.5, 1, 62)]
    assert table.rows[0][3] == "C4 (60)"


def test_figure_table_of_a_heatmap_is_its_matrix_and_skips_the_decoration():
    recs = [StepRecord(probs=np.array([0.9, 0.1]), adjusted=np.array([0.8, 0.2]), picked=0, p_picked=0.0)]
    table = ct.figure_table(charts.distribution_heatmap(recs, ["a", "b"]))
    assert table.columns == ("", "0:a")
    assert table.rows == (("a", 0.8), ("b", 0.2))


def test_figure_table_is_none_for_a_diagram():
    fig = charts.unrolled_graph_figure(8, 10, 2, Tx=5)
    assert ct.figure_table(fig) is None
    assert "Unrolled" in ct.diagram_summary(fig) and "<" not in ct.diagram_summary(fig)


def test_progress_text_and_its_pace():
    assert ct.progress_text(1200, 2.314, 2.4, "nats per character", "step") == (
        "Training: step 1,200, loss 2.31, validation 2.40 nats per character."
    )
    assert ct.progress_text(1200, 2.314, 2.4, "bits per character", "step") == (
        f"Training: step 1,200, loss {2.314 / np.log(2):.2f}, validation {2.4 / np.log(2):.2f} bits per character."
    )
    assert ct.progress_text(1200, 2.314, 2.4, "perplexity", "step") == (
        f"Training: step 1,200, perplexity {np.exp(2.314):.2f}, validation perplexity {np.exp(2.4):.2f}."
    )
    assert ct.progress_text(0, None, None, "nats per name", "iteration") == "Training: iteration 0."
    p = ct.Progress(every=4.0)
    assert p.update("step 1", now=100.0) == "step 1"  # the first text at once
    assert p.update("step 2", now=102.0) == "step 1"  # too soon: unchanged, nothing new to announce
    assert p.update("step 3", now=104.0) == "step 3"
    assert p.update("Finished.", now=104.5, at_once=True) == "Finished."  # a stop's reason at once


def test_num_and_thin_rows():
    assert ct.num(1200) == "1,200" and ct.num(1.625) == "1.62" and ct.num(0.00123) == "0.00123"
    assert ct.num(float("nan")) == "not a number"
    rows = [(i,) for i in range(7)]
    assert ct.thin_rows(rows, 3) == [(0,), (3,), (6,)]
    assert ct.thin_rows(rows, 50) == rows


def _moves(sentence: str) -> list[tuple[str, float, float]]:
    """("falls"/"rises", from, to) for every "falls from a% to b%" / "rises from …" in a sentence."""
    import re

    return [(w, float(a), float(b)) for w, a, b in re.findall(r"(falls|rises) from ([\d.]+)% to ([\d.]+)%", sentence)]


def test_temperature_example_always_shows_its_claim_even_with_top_k():
    """T > 1 says it flattens: its example shows the top token falling and a rare one rising, even when top-k then
    gives the top token everything (the screen once read "flattens … 90.4% → 100.0%")."""
    from core.models.sampling import reweight

    labels = ["⏎", "a", "b", "c", "d"]
    p = np.array([0.904, 0.05, 0.03, 0.015, 0.001])
    hot = ct.temperature_effect(reweight(p, 1.5, top_k=1), labels, reweight(p, 1.5, top_k=1).top(5))
    assert "flattens" in hot and "ends at 100.0%" in hot
    (w1, a1, b1), (w2, a2, b2) = _moves(hot)
    assert (w1, w2) == ("falls", "rises") and a1 > b1 and a2 < b2
    rng = np.random.default_rng(0)
    for _ in range(200):  # any distribution, temperature and top-k: the numbers move the way the words say
        q = rng.dirichlet(np.full(8, rng.choice([0.05, 0.5, 5.0])))
        T = float(rng.choice([0.3, 0.7, 0.95, 1.05, 1.5, 3.0]))
        rw = reweight(q, T, top_k=int(rng.integers(0, 4)))
        said = ct.temperature_effect(rw, list("abcdefgh"), rw.top(8))
        assert ("flattens" in said) == (T > 1) and ("sharpens" in said) == (T < 1)
        for word, a, b in _moves(said):
            assert (a > b) if word == "falls" else (a < b), said


def test_temperature_example_says_when_nothing_shows():
    from core.models.sampling import reweight

    sure = reweight(np.array([1.0, 0.0, 0.0]), 2.0)
    said = ct.temperature_effect(sure, ["x", "y", "z"], sure.top(3))
    assert "too small to show" in said and not _moves(said)
    assert "T = 0 always picks" in ct.temperature_effect(reweight(np.array([0.6, 0.4]), 0.0), ["x", "y"], [0, 1])
