"""ui/server/runner.py: Streamlit must not clear Keras (nor force a full garbage collection) after every run.

Both cost ~0.15 s per run with TensorFlow loaded; a lab training live reruns about once a second, so they
took about a third of its training time (bench/browser.py measured it). These tests fail if a Streamlit
upgrade moves the private function the tweak replaces, or if the tweak or the config line goes missing.
"""

import sys
import tomllib

import pytest

from tests.support import ROOT
from tests.support.apptest import open_page


def test_the_app_installs_the_replacement(monkeypatch):
    from streamlit.runtime.scriptrunner import script_runner

    from ui.server import runner

    assert hasattr(script_runner, "_clean_problem_modules"), "Streamlit moved its cleanup: revisit ui/server/runner.py"
    monkeypatch.setattr(script_runner, "_clean_problem_modules", lambda: None)  # as if nothing had installed it yet
    open_page("pages/home.py")  # runs app.py, as every page visit does
    assert script_runner._clean_problem_modules is runner._clean_problem_modules_but_keras


def test_the_replacement_leaves_keras_alone(monkeypatch):
    from ui.server import runner

    keras = pytest.importorskip("keras")
    calls = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *a, **k: calls.append(1))
    assert "keras" in sys.modules
    runner._clean_problem_modules_but_keras()
    assert calls == []


def test_config_turns_off_the_forced_collection():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["postScriptGC"] is False
