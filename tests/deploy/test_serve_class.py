"""The class server (deploy/serve_class.py): HAProxy config from the template, the shared cookie secret, and a
real R = 2 class on free loopback ports that redispatches a dead replica's sessions and stops cleanly."""

from __future__ import annotations

import http.cookies
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from deploy import serve_class as sc
from tests.support import ROOT

HAPROXY = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
needs_haproxy = pytest.mark.skipif(
    HAPROXY is None, reason="Debian's haproxy is not installed (scripts/test.sh installs it)"
)


def config(tmp_path: Path, **kw) -> sc.ClassConfig:
    return sc.ClassConfig(**{"state_dir": tmp_path / "state", **kw})


# ------------------------------------------------------------------------------------------------ config
def test_config_has_every_replica_sticky_and_health_checked(tmp_path):
    cfg = config(tmp_path, replicas=3, port=9123, address="127.0.0.1")
    servers = sc.backends(cfg, [7001, 7002, 7003])
    text = sc.render_haproxy(sc.TEMPLATE.read_text(), cfg, servers)
    assert "{{" not in text
    assert re.search(r"^\s*bind 127\.0\.0\.1:9123$", text, re.M)
    lines = re.findall(r"^\s*server (\S+) (\S+) cookie (\S+)$", text, re.M)
    assert lines == [("r1", "127.0.0.1:7001", "r1"), ("r2", "127.0.0.1:7002", "r2"), ("r3", "127.0.0.1:7003", "r3")]
    assert re.search(r"^\s*cookie RNNP_SRV insert\b", text, re.M)  # sticky by an inserted cookie
    assert re.search(r"^\s*option httpchk GET /_stcore/health$", text, re.M)
    assert re.search(r"^\s*default-server check\b", text, re.M)  # every server line is health-checked
    assert re.search(r"^\s*option redispatch$", text, re.M)
    assert re.search(r"^\s*timeout tunnel \d+[smh]$", text, re.M)  # WebSockets are not cut by the HTTP timeouts


def test_remote_replicas_are_numbered_after_the_local_ones(tmp_path):
    cfg = config(tmp_path, replicas=2, first_id=1, remotes=("hostb:8601", "10.0.0.7:8602"))
    assert sc.backends(cfg, [7001, 7002]) == [
        sc.Backend("r1", "127.0.0.1", 7001),
        sc.Backend("r2", "127.0.0.1", 7002),
        sc.Backend("r3", "hostb", 8601),
        sc.Backend("r4", "10.0.0.7", 8602),
    ]
    # on the other machine: --replicas-only --first-id 3 names its replicas r3, r4 (the HAProxy machine's names)
    other = config(tmp_path, replicas=2, first_id=3, replicas_only=True)
    assert [b.id for b in sc.backends(other, [8601, 8602])] == ["r3", "r4"]
    with pytest.raises(SystemExit, match="HOST:PORT"):
        sc.parse_host_port("hostb")
    with pytest.raises(SystemExit, match="HOST:PORT"):
        sc.parse_host_port("hostb:99999")


