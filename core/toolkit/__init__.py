"""The teacher's toolkit: links, race, hand-in, baselines and the memorisation meter."""
