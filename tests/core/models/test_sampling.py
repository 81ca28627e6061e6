"""The shared sampler: temperature, top-k, entropy and the records the inspector draws."""

import numpy as np
import pytest

from core.models.sampling import adjust_distribution, entropy, generate, top_candidates


class FixedModel:
    """A model whose next-token distribution is always the same."""

    def __init__(self, p):
        self.p = np.asarray(p, dtype=float)

    def initial_state(self):
        return 0

    def next_token_probs(self, state, token):
        return self.p, state + 1


P = np.array([0.5, 0.25, 0.15, 0.1])


def test_temperature_one_is_identity_and_zero_is_argmax():
    np.testing.assert_allclose(adjust_distribution(P, 1.0), P)
    np.testing.assert_array_equal(adjust_distribution(P, 0.0), [1, 0, 0, 0])


def test_temperature_sharpens_and_flattens():
    cold, hot = adjust_distribution(P, 0.5), adjust_distribution(P, 2.0)
    assert cold[0] > P[0] > hot[0]
    assert entropy(cold) < entropy(P) < entropy(hot)
    np.testing.assert_allclose(cold, P**2 / (P**2).sum())


def test_top_k_keeps_only_k_and_large_k_is_noop():
    q = adjust_distribution(P, 1.0, top_k=2)
    np.testing.assert_allclose(q, [2 / 3, 1 / 3, 0, 0])
    np.testing.assert_allclose(adjust_distribution(P, 1.0, top_k=100), P)
    np.testing.assert_allclose(adjust_distribution(P, 1.0, top_k=0), P)


def test_bad_distributions_are_refused():
    with pytest.raises(ValueError):
        adjust_distribution(np.array([np.nan, 1.0]), 1.0)
    with pytest.raises(ValueError):
        adjust_distribution(P, -1.0)


def test_sampling_frequencies_match_distribution():
    recs = generate(FixedModel(P), 20000, temperature=1.0, rng=np.random.default_rng(0))
    freq = np.bincount([r.picked for r in recs], minlength=4) / len(recs)
    np.testing.assert_allclose(freq, P, atol=0.015)


def test_top_k_never_picks_outside_and_records_are_consistent():
    recs = generate(FixedModel(P), 2000, temperature=1.3, top_k=2, rng=np.random.default_rng(1))
    assert {r.picked for r in recs} == {0, 1}
    r = recs[0]
    np.testing.assert_allclose(r.probs, P)
    assert r.p_picked == pytest.approx(r.adjusted[r.picked])
    assert r.entropy == pytest.approx(entropy(r.adjusted))
    assert r.entropy_model == pytest.approx(entropy(P))


def test_stop_token_prime_and_zero_length():
    recs = generate(FixedModel([0.0, 1.0]), 50, rng=np.random.default_rng(0), stop_token=1)
    assert len(recs) == 1
    assert generate(FixedModel(P), 0, rng=np.random.default_rng(0)) == []
    assert len(generate(FixedModel(P), 5, rng=np.random.default_rng(0), prime=[1, 2, 3])) == 5


def test_entropy_and_top_candidates():
    assert entropy([1.0, 0.0]) == 0.0
    assert entropy([0.5, 0.5]) == pytest.approx(np.log(2))
    assert top_candidates(P, ["a", "b", "c", "d"], k=2) == [("a", 0.5), ("b", 0.25)]


def test_avoided_tokens_are_never_picked_and_runs_are_capped():
    model = FixedModel([0.7, 0.2, 0.1])
    plain = [r.picked for r in generate(model, 12, temperature=0.0, rng=np.random.default_rng(0))]
    assert plain == [0] * 12
    recs = generate(model, 12, temperature=0.0, rng=np.random.default_rng(0), avoid=(0,), max_repeat=3)
    picks = [r.picked for r in recs]
    assert 0 not in picks and picks[:4] == [1, 1, 1, 2]  # three 1s, then the next most likely allowed value
    assert all(r.probs[0] == pytest.approx(0.7) for r in recs)  # the records keep the model's own probabilities
    assert all(r.adjusted[0] == 0.0 for r in recs)
    sampled = generate(model, 300, temperature=1.0, rng=np.random.default_rng(1), avoid=(0,))
    assert 0 not in {r.picked for r in sampled}


def test_rules_give_way_when_nothing_would_be_left():
    model = FixedModel([1.0, 0.0])
    picks = [r.picked for r in generate(model, 5, temperature=0.0, rng=np.random.default_rng(0), max_repeat=2)]
    assert picks == [0] * 5  # the only possible token, even past the run's cap


def test_entropy_of_a_sure_choice_is_plain_zero():
    """A sure choice has entropy 0, never -0 ("-0.00 nats" on screen) nor a rounding error below 0."""
    for p in ([1.0], [1.0, 0.0, 0.0], [0.0, 1.0]):
        assert f"{entropy(p):.2f}" == "0.00"
    assert entropy([1 - 1e-17, 1e-17]) >= 0.0