@needs_haproxy
def test_haproxy_accepts_the_generated_config(tmp_path):
    cfg = config(tmp_path, replicas=2, port=9124, address="127.0.0.1")
    path = tmp_path / "haproxy.cfg"
    path.write_text(sc.render_haproxy(sc.TEMPLATE.read_text(), cfg, sc.backends(cfg, [7001, 7002])))
    check = subprocess.run([HAPROXY, "-c", "-f", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_placeholder_without_a_value_is_an_error(tmp_path):
    cfg = config(tmp_path)
    with pytest.raises(ValueError, match="unknown_thing"):
        sc.render_haproxy("bind {{bind_address}}:{{port}}\n{{unknown_thing}}\n", cfg, sc.backends(cfg, [7001]))
    with pytest.raises(ValueError, match="at least one replica"):
        sc.render_haproxy(sc.TEMPLATE.read_text(), cfg, [])


def test_command_line(tmp_path):
    cfg = sc.parse_args(["--replicas", "3", "--port", "9000", "--remote", "hostb:8601", "--state-dir", str(tmp_path)])
    assert (cfg.replicas, cfg.port, cfg.remotes, cfg.state_dir) == (3, 9000, ("hostb:8601",), tmp_path.resolve())
    assert sc.parse_args([]).replicas == (os.cpu_count() or 1)  # one per core by default
    with pytest.raises(SystemExit):
        sc.parse_args(["--replicas", "0"])
    with pytest.raises(SystemExit):
        sc.parse_args(["--replicas-only", "--remote", "hostb:8601"])


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_class_passes_replicas_only_when_given():
    given = subprocess.run(
        ["make", "-n", "class", "REPLICAS=4"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "deploy/serve_class.py --replicas 4" in given
    default = subprocess.run(["make", "-n", "class"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "deploy/serve_class.py" in default and "--replicas" not in default


# ------------------------------------------------------------------------------------------------ secret
def test_cookie_secret_is_generated_once_private_and_reused(tmp_path):
    state = tmp_path / "state"
    first = sc.cookie_secret(state)
    path = state / "cookie_secret"
    assert len(first) >= 32
    assert path.stat().st_mode & 0o777 == 0o600
    assert sc.cookie_secret(state) == first  # reused, not regenerated
    assert sc.cookie_secret(tmp_path / "other") != first  # random per class
    path.chmod(0o644)  # copied from another machine with looser rights: tightened, value kept
    assert sc.cookie_secret(state) == first and path.stat().st_mode & 0o777 == 0o600
    path.write_text("short\n")
    with pytest.raises(SystemExit, match="no usable secret"):
        sc.cookie_secret(state)


def test_class_state_is_ignored_by_git_and_never_committed():
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    for path in (".class/cookie_secret", ".class/haproxy.cfg"):
        assert subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT).returncode == 0, (
            f"{path} must be git-ignored"
        )
    tracked = subprocess.run(["git", "ls-files", ".class"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert tracked == ""
    assert sc.STATE_DIR == ROOT / ".class"


def test_replicas_get_the_secret_and_their_id_through_the_environment():
    env = sc.replica_env("s" * 40, "r2")
    assert env[sc.SECRET_ENV] == "s" * 40 and env[sc.REPLICA_ENV] == "r2"
    assert not any("cookieSecret" in a or "s" * 40 in a for a in sc.command(7001, "127.0.0.1"))  # not visible in ps


def test_replicas_share_the_class_memory_budget(monkeypatch):
    monkeypatch.setenv("RNNP_SERVER_BUDGET_MB", "6000")
    assert sc.replica_env("s" * 40, "r1", replicas=3)["RNNP_SERVER_BUDGET_MB"] == "2000"
    monkeypatch.delenv("RNNP_SERVER_BUDGET_MB")
    assert 0 < int(sc.replica_env("s" * 40, "r1", replicas=2)["RNNP_SERVER_BUDGET_MB"]) <= sc.class_budget_mb() // 2


# ------------------------------------------------------------------------------------------------ a real class
def start_class(tmp_path: Path, replicas: int) -> tuple[subprocess.Popen, dict]:
    """deploy/serve_class.py in a session of its own (as in a terminal), on free loopback ports."""
    state = tmp_path / "state"
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "deploy" / "serve_class.py"),
            "--replicas",
            str(replicas),
            "--port",
            str(sc.free_port()),
            "--address",
            "127.0.0.1",
            "--first-replica-port",
            "0",
            "--state-dir",
            str(state),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not (state / "class.json").exists():
        if proc.poll() is not None:
            raise AssertionError("serve_class.py exited early:\n" + proc.stdout.read())
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError("the class did not come up within 120 s")
        time.sleep(0.2)
    return proc, json.loads((state / "class.json").read_text())


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


def get(url: str, cookie: str | None = None) -> tuple[int, str | None]:
    """Status and the RNNP_SRV value HAProxy set in the response (None: it set none)."""
    req = urllib.request.Request(url, headers={"Cookie": f"RNNP_SRV={cookie}"} if cookie else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        jar = http.cookies.SimpleCookie()
        for h in r.headers.get_all("Set-Cookie") or []:
            jar.load(h)
        return r.status, (jar["RNNP_SRV"].value if "RNNP_SRV" in jar else None)


def environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(kv.decode(errors="replace").split("=", 1) for kv in raw if b"=" in kv)


@needs_haproxy
def test_a_class_of_two_redispatches_a_dead_replica_and_stops_on_ctrl_c(tmp_path):
    proc, state = start_class(tmp_path, 2)
    pids = [state["haproxy_pid"]] + [r["pid"] for r in state["replicas"]]
    try:
        assert [r["id"] for r in state["replicas"]] == ["r1", "r2"]
        secret = (tmp_path / "state" / "cookie_secret").read_text().strip()
        for r in state["replicas"]:
            env = environ(r["pid"])
            assert env[sc.SECRET_ENV] == secret and env[sc.REPLICA_ENV] == r["id"]
            assert r["url"].startswith("http://127.0.0.1:")
        url = state["url"]
        # a first visit gets a replica's cookie; a visit that has a live replica's cookie keeps it (no new cookie)
        status, first = get(url + "/")
        assert status == 200 and first in ("r1", "r2")
        assert get(url + "/", cookie=first) == (200, None)
        # that replica dies: the same cookie is redispatched to the other one, which takes over the cookie
        os.kill(next(r["pid"] for r in state["replicas"] if r["id"] == first), signal.SIGKILL)
        other = "r2" if first == "r1" else "r1"
        deadline = time.monotonic() + 30
        while True:
            try:
                got = get(url + "/_stcore/health", cookie=first)
                if got == (200, other):
                    break
            except OSError:
                pass  # until the health check marks it down, a request may fail over slowly or fail
            assert time.monotonic() < deadline, "the dead replica's session was not redispatched within 30 s"
            time.sleep(0.3)
        assert get(url + "/", cookie=other) == (200, None)
        # Ctrl-C in the terminal: SIGINT to the script's foreground process group
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out
        assert f"Replica {first} exited" in out and "Stopped." in out
        assert wait_gone(pids, 5) == [], f"left running after Ctrl-C: {out}"
        assert not (tmp_path / "state" / "class.json").exists()
    finally:
        for p in pids + [proc.pid]:
            if alive(p):
                os.kill(p, signal.SIGKILL)


@needs_haproxy
def test_no_orphans_when_the_script_itself_is_killed(tmp_path):
    proc, state = start_class(tmp_path, 1)
    pids = [state["haproxy_pid"]] + [r["pid"] for r in state["replicas"]]
    try:
        assert all(alive(p) for p in pids)
        os.kill(proc.pid, signal.SIGKILL)  # no chance to clean up: the children get the parent-death signal
        proc.wait(10)
        assert wait_gone(pids, 20) == []
    finally:
        for p in pids:
            if alive(p):
                os.kill(p, signal.SIGKILL)


# ------------------------------------------------------------------------------------------------ ui/server/replica.py
def test_a_reconnect_from_another_process_is_told_apart_from_a_fresh_tab_and_a_resumed_session():
    from ui.server.replica import SeenSessions, came_from_elsewhere, message, resume_request

    # what Streamlit's frontend sends: a fresh tab (or a reload) has no third entry; a reconnect names its old session
    assert resume_request(None) is None
    assert resume_request("streamlit, 2|ab|cd|17") is None
    assert resume_request("streamlit, , ") is None
    assert resume_request("streamlit, 2|ab|cd|17, 0ac21942-9737") == "0ac21942-9737"
    assert resume_request("streamlit, , 0ac21942-9737") == "0ac21942-9737"
    seen = SeenSessions()
    seen.add("old-here")
    assert not came_from_elsewhere(None, "new", seen)  # fresh tab or reload
    assert not came_from_elsewhere("same", "same", seen)  # Streamlit resumed the session: nothing was lost
    assert not came_from_elsewhere("old-here", "new", seen)  # away too long on this same replica: not a lost replica
    assert came_from_elsewhere("old-elsewhere", "new", seen)  # its session was in another process
    text = message("r2")
    assert "replica r2" in text and "gone" in text and "download" in text


def test_note_lost_replica_does_nothing_outside_the_class_server(monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.delenv("RNNP_REPLICA", raising=False)
    at = AppTest.from_string(
        "from ui.server.replica import note_lost_replica\nnote_lost_replica()\nimport streamlit as st\nst.write('page')"
    ).run()
    assert not at.exception and not at.warning and "_replica_checked" not in at.session_state
    # behind the class server, a fresh session is checked once and shown nothing
    monkeypatch.setenv("RNNP_REPLICA", "r1")
    at = AppTest.from_string(
        "from ui.server.replica import note_lost_replica\nnote_lost_replica()\nimport streamlit as st\nst.write('page')"
    ).run()
    assert not at.exception and not at.warning and at.session_state["_replica_checked"] is True
