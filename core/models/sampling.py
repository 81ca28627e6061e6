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

``first_step_probs`` and ``reweight`` serve the temperature view shown beside every temperature slider: the
distribution of the next token a fresh sample would start with, before and after p^(1/T) renormalised.
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
    h = float(-(nz * np.log(nz)).sum())
    return h if h > 0.0 else 0.0  # never -0.0 (a sure choice), nor a rounding error below 0


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
    avoid: Sequence[int] = (),
    max_repeat: int | None = None,
) -> list[StepRecord]:
    """Generate up to ``max_steps`` tokens and return one record per generated token.

    prime: token indices fed through the model first (their predictions are not recorded); the model's
        prediction after the last primed token is the first generated step.
    first_input: what to feed at the very first step when there is no prime (None = the zero vector).
    stop_token: generation ends after this token is picked (it is recorded).
    avoid: tokens never picked (their probability is set to 0 before temperature and top-k).
    max_repeat: a token picked this many times in a row is not picked next (the next most likely is, with
        temperature 0). Either rule gives way when it would leave nothing to pick. A record's ``probs`` stay the
        model's; its ``adjusted`` is what was picked from.
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
        adjusted = adjust_distribution(allowed(probs, records, avoid, max_repeat), temperature, top_k)
        idx = pick(adjusted, rng)
        records.append(
            StepRecord(
                probs=np.asarray(probs, dtype=np.float64), adjusted=adjusted, picked=idx, p_picked=float(adjusted[idx])
            )
        )
        token = idx
        if stop_token is not None and idx == stop_token:
            break
    return records


def allowed(
    probs: np.ndarray, records: Sequence[StepRecord], avoid: Sequence[int], max_repeat: int | None
) -> np.ndarray:
    """``probs`` with the avoided tokens, and a token that ends a run of ``max_repeat`` picks, set to 0 (unchanged
    when that would leave nothing)."""
    if not avoid and max_repeat is None:
        return probs
    p = np.array(probs, dtype=np.float64).ravel()
    out = p.copy()
    out[list(avoid)] = 0.0
    if max_repeat is not None and len(records) >= max_repeat:
        last = {r.picked for r in records[-max_repeat:]}
        if len(last) == 1:
            out[last.pop()] = 0.0
    return out if out.sum() > 0 else p


def top_candidates(p: np.ndarray, labels: Sequence[str], k: int = 5) -> list[tuple[str, float]]:
    """The k most likely tokens as (label, probability), most likely first."""
    order = np.argsort(-np.asarray(p), kind="stable")[:k]
    return [(labels[i], float(p[i])) for i in order]


# --- the temperature view (every lab) -------------------------------------------------------------------------
def first_step_probs(model: TokenModel, prime: Sequence[int] = (), first_input: int | None = None) -> np.ndarray:
    """(vocab,) the model's distribution (T = 1) for the first token ``generate`` would pick with these arguments."""
    state = model.initial_state()
    token: int | None = first_input
    for t in prime:
        _, state = model.next_token_probs(state, token)
        token = int(t)
    probs, _ = model.next_token_probs(state, token)
    return np.asarray(probs, dtype=np.float64).ravel()


@dataclass(frozen=True)
class Reweighted:
    """One distribution before and after temperature: after = p^(1/T) / sum(p^(1/T)) (T = 0: all on the argmax), then
    top-k when it is on."""

    before: np.ndarray  # (vocab,) the model's distribution at T = 1
    after: np.ndarray  # (vocab,) what a sample at this temperature draws from (temperature, then top-k)
    temperature: float  # T
    top_k: int | None = None  # top-k applied after temperature (None: off)
    tempered: np.ndarray | None = None  # (vocab,) after temperature alone, before top-k (None: the same as after)

    @property
    def by_temperature(self) -> np.ndarray:
        """(vocab,) the distribution after temperature alone: what temperature does, whatever top-k does next."""
        return self.after if self.tempered is None else self.tempered

    @property
    def entropy_before(self) -> float:
        return entropy(self.before)

    @property
    def entropy_after(self) -> float:
        return entropy(self.after)

    def top(self, k: int) -> list[int]:
        """The k most likely indices under ``before`` (for T > 0 the same order as ``after``: p^(1/T) keeps the
        order)."""
        return [int(i) for i in np.argsort(-self.before, kind="stable")[: max(1, int(k))]]

    def rest(self, k: int) -> tuple[float, float]:
        """(before, after) probability of everything outside ``top(k)``."""
        keep = self.top(k)
        return float(1.0 - self.before[keep].sum()), float(1.0 - self.after[keep].sum())


def reweight(probs: np.ndarray, temperature: float, top_k: int | None = None) -> Reweighted:
    """``probs`` (renormalised) before and after temperature ``temperature`` (and top-k, when given, as the sampler
    does)."""
    before = adjust_distribution(probs, 1.0)
    top_k = int(top_k) if top_k else None
    T = float(temperature)
    tempered = adjust_distribution(before, T) if top_k else None
    return Reweighted(before, adjust_distribution(before, T, top_k), T, top_k, tempered)
