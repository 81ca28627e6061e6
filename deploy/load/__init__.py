"""The classroom load test (scripts/load_test.py is its command line, and describes the workload) and the pieces
the soak run (scripts/soak.py) shares with it.

One job per module: labs (each lab's page and counter), proc (memory and CPU from /proc), browser (Chromium tabs),
bot (protocol sessions over Streamlit's WebSocket, and how they read the page), measure (rates, refresh gaps, lost
sessions, settled memory), phases (the class scenario and the capacity ramp), memory (the memory scenario), report
(docs/load-test.md). This module gathers the names the scripts and their tests use.
"""

from deploy.load.bot import REFUSED, next_action, params_in, suggestion_label
from deploy.load.browser import CHROMIUM_ARGS, home_load, read_counter
from deploy.load.labs import LABS, address
from deploy.load.measure import session_lost, settled, time_to_return
from deploy.load.memory import memory_problems, memory_run
from deploy.load.phases import capacity_ramp, run_phase
from deploy.load.proc import rss_kb
from deploy.load.report import REPORT_HEAD, prepend_run, size_taken, write_memory_report, write_report

__all__ = [
    "address",
    "CHROMIUM_ARGS",
    "LABS",
    "REFUSED",
    "REPORT_HEAD",
    "capacity_ramp",
    "home_load",
    "memory_problems",
    "memory_run",
    "next_action",
    "params_in",
    "prepend_run",
    "read_counter",
    "rss_kb",
    "run_phase",
    "session_lost",
    "settled",
    "size_taken",
    "suggestion_label",
    "time_to_return",
    "write_memory_report",
    "write_report",
]
