"""The loop-on-one-screen benchmark (bench/clicks.py): its baselines train the lab's own model, and its report states
each target from every lab's figure. No timing assertions."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from bench import report
from bench.clicks import CourseLoop, FitSteps, _browser_on_own_core, default_lab, in_process_speed


def test_the_course_loop_trains_exactly_what_the_dinosaur_lab_trains():
    lab = default_lab("dinosaurs")
    loop = CourseLoop(lab.trainer, seconds=0.0)
    loop._names(30)
    lab.trainer.train_steps(30)
    for k, w in lab.trainer.parameters.items():
        np.testing.assert_allclose(loop.parameters[k], w, rtol=1e-10, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("page", ["text", "music"])
def test_plain_fit_builds_the_labs_model_on_its_batches(page):
    lab = default_lab(page)
    plain = FitSteps(lab.trainer, seconds=0.0)
    assert plain.fit.model.count_params() == lab.trainer.model.count_params()
    assert plain.per_step == lab.trainer.config.batch_size * lab.trainer.config.seq_len


def test_in_process_rounds_alternate_the_lab_and_the_plain_way():
    out = in_process_speed("dinosaurs", rounds=2, seconds=0.3)
    assert len(out["ratios"]) == 2 and out["slices"] > 0
    assert all(x > 0 for x in out["lab_steps_per_s"] + out["plain_steps_per_s"])
    assert out["ratio"] == pytest.approx(float(np.median(out["ratios"])), rel=1e-2)


def _lab(widget_idle, widget_training, stop, first):
    return dict(
        widget_idle_s=widget_idle,
        widget_training_s=widget_training,
        stop_s=stop,
        start_to_first_point_s=first,
        repeats=10,
    )


def _speed(ratio):
    return dict(ratio=ratio, ratios=[ratio], lab_steps_per_s=[10.0], plain_steps_per_s=[10.0 / ratio], plain="x")


def test_a_target_is_met_only_when_every_lab_meets_it():
    c = dict(
        dinosaurs=_lab(0.2, 0.3, 0.1, 0.5),
        text=_lab(0.25, 0.45, 0.2, 1.2),
        music=_lab(0.2, 0.6, 0.1, 0.9),  # a widget while training: over 0.5 s
        in_process={lab: _speed(0.97) for lab in ("dinosaurs", "text", "music")},
        in_browser=dict(dinosaurs=_speed(0.96), text=_speed(0.94), music=_speed(0.99)),
        in_browser_own_core={lab: _speed(0.98) for lab in ("dinosaurs", "text", "music")},
    )
    rows = {t["id"]: t for t in report.targets(dict(meta=dict(mode="full"), click_latency_s=c))}
    assert rows["9a"]["met"] is True and rows["9c"]["met"] is True and rows["9d"]["met"] is True
    assert rows["9b"]["met"] is False and "music 0.60 s" in rows["9b"]["value"]
    assert rows["9e"]["met"] is True
    assert rows["9f"]["met"] is False and "text 0.94x" in rows["9f"]["value"]
    assert rows["9g"]["met"] is True and "dinosaurs 0.98x" in rows["9g"]["value"]
    md = "\n".join(report._clicks(dict(click_latency_s=c)))
    assert "| music | 0.20 s | 0.60 s | 0.90 s | 0.10 s |" in md
    assert "| text | **0.94x** |" in md


def test_an_unmeasured_lab_leaves_the_target_open():
    c = dict(dinosaurs=_lab(0.2, 0.3, 0.1, 0.5), text=dict(error="TimeoutError: x"), music=_lab(0.2, 0.3, 0.1, 0.5))
    rows = {t["id"]: t for t in report.targets(dict(meta=dict(mode="full"), click_latency_s=c))}
    assert rows["9a"]["met"] is None and "text –" in rows["9a"]["value"]
    assert rows["9e"]["met"] is None and rows["9e"]["note"] == "not measured"


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: nothing to keep apart")
def test_the_browser_gets_a_core_of_its_own_and_every_process_gets_every_core_back():
    cores = set(os.sched_getaffinity(0))
    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with _browser_on_own_core(server.pid) as place:
            place()
            assert os.sched_getaffinity(server.pid) == cores - {max(cores)}
            assert os.sched_getaffinity(0) == cores - {max(cores)}
        assert os.sched_getaffinity(server.pid) == cores and os.sched_getaffinity(0) == cores
    finally:
        server.kill()
        server.wait()
