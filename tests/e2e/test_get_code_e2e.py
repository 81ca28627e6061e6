"""Real browser: "Get the code" on the Dinosaur lab. Train a little, download the .zip of the trained model's code,
unzip it and run its script (its settings block set to a few more names) with this interpreter."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile

import numpy as np

from .conftest import assert_no_exception, metric_int, open_tab, shot, wait_idle, wait_refreshes


def test_get_the_code_of_the_trained_dinosaur_model(page, app_url, tmp_path):
    page.goto(app_url + "/dinosaurs")
    page.get_by_role("heading", name="🦕 Dinosaur names").wait_for()
    wait_idle(page)
    page.get_by_role("button", name="▶ Start").click()
    wait_refreshes(page, "Names trained on", 1)
    page.get_by_role("button", name="■ Stop").click()
    wait_idle(page)
    assert metric_int(page, "Names trained on") > 0

    open_tab(page, "Files & hand-in")
    page.get_by_role("heading", name="Get the code").scroll_into_view_if_needed()
    choice = page.get_by_role("radiogroup", name="Start the code").get_by_text("from my trained model")
    choice.click()
    wait_idle(page)
    step = int(re.search(r"step ([\d,]+)", choice.inner_text()).group(1).replace(",", ""))  # the step it offers
    page.get_by_text("dinosaur_rnn_weights.npz").first.wait_for()
    shot(page, "get_code_dino", full_page=False)
    assert_no_exception(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="⬇ Everything (.zip)").click()
    assert info.value.suggested_filename == "dinosaur_rnn_trained.zip"
    path = tmp_path / "code.zip"
    info.value.save_as(path)
    with zipfile.ZipFile(path) as z:
        assert set(z.namelist()) == {
            "dinosaur_rnn_trained.py",
            "dinosaur_rnn_trained.ipynb",
            "dinos.txt",
            "dinosaur_rnn_weights.npz",
            "README.txt",
        }
        z.extractall(tmp_path)
    w = np.load(tmp_path / "dinosaur_rnn_weights.npz", allow_pickle=False)
    assert int(w["iteration"]) == step  # the weights of the step the page showed

    script = tmp_path / "dinosaur_rnn_trained.py"
    source, n = re.subn(r"(?m)^num_iterations = \d+", f"num_iterations = {step + 25}", script.read_text())
    assert n == 1  # the settings block holds the iteration budget
    script.write_text(source)
    done = subprocess.run([sys.executable, script.name], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"after {step:,} names" in done.stdout
    losses = np.loadtxt(tmp_path / "losses.csv", delimiter=",", skiprows=1, ndmin=2)
    assert losses[:, 0].tolist() == list(range(step + 1, step + 26)) and np.all(np.isfinite(losses[:, 1:]))
