"""The home page opens fast: importing the app's home page and the numpy lab must not import TensorFlow."""

import subprocess
import sys

from tests.support import ROOT

PROBE = """
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("app.py", default_timeout=30)
at.run()
assert not at.exception, at.exception
print("HOME_TF", "tensorflow" in sys.modules, "keras" in sys.modules)
at.switch_page("pages/dinosaurs.py")
at.run()
assert not at.exception, at.exception
print("DINO_TF", "tensorflow" in sys.modules, "keras" in sys.modules)
"""


def test_home_and_dino_pages_do_not_import_tensorflow():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "HOME_TF False False" in out.stdout
    assert "DINO_TF False False" in out.stdout
