"""5. App start: does the home page import TensorFlow, and how long from pressing Start in the Text lab
to the first point of the loss curve.

Each probe runs in a fresh Python process (cold imports, clean ``sys.modules``) with Streamlit's AppTest:
open app.py (home), switch to pages/text.py, keep the bundled Shakespeare and the default settings, press
Start, and rerun until the trainer's loss history has a point (AppTest runs the live fragment inline, so
one rerun = one UI tick without the browser's timer).
"""

from __future__ import annotations

import json
import subprocess
import sys

from bench.common import ROOT, Settings, log

HOME_PROBE = r"""
import json, sys, time
t0 = time.perf_counter()
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("app.py", default_timeout=120)
at.run()
print("BENCH_JSON", json.dumps(dict(
    home_render_s=time.perf_counter() - t0, tensorflow="tensorflow" in sys.modules, keras="keras" in sys.modules,
    exception=[str(e.value)[:300] for e in at.exception])))
"""

TEXT_PROBE = r"""
import json, sys, time
from streamlit.testing.v1 import AppTest
out = {}
at = AppTest.from_file("app.py", default_timeout=300)
at.run()
t0 = time.perf_counter()
at.switch_page("pages/text.py")
at.run()
out["text_page_open_s"] = time.perf_counter() - t0  # imports TensorFlow and builds the default model
radio = [r for r in at.radio if r.key == "text_source"]
if radio and radio[0].value != "Shakespeare (bundled)":
    radio[0].set_value("Shakespeare (bundled)")
    at.run()
start = next(b for b in at.button if b.label.startswith("▶ Start"))
t0 = time.perf_counter()
start.click()
at.run()
runs = 1
t = at.session_state["text"]
while len(t.history) == 0 and runs < 10 and not at.exception:
    at.run()
    runs += 1
out["first_loss_point_s"] = time.perf_counter() - t0
out["reruns"] = runs
out["steps_at_first_point"] = t.step
out["config"] = t.config.label()
out["exception"] = [str(e.value)[:300] for e in at.exception]
print("BENCH_JSON", json.dumps(out))
"""


def _probe(code: str, timeout: float) -> dict:
    try:
        p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return dict(error=f"timed out after {timeout:.0f} s")
    for line in p.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line[len("BENCH_JSON ") :])
    return dict(error=f"exit {p.returncode}: {p.stderr.strip()[-600:]}")


def run(s: Settings) -> dict:
    log("[app start] home page probe")
    home = _probe(HOME_PROBE, 180)
    out = dict(home_page_imports_tensorflow=home.get("tensorflow"), home=home)
    if s.app_first_loss:
        log("[app start] Text lab: open, press Start, first loss point")
        out["text_lab"] = _probe(TEXT_PROBE, 600)
    else:
        out["text_lab"] = dict(skipped=f"{s.mode} mode")
    return out
