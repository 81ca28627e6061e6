"""The load test's protocol student (deploy.load.bot) against the real app: it must keep a training session's chart
refreshing as a browser tab does, or the class capacity table measures nothing (a page with two timed fragments
once left it rerunning the wrong one: its counter never moved after Start)."""

from __future__ import annotations

import time

import pytest

from deploy.load.bot import Bot


@pytest.mark.parametrize("lab", ["dinosaurs", "music"])
def test_a_protocol_student_sees_the_training_counter_move(app_url, lab):
    bot = Bot(app_url, lab)
    bot.start()
    deadline = time.perf_counter() + 60
    try:
        while time.perf_counter() < deadline:
            values = [v for _, v in bot.updates]
            if len(set(values)) >= 6:
                break
            time.sleep(0.5)
    finally:
        bot.stop()
    assert bot.started.is_set(), "the bot never found the Start button"
    assert not bot.closed_early and not bot.exceptions and not bot.errors, (bot.closed_early, bot.errors)
    values = [v for _, v in bot.updates]
    assert len(set(values)) >= 6, f"the counter moved only through {sorted(set(values))}"
    assert values == sorted(values), "the counter went backwards"
