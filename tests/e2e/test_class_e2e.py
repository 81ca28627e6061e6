"""A class through the balancer: deploy/serve_class.py with two replicas behind HAProxy, two browser contexts.

The two tabs land on different replicas (told by HAProxy's RNNP_SRV cookie); each downloads a Text-lab model
(a /media/ request), uploads a name list (/_stcore/upload_file/) and trains the Dinosaur lab, and HAProxy's
log shows that those requests reached the tab's own replica. A reload keeps the trained model (ui.server.recover,
on the same replica). Then one replica is killed: its tab gets the message that its work is gone
(ui/server/replica.py) and trains again on the other replica, while the other tab keeps training untouched.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from deploy import serve_class as sc  # noqa: E402

from .conftest import (
    ROOT,
    assert_no_exception,
    metric_int,
    open_more_settings,
    open_tab,
    shot,
    wait_idle,
    wait_metric_above,
    wait_refreshes,
)

NAMES = "Names trained on"
MOVED = re.compile(r"held this tab's session has stopped, so this tab now runs on replica (r\d+)")
LISTS = {
    "a": [
        "pikachu",
        "bulbasaur",
        "charmander",
        "squirtle",
        "eevee",
        "mew",
        "onix",
        "zubat",
        "jigglypuff",
        "psyduck",
        "snorlax",
    ],
    "b": ["paris", "lyon", "nantes", "lille", "rennes", "nice", "dijon", "brest", "tours", "metz", "reims", "caen"],
}


@pytest.fixture(scope="module")
def class_server(tmp_path_factory):
    """`deploy/serve_class.py --replicas 2` on free loopback ports, in a session of its own as from a terminal."""
    if not (shutil.which("haproxy") or Path("/usr/sbin/haproxy").exists()):
        pytest.fail("haproxy is missing: install Debian's haproxy (scripts/test.sh does)")
    state_dir = tmp_path_factory.mktemp("class") / "state"
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    log = open(ROOT / "test-artifacts" / "class-e2e.log", "w")
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "deploy" / "serve_class.py"),
            "--replicas",
            "2",
            "--port",
            str(sc.free_port()),
            "--address",
            "127.0.0.1",
            "--first-replica-port",
            "0",
            "--state-dir",
            str(state_dir),
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not (state_dir / "class.json").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"the class server did not come up; see {log.name}")
        time.sleep(0.3)
    state = json.loads((state_dir / "class.json").read_text())
    state["haproxy_log"] = state_dir / "logs" / "haproxy.log"
    yield state
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    finally:
        log.close()


def replica_of(page) -> str | None:
    return next((c["value"] for c in page.context.cookies() if c["name"] == sc.COOKIE), None)


def sidebar_link(page, name: str):
    return page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=name)


def served_by(haproxy_log: Path, path: str) -> set[str]:
    """The replicas HAProxy's log says served requests for this path (lines like `replicas/r2 ... "PUT /path`)."""
    found = set()
    for line in haproxy_log.read_text().splitlines():
        m = re.search(r" replicas/(r\d+) .*\"[A-Z]+ (\S+) HTTP", line)
        if m and m.group(2).split("?")[0] == path:
            found.add(m.group(1))
    return found


def new_tab(browser, url: str):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = ctx.new_page()
    page.set_default_timeout(90_000)
    seen: list[tuple[str, int]] = []  # (path, status) of uploads and media (downloads) through the balancer
    page.on(
        "response",
        lambda r: (
            seen.append((re.sub(r"^https?://[^/]+", "", r.url).split("?")[0], r.status))
            if re.match(r"https?://[^/]+/(_stcore/upload_file|media)/", r.url)
            else None
        ),
    )
    page.goto(url + "/text")
    return page, seen


