"""Look inside: pure functions of a model and token ids (influence, neurons, the parameter formula)."""
