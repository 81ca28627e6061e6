"""One sampler for every model in the playground, and the trace the inspector shows.

Every lab's model (the numpy RNN, the Keras text models, the music LSTM) exposes the same two calls:

    state = model.initial_state()
    probs, state = model.next_token_probs(state, token)   # probs: (vocab_size,), sums to 1

`token` is the index fed in at this step, or ``None`` for "no input" (the zero vector the course feeds
first). ``generate`` drives any such model one step at a time and records, for every generated token,
the distribution the model believed (temperature 1), the distribution it was actually drawn from (after
temperature and top-k), what was picked and how surprised the model was. The inspector draws exactly
these records, so what a student sees is what the sampler used.

Simplifications on purpose: temperature is applied to log-probabilities (equivalent to dividing the
logits), temperature 0 means argmax, and ties in top-k are broken by index order.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol, Sequence

import numpy as np


class TokenModel(Protocol):
    """What the sampler and the inspector need from a model, whatever the backend."""

    def initial_state(self) -> Any: ...

    def next_token_probs(self, state: Any, token: int | None) -> tuple[np.ndarray, Any]: ...


@dataclass(frozen=True)
class StepRecord:
    """What happened at one generated step (entropies are computed when first asked for)."""

    probs: np.ndarray  # (vocab,) the model's distribution at temperature 1
    adjusted: np.ndarray  # (vocab,) the distribution actually sampled from (temperature, top-k)
    picked: int  # index of the token that was chosen
    p_picked: float  # adjusted[picked]

    @cached_property
    def entropy(self) -> float:
        """Entropy of `adjusted` (what was sampled from), in nats."""
        return entropy(self.adjusted)

    @cached_property
    def entropy_model(self) -> float:
        """Entropy of `probs` (the model at temperature 1), in nats."""
        return entropy(self.probs)


def entropy(p: np.ndarray) -> float:
    """Shannon entropy in nats; zero-probability entries contribute nothing."""
    p = np.asarray(p, dtype=np.float64)
    nz = p[p > 0]
    return float(-(nz * np.log(nz)).sum())


def adjust_distribution(probs: np.ndarray, temperature: float = 1.0, top_k: int | None = None) -> np.ndarray:
    """Apply top-k and temperature to a probability vector and renormalise.

    temperature 0 puts all mass on the argmax; top_k None, 0 or >= vocab keeps every token.
    """
    p = np.asarray(probs, dtype=np.float64).ravel()
    if p.size == 0:
        raise ValueError("empty distribution")
    if not np.all(np.isfinite(p)):
        raise ValueError("the model produced a distribution with NaN or infinite values")
    p = np.clip(p, 0.0, None)
    if temperature is None or temperature < 0:
        raise ValueError("temperature must be >= 0")
    no_top_k = top_k is None or not 0 < top_k < p.size
    if temperature == 1 and no_top_k:  # the common case, without a trip through logs
        total = p.sum()
        if total > 0:
            return p / total
    if temperature == 0:
        out = np.zeros_like(p)
        out[int(np.argmax(p))] = 1.0
        return out
    keep = np.ones(p.size, dtype=bool)
    if not no_top_k:
        # stable argsort: equal probabilities keep index order
        order = np.argsort(-p, kind="stable")
        keep[:] = False
        keep[order[:top_k]] = True
    with np.errstate(divide="ignore"):
        logp = np.where(keep & (p > 0), np.log(np.where(p > 0, p, 1.0)), -np.inf)
    z = logp / float(temperature)
    z = z - np.max(z)
    w = np.exp(z)
    total = w.sum()
    if not np.isfinite(total) or total <= 0:
        out = np.zeros_like(p)
        out[int(np.argmax(p))] = 1.0
        return out
    return w / total


def pick(adjusted: np.ndarray, rng: np.random.Generator) -> int:
    """Draw one index from an adjusted distribution (inverse CDF: one uniform number per draw)."""
    cdf = np.cumsum(adjusted)
    i = int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"))
    return min(i, adjusted.size - 1)


def generate(
    model: TokenModel,
    max_steps: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    rng: np.random.Generator,
    prime: Sequence[int] = (),
    first_input: int | None = None,
    stop_token: int | None = None,
) -> list[StepRecord]:
    """Generate up to ``max_steps`` tokens and return one record per generated token.

    prime: token indices fed through the model first (their predictions are not recorded); the model's
        prediction after the last primed token is the first generated step.
    first_input: what to feed at the very first step when there is no prime (None = the zero vector).
    stop_token: generation ends after this token is picked (it is recorded).
    """
    state = model.initial_state()
    records: list[StepRecord] = []
    if max_steps <= 0:
        return records
    token: int | None = first_input
    probs = None
    for t in prime:
        probs, state = model.next_token_probs(state, token)
        token = int(t)
    for _ in range(max_steps):
        probs, state = model.next_token_probs(state, token)
        adjusted = adjust_distribution(probs, temperature, top_k)
        idx = pick(adjusted, rng)
        records.append(StepRecord(probs=np.asarray(probs, dtype=np.float64), adjusted=adjusted, picked=idx, p_picked=float(adjusted[idx])))
        token = idx
        if stop_token is not None and idx == stop_token:
            break
    return records


def top_candidates(p: np.ndarray, labels: Sequence[str], k: int = 5) -> list[tuple[str, float]]:
    """The k most likely tokens as (label, probability), most likely first."""
    order = np.argsort(-np.asarray(p), kind="stable")[:k]
    return [(labels[i], float(p[i])) for i in order]