def test_a_class_of_two_replicas(browser, class_server, tmp_path):
    url, log = class_server["url"], class_server["haproxy_log"]
    pids = {r["id"]: r["pid"] for r in class_server["replicas"]}
    # ------------------------------------------------------------------ two tabs, two replicas
    a, seen_a = new_tab(browser, url)
    a.get_by_role("button", name="▶ Start").wait_for(timeout=120_000)  # A's WebSocket is open (and TensorFlow loaded)
    b, seen_b = new_tab(browser, url)  # leastconn: the replica without A's open connections
    b.get_by_role("button", name="▶ Start").wait_for(timeout=120_000)
    ra, rb = replica_of(a), replica_of(b)
    assert {ra, rb} == {"r1", "r2"}, f"both tabs on {ra}/{rb}: the balancer did not spread them"

    # ------------------------------------------------------------------ each downloads a model (a /media/ request)
    for name, page in (("a", a), ("b", b)):
        wait_idle(page, timeout=120_000)
        open_tab(page, "Files & hand-in")  # the model files
        page.get_by_role("button", name="⬇ Download model (.zip)").scroll_into_view_if_needed()
        with page.expect_download(timeout=90_000) as info:
            page.get_by_role("button", name="⬇ Download model (.zip)").click()
        with zipfile.ZipFile(info.value.path()) as z:
            assert {"model.keras", "vocab.json"} <= set(z.namelist())
        assert_no_exception(page)

    # ------------------------------------------------------------------ each uploads a name list and trains
    counts = {}
    for name, page in (("a", a), ("b", b)):
        sidebar_link(page, "Dinosaur names").click()
        page.get_by_role("button", name="▶ Start").wait_for()
        wait_idle(page)
        names = tmp_path / f"names_{name}.txt"
        names.write_text("\n".join(LISTS[name]) + "\n")
        page.get_by_text("Upload a name list").click()
        page.locator('input[type="file"]').set_input_files(str(names))
        page.get_by_text(f"{len(LISTS[name])} names, {len(set(''.join(LISTS[name])))} distinct characters").wait_for()
        slider = page.get_by_role("slider").first
        slider.focus()
        slider.press("Home")  # hidden size 1: the fastest model
        page.get_by_text("the model was restarted").wait_for()
        wait_idle(page)
        open_more_settings(page)  # the iteration budget is a rarer setting
        budget = page.get_by_label("Iterations (names to train on)")
        budget.fill("500000")  # hidden size 1 trains the default 30,000 names in well under this test's length
        budget.press("Enter")
        wait_idle(page)
        page.get_by_role("button", name="▶ Start").click()
    for name, page in (("a", a), ("b", b)):
        counts[name] = wait_refreshes(page, NAMES, 2)
        assert_no_exception(page)
    shot(a, "class_a_training", full_page=False)
    shot(b, "class_b_training", full_page=False)

    # uploads and downloads went through the balancer and reached the tab's own replica
    # (a media file is named by its content: one both tabs fetched, e.g. the same Get-the-code script, each tab got
    # from its own replica, so only the files one tab alone fetched name one replica)
    both = {p for p, _ in seen_a} & {p for p, _ in seen_b}
    for page, seen, rid in ((a, seen_a, ra), (b, seen_b, rb)):
        uploads = [p for p, s in seen if "/_stcore/upload_file/" in p and p not in both]
        media = [p for p, s in seen if p.startswith("/media/") and p not in both]
        assert uploads and media, f"no upload or no download seen: {seen}"
        assert all(s < 400 for _, s in seen), seen
        for path in uploads + media:
            assert served_by(log, path) == {rid}, f"{path} was not served by {rid} alone"

    # ------------------------------------------------------------------ a reload keeps the trained model (same replica)
    a.get_by_role("button", name="■ Stop").click()
    wait_idle(a)
    stopped = metric_int(a, NAMES)
    params = a.get_by_text(re.compile(r"vocabulary of \d+ characters · [\d,]+ parameters")).first.inner_text()
    assert "sid=" in a.url
    a.reload()
    a.get_by_text("Welcome back").wait_for()
    wait_idle(a)
    assert replica_of(a) == ra
    assert metric_int(a, NAMES) >= stopped > 0
    assert a.get_by_text(params, exact=True).count() == 1  # the uploaded list's vocabulary and hidden size 1
    shot(a, "class_a_after_reload", full_page=False)
    a.get_by_role("button", name="▶ Start").click()
    wait_refreshes(a, NAMES, 1)

    # ------------------------------------------------------------------ A's replica dies
    os.kill(pids[ra], signal.SIGKILL)
    b_before = metric_int(b, NAMES)
    try:
        a.get_by_text(MOVED).wait_for(timeout=60_000)
    except Exception:  # noqa: BLE001 - say what is missing rather than just "timeout"
        shot(a, "class_a_replica_lost_missing", full_page=False)
        pytest.fail(
            "no lost-replica message in the moved tab: ui.nav.start_page() must call "
            "ui.server.replica.note_lost_replica()"
        )
    shot(a, "class_a_replica_lost", full_page=False)
    assert MOVED.search(a.get_by_text(MOVED).first.inner_text()).group(1) == rb
    assert replica_of(a) == rb
    # the other tab is untouched: same replica, no message, still training
    wait_metric_above(b, NAMES, b_before)
    wait_refreshes(b, NAMES, 2)
    assert replica_of(b) == rb and b.get_by_text(MOVED).count() == 0
    b.evaluate("() => window.scrollTo(0, 0)")  # the live area is at the top
    shot(b, "class_b_still_training", full_page=False)
    # the moved tab works on its new replica: train again there (on the bundled names: the upload was on the lost
    # replica)
    a.get_by_role("button", name="Dismiss this message").click()
    a.get_by_text(MOVED).wait_for(state="detached")
    if a.get_by_role("button", name="▶ Start").count() == 0:
        a.get_by_text("Bundled dinosaur names").click()
    a.get_by_role("button", name="▶ Start").click()
    wait_metric_above(a, NAMES, 0)
    wait_refreshes(a, NAMES, 1)
    shot(a, "class_a_trains_again", full_page=False)
    for page in (a, b):
        assert_no_exception(page)
    a.context.close()
    b.context.close()
