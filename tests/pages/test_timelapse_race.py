"""AppTest of the time-lapse and the architecture race on the Dinosaur and Text pages (tiny configs)."""

import json

import numpy as np

from core.toolkit.race import Race
from tests.support.apptest import button, open_page, tiny_text
from ui.toolkit.timelapse_view import LIVE


def _expander_text(at) -> str:
    return " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)


def test_dino_time_lapse_scrubs_without_touching_the_live_model():
    at = open_page("pages/dinosaurs.py")
    at.slider(key="dino_n_a").set_value(8)
    at.run()
    assert not any("Train for a moment" in i.value for i in at.info)  # closed: nothing is drawn
    at.session_state["dino_tl_open"] = True  # the student opens the time-lapse
    at.run()
    assert any("Train for a moment" in i.value for i in at.info)
    for _ in range(3):
        button(at, "Step").click()
        at.run()
    lab = at.session_state["dino"]
    steps = lab.snapshot_steps()
    assert len(steps) >= 3 and steps[0] == 0
    assert "At most 30 snapshots ×" in _expander_text(at)
    live = {k: v.copy() for k, v in lab.trainer.parameters.items()}
    live_step = lab.trainer.step
    seen = {}
    assert at.select_slider(key="dino_tl_step").options == [f"{s:,}" for s in steps[:-1]] + [LIVE]
    for stop in (steps[0], steps[len(steps) // 2], LIVE):
        k = live_step if stop == LIVE else stop
        at.select_slider(key="dino_tl_step").set_value(stop)
        at.run()
        assert not at.exception
        line = f"**Step {k:,}**" + (" (the live model)" if stop == LIVE else f" of {live_step:,}")
        assert any(m.value.startswith(line) for m in at.markdown)
        names = lab.short_sample(lab.model_at(k), 0).items  # what the view draws at step k (seed 0)
        shown = next(
            m.value
            for m in at.markdown
            if all(n in m.value for n in names if n) and " · " in m.value and not m.value.startswith("**Step")
        )
        seen[k] = shown
        assert any(m.label == "Picked" for m in at.metric)  # the inspector at that step
    assert seen[steps[0]] != seen[live_step]  # the untrained model's names differ from the trained one's
    assert lab.trainer.step == live_step
    for k, v in lab.trainer.parameters.items():
        np.testing.assert_array_equal(v, live[k])


def test_dino_time_lapse_keeps_the_chosen_step_while_training():
    """Each run of the page trains one slice (the live fragment) and then draws the time-lapse: the step the student
    picked stays picked while training adds snapshots, and the step line names it and the live step of that run."""
    at = open_page("pages/dinosaurs.py")
    at.slider(key="dino_n_a").set_value(8)
    at.number_input(key="dino_iters").set_value(500_000)  # a fast machine must not end the run before the checks
    at.run()
    at.session_state["dino_tl_open"] = True
    button(at, "▶ Start").click()
    at.run()
    for _ in range(3):
        at.run()
    lab = at.session_state["dino"]
    assert lab.running and len(lab.snapshot_steps()) >= 4
    at.select_slider(key="dino_tl_step").set_value(0)
    at.run()
    for _ in range(4):
        before = lab.trainer.step
        at.run()
        assert not at.exception
        assert lab.trainer.step > before  # training went on
        assert at.select_slider(key="dino_tl_step").value == 0
        assert any(m.value.startswith(f"**Step 0** of {lab.trainer.step:,}") for m in at.markdown)
    # a kept step that the doubling spacing drops moves to the nearest kept one, not to the live step
    middle = lab.timelapse.steps[1]
    at.select_slider(key="dino_tl_step").set_value(middle)
    at.run()
    for _ in range(40):
        if middle not in lab.timelapse.steps:
            break
        at.run()
    assert middle not in lab.timelapse.steps
    now = at.select_slider(key="dino_tl_step").value
    assert now != LIVE and now in lab.timelapse.steps
    assert now == min(lab.timelapse.steps, key=lambda s: (abs(s - middle), -s))
    # "live" follows the live model's step
    at.select_slider(key="dino_tl_step").set_value(LIVE)
    at.run()
    for _ in range(2):
        at.run()
        assert at.select_slider(key="dino_tl_step").value == LIVE
        assert any(m.value.startswith(f"**Step {lab.trainer.step:,}** (the live model)") for m in at.markdown)


def test_dino_race_runs_in_the_live_fragment():
    at = open_page("pages/dinosaurs.py")
    at.slider(key="dino_n_a").set_value(8)
    at.run()
    at.multiselect(key="dino_race_cfg").set_value([5, 10])
    at.slider(key="dino_race_secs").set_value(5)
    at.run()
    at.button(key="dino_race_start").click()
    at.run()
    assert not at.exception
    race = at.session_state["dino_race"]
    assert isinstance(race, Race) and race.running and [r.label for r in race.racers] == ["n_a 5", "n_a 10"]
    assert not at.session_state["dino"].running  # one lab at a time: the race is this session's training
    for _ in range(40):
        at.run()  # each run of the page runs one tick of the race's live fragment
        if not race.running:
            break
    assert race.finished and not race.running
    assert any("Race finished" in s.value for s in at.success)
    assert all(r.sample is not None for r in race.racers)
    # the lab starts: the race is paused, not trained along
    button(at, "▶ Start").click()
    at.run()
    assert at.session_state["dino"].running and not race.running


def test_text_time_lapse_and_race_of_three_cells():
    at = open_page("pages/text.py")
    tiny_text(at)
    at.run()
    button(at, "Step").click()
    at.run()
    button(at, "Step").click()
    at.run()
    lab = at.session_state["text"]
    steps = lab.snapshot_steps()
    assert len(steps) >= 2
    at.session_state["text_tl_open"] = True
    at.run()
    at.select_slider(key="text_tl_step").set_value(steps[0])
    at.run()
    assert not at.exception
    assert any(m.value.startswith("**Step 0**") for m in at.markdown)
    assert any(m.label == "Picked" for m in at.metric)
    at.slider(key="text_race_secs").set_value(5)
    at.run()
    at.button(key="text_race_start").click()
    at.run()
    assert not at.exception, at.exception
    race = at.session_state["text_race"]
    assert [r.label for r in race.racers] == ["SimpleRNN 16", "LSTM 16", "GRU 16"]
    for _ in range(60):
        at.run()
        if not race.running:
            break
    assert race.finished
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    race_fig = [f for f in figures if any(str(tr.get("name", "")).startswith("GRU 16 ·") for tr in f["data"])]
    assert len(race_fig) == 1  # one chart, a line per configuration
    assert sorted(tr["name"] for tr in race_fig[0]["data"]) == [
        "GRU 16 · validation",
        "LSTM 16 · validation",
        "SimpleRNN 16 · validation",
    ]
    assert all(r.sample is not None and r.sample.items[0] for r in race.racers)
    assert sum(1 for c in at.code if c.value in {r.sample.items[0] for r in race.racers}) == 3


def test_music_time_lapse_and_race_lstm_vs_course_model():
    from core.music import motif
    from core.music import music_data as md

    if not md.bundled_styles():
        import pytest

        pytest.skip("no bundled corpus in data/midi")
    from tests.support.apptest import tiny_music

    at = open_page("pages/music.py")
    tiny_music(at)
    at.run()
    for _ in range(2):
        button(at, "Step").click()
        at.run()
    lab = at.session_state["music"]
    steps = lab.snapshot_steps()
    assert len(steps) >= 2
    at.session_state["music_tl_open"] = True
    at.run()
    at.select_slider(key="music_tl_step").set_value(steps[0])
    at.run()
    assert not at.exception, at.exception
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert any("composed from silence at step 0" in json.dumps(f.get("layout", {}).get("title", "")) for f in figures)
    at.slider(key="music_race_secs").set_value(5)
    at.run()
    at.button(key="music_race_start").click()
    at.run()
    assert not at.exception, at.exception
    race = at.session_state["music_race"]
    assert [r.label for r in race.racers] == ["LSTM 8", "course n_a 8"]
    assert lab.course_vocab is None and lab.kind == "lstm"  # building the course's racer left the lab's own run alone
    for _ in range(60):
        at.run()
        if not race.running:
            break
    assert race.finished and not at.exception
    assert any("No winner: the losses are over different targets" in w.value for w in at.warning)
    assert "Lowest" not in race.note.text
    course = race.racers[1]
    assert course.sample.kind == "music" and set(course.sample.labels) == {
        motif.value_text(v) for v in course.extras["course_vocab"].itos
    }  # the course's values, as the page writes them
    assert all(len(r.sample.items) > 0 for r in race.racers)
