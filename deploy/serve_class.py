"""Serve a class: R `streamlit run app.py` replicas on loopback ports, behind HAProxy with sticky sessions.

Streamlit serves every browser session as a thread of one Python process, so one process uses about one
core for the Python-bound work (the Dinosaur lab, every page's chart building). This script starts R
processes (default: one per core) and HAProxy in front of them on the usual port:

    make class REPLICAS=4                        # or: .venv/bin/python deploy/serve_class.py --replicas 4
    -> students open http://<this machine>:8501

- Replica K is named rK: it listens on 127.0.0.1:(first replica port + K - 1) and gets RNNP_REPLICA=rK in its
  environment (ui/server/replica.py uses it to tell a student whose replica stopped).
- Every replica gets the same server.cookieSecret, generated once into .class/cookie_secret (mode 600,
  git-ignored, passed through the environment so it never shows in `ps`): Streamlit signs its cookies with
  it, so a cookie one replica set is valid on the one a moved session lands on. (Streamlit 1.67 checks an
  upload's XSRF token against the _streamlit_xsrf cookie without using the secret; stickiness keeps uploads
  on the session's replica anyway.)
- HAProxy's configuration is generated from deploy/haproxy.cfg.tmpl into .class/haproxy.cfg: sessions stick
  by the RNNP_SRV cookie (so a session's WebSocket, uploads, media and downloads reach its replica), every
  replica is health-checked on /_stcore/health, and a session whose replica is down is redispatched to a
  live one.
- Ctrl-C (SIGINT), SIGTERM or SIGHUP stops everything: HAProxy and the replicas run in one process group of
  their own, get SIGTERM together, are waited for, and are killed if they have not exited after 15 s. The
  children also get SIGTERM if this script dies without cleaning up (Linux parent-death signal).
- When a replica exits on its own, the others keep serving (its sessions move on, with a message on their
  page); the script says so and keeps running. When HAProxy exits, everything stops.

Several machines (docs/classroom.md): on each other machine, with the same code, data and cookie secret,
    .venv/bin/python deploy/serve_class.py --replicas-only --replicas 4 --first-id 5 --replica-address 0.0.0.0
and on the machine that runs HAProxy, name them after its own replicas:
    .venv/bin/python deploy/serve_class.py --replicas 2 --remote hostB:8601 --remote hostB:8602 ...

While it runs, .class/class.json lists the replicas (id, address, port, pid) and HAProxy's pid; logs are in
.class/logs/. Simplified on purpose: a replica that dies is not restarted (start the class again between
lessons); HAProxy does not terminate TLS (put the class on a trusted network, or a TLS proxy in front).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: deploy.app_server is beside it
from deploy.app_server import command, free_port, healthy  # noqa: E402

TEMPLATE = ROOT / "deploy" / "haproxy.cfg.tmpl"
STATE_DIR = ROOT / ".class"
COOKIE = "RNNP_SRV"  # HAProxy's stickiness cookie, as named in the template
REPLICA_ENV = "RNNP_REPLICA"  # environment variable that tells a replica its own id
SECRET_ENV = "STREAMLIT_SERVER_COOKIE_SECRET"  # Streamlit reads server.cookieSecret from here
STOP_GRACE_S = 15.0  # seconds a child may take to exit after SIGTERM before it is killed
PR_SET_PDEATHSIG = 1  # prctl option: signal this child when its parent dies


@dataclass(frozen=True)
class Backend:
    """One replica as HAProxy sees it."""

    id: str  # server name and cookie value, "r1", "r2", ...
    host: str  # where HAProxy reaches it ("127.0.0.1" for local replicas)
    port: int  # its Streamlit port


@dataclass(frozen=True)
class ClassConfig:
    """What to serve and where."""

    replicas: int = os.cpu_count() or 1  # local Streamlit processes (one per core by default)
    port: int = 8501  # HAProxy's port: the one students open
    address: str = "0.0.0.0"  # HAProxy's listen address (127.0.0.1: this machine only)
    first_replica_port: int = 8601  # local replica K listens on first_replica_port + K - 1; 0: any free ports
    replica_address: str = "127.0.0.1"  # where local replicas listen (0.0.0.0 for a HAProxy on another machine)
    first_id: int = 1  # the first local replica is r{first_id}
    remotes: tuple[str, ...] = ()  # HOST:PORT of replicas on other machines, named after the local ones
    replicas_only: bool = False  # start the replicas without HAProxy (for another machine of a class)
    state_dir: Path = STATE_DIR  # cookie secret, generated HAProxy config, class.json, logs
    maxconn: int = 4096  # HAProxy's connection limit (a tab holds a WebSocket and a few HTTP connections)


# ------------------------------------------------------------------------------------------------ secret
def cookie_secret(state_dir: Path) -> str:
    """The class's cookie secret: read from state_dir/cookie_secret, generated (mode 600) on first use."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "cookie_secret"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(0o600)  # copied in from another machine with looser rights
        value = path.read_text().strip()
        if len(value) < 32:
            raise SystemExit(f"{path} holds no usable secret (under 32 characters): delete it to make a new one")
        return value
    value = secrets.token_urlsafe(48)  # 64 characters, 384 random bits
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    return value


# ------------------------------------------------------------------------------------------------ config
def backends(cfg: ClassConfig, local_ports: list[int]) -> list[Backend]:
    """Local replicas first (r{first_id}...), then the remote ones, numbered on."""
    out = [Backend(f"r{cfg.first_id + k}", "127.0.0.1", p) for k, p in enumerate(local_ports)]
    for k, remote in enumerate(cfg.remotes):
        host, port = parse_host_port(remote)
        out.append(Backend(f"r{cfg.first_id + len(local_ports) + k}", host, port))
    return out


def parse_host_port(text: str) -> tuple[str, int]:
    m = re.fullmatch(r"\[?([A-Za-z0-9_.:-]+?)\]?:(\d{1,5})", text.strip())
    if not m or not 0 < int(m.group(2)) < 65536:
        raise SystemExit(f"--remote wants HOST:PORT, got {text!r}")
    return m.group(1), int(m.group(2))


def render_haproxy(template: str, cfg: ClassConfig, servers: list[Backend]) -> str:
    """The template with every {{name}} filled in; a placeholder without a value is an error."""
    if not servers:
        raise ValueError("a class needs at least one replica")
    lines = "\n".join(f"    server {b.id} {b.host}:{b.port} cookie {b.id}" for b in servers)
    values = {"maxconn": str(cfg.maxconn), "bind_address": cfg.address, "port": str(cfg.port), "servers": lines}

    def fill(m: re.Match) -> str:
        if m.group(1) not in values:
            raise ValueError(f"the HAProxy template asks for {{{{{m.group(1)}}}}}, which serve_class.py does not fill")
        return values[m.group(1)]

    return re.sub(r"\{\{(\w+)\}\}", fill, template)


def replica_ports(cfg: ClassConfig) -> list[int]:
    if cfg.first_replica_port:
        return [cfg.first_replica_port + k for k in range(cfg.replicas)]
    ports: list[int] = []
    while len(ports) < cfg.replicas:
        p = free_port(cfg.replica_address if cfg.replica_address != "0.0.0.0" else "127.0.0.1")
        if p not in ports and p != cfg.port:
            ports.append(p)
    return ports


def class_budget_mb() -> int:
    """The memory all replicas of this machine may use together (core.server.budget's server budget, shared): the
    RNNP_SERVER_BUDGET_MB the class was started with, else three quarters of this machine's memory."""
    try:
        mb = float(os.environ["RNNP_SERVER_BUDGET_MB"])
        if mb > 0:
            return int(mb)
    except (KeyError, ValueError):
        pass
    try:
        with open("/proc/meminfo") as f:
            total_kb = next(int(line.split()[1]) for line in f if line.startswith("MemTotal:"))
        return int(total_kb / 1024 * 0.75)
    except (OSError, StopIteration, ValueError):
        return 3072


def replica_env(secret: str, replica_id: str, replicas: int = 1) -> dict[str, str]:
    """A replica's environment: the shared secret, its id, and its share of the class's memory budget."""
    env = dict(os.environ)
    env[SECRET_ENV] = secret
    env[REPLICA_ENV] = replica_id
    env["RNNP_SERVER_BUDGET_MB"] = str(max(1, class_budget_mb() // max(1, replicas)))
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def find_haproxy() -> str:
    """The haproxy binary; asks scripts/system_packages.sh to install Debian's package when it is missing."""
    found = shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if Path(p).exists()), None
    )
    if found:
        return found
    subprocess.run([str(ROOT / "scripts" / "system_packages.sh"), "haproxy"], check=False)
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
    if not found:
        raise SystemExit(
            "HAProxy is not installed and could not be installed here: run `sudo apt-get install haproxy`."
        )
    return found


# ------------------------------------------------------------------------------------------------ processes
def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the parent dies (Linux), so no replica outlives the script."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


@dataclass
class Child:
    name: str  # "haproxy" or the replica id
    proc: subprocess.Popen  # the running process
    log: Path  # where its output goes
    url: str = ""  # its own address (replicas)
    reported_exit: bool = False  # the watcher already said it exited


@dataclass
class ClassServer:
    """The running class: start() brings everything up, stop() brings everything down (also as a context manager).

    Must be created and started from the main thread: the children's parent-death signal follows the thread
    that started them.
    """

    cfg: ClassConfig = field(default_factory=ClassConfig)
    quiet: bool = False  # no progress lines on stdout
    children: list[Child] = field(default_factory=list)
    servers: list[Backend] = field(default_factory=list)
    pgid: int | None = None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.cfg.address in ("0.0.0.0", "::") else self.cfg.address
        return f"http://{host}:{self.cfg.port}"

    @property
    def replicas(self) -> list[Child]:
        return [c for c in self.children if c.name != "haproxy"]

    @property
    def haproxy(self) -> Child | None:
        return next((c for c in self.children if c.name == "haproxy"), None)

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, flush=True)

    def _spawn(self, name: str, cmd: list[str], env: dict[str, str], url: str = "") -> Child:
        logs = self.cfg.state_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = logs / f"{name}.log"
        with open(log, "w") as out:
            proc = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                process_group=self.pgid or 0,
                preexec_fn=_die_with_parent,
            )
        if self.pgid is None:
            self.pgid = proc.pid  # the first child leads the group every other child joins
        child = Child(name, proc, log, url)
        self.children.append(child)
        return child

    def start(self, timeout: float = 120.0, cancel: threading.Event | None = None) -> "ClassServer":
        """Start the replicas, wait until each answers, then HAProxy. `cancel` (set by Ctrl-C) aborts the wait."""
        cfg = self.cfg

        def waiting(deadline: float) -> None:
            if cancel is not None and cancel.is_set():
                raise RuntimeError("interrupted while starting")
            if time.monotonic() > deadline:
                raise TimeoutError
            time.sleep(0.3)

        secret = cookie_secret(cfg.state_dir)
        ports = replica_ports(cfg)
        self.servers = backends(cfg, ports)
        haproxy = None if cfg.replicas_only else find_haproxy()
        try:
            for b, port in zip(self.servers, ports):
                url = f"http://127.0.0.1:{port}"
                self._spawn(b.id, command(port, cfg.replica_address), replica_env(secret, b.id, len(ports)), url)
            deadline = time.monotonic() + timeout
            for c in self.replicas:
                while not healthy(c.url):
                    if c.proc.poll() is not None:
                        raise RuntimeError(f"replica {c.name} exited with code {c.proc.returncode}; see {c.log}")
                    try:
                        waiting(deadline)
                    except TimeoutError:
                        raise RuntimeError(
                            f"replica {c.name} did not answer on {c.url} within {timeout:.0f} s; see {c.log}"
                        ) from None
                self.say(f"  {c.name}: {c.url} (pid {c.proc.pid}, log {c.log})")
            if haproxy:
                conf = cfg.state_dir / "haproxy.cfg"
                conf.write_text(render_haproxy(TEMPLATE.read_text(), cfg, self.servers))
                check = subprocess.run([haproxy, "-c", "-q", "-f", str(conf)], capture_output=True, text=True)
                if check.returncode != 0:
                    raise RuntimeError(f"HAProxy refuses {conf}:\n{check.stdout}{check.stderr}")
                h = self._spawn("haproxy", [haproxy, "-db", "-f", str(conf)], dict(os.environ))
                while not healthy(self.url):
                    if h.proc.poll() is not None:
                        raise RuntimeError(f"HAProxy exited with code {h.proc.returncode}; see {h.log}")
                    try:
                        waiting(deadline)
                    except TimeoutError:
                        raise RuntimeError(f"HAProxy did not answer on {self.url}; see {h.log}") from None
            self._write_state()
        except BaseException:
            self.stop()
            raise
        return self

    def _write_state(self) -> None:
        h = self.haproxy
        state = {
            "url": None if self.cfg.replicas_only else self.url,
            "port": self.cfg.port,
            "haproxy_pid": h.proc.pid if h else None,
            "pgid": self.pgid,
            "replicas": [
                {"id": c.name, "url": c.url, "port": int(c.url.rsplit(":", 1)[1]), "pid": c.proc.pid, "log": str(c.log)}
                for c in self.replicas
            ],
            "remotes": [{"id": b.id, "host": b.host, "port": b.port} for b in self.servers if b.host != "127.0.0.1"],
        }
        tmp = self.cfg.state_dir / "class.json.tmp"
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(self.cfg.state_dir / "class.json")

    def exited(self) -> list[Child]:
        """Children that exited since the last call (each reported once)."""
        out = []
        for c in self.children:
            if not c.reported_exit and c.proc.poll() is not None:
                c.reported_exit = True
                out.append(c)
        return out

    def stop(self) -> None:
        """SIGTERM to the whole group, wait, SIGKILL what is left; then every child has been reaped."""
        if self.pgid is not None:
            try:
                os.killpg(self.pgid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + STOP_GRACE_S
        for c in self.children:
            try:
                c.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                c.proc.kill()
                c.proc.wait()
        if self.pgid is not None:
            try:
                os.killpg(self.pgid, signal.SIGKILL)  # anything a child started and left behind in the group
            except ProcessLookupError:
                pass
        self.pgid = None
        (self.cfg.state_dir / "class.json").unlink(missing_ok=True)

    def __enter__(self) -> "ClassServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# ------------------------------------------------------------------------------------------------ main
def parse_args(argv: list[str] | None = None) -> ClassConfig:
    d = ClassConfig()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--replicas",
        type=int,
        default=d.replicas,
        help=f"local Streamlit processes (default: one per core, {d.replicas})",
    )
    ap.add_argument(
        "--port", type=int, default=d.port, help="HAProxy's port, the one students open (default %(default)s)"
    )
    ap.add_argument(
        "--address",
        default=d.address,
        help="HAProxy's listen address (default %(default)s; 127.0.0.1 = this machine only)",
    )
    ap.add_argument(
        "--first-replica-port",
        type=int,
        default=d.first_replica_port,
        help="replica K listens on this + K - 1 (default %(default)s; 0: free ports)",
    )
    ap.add_argument("--replica-address", default=d.replica_address, help="where replicas listen (default %(default)s)")
    ap.add_argument(
        "--first-id", type=int, default=d.first_id, help="the first local replica is r<this> (default %(default)s)"
    )
    ap.add_argument(
        "--remote", action="append", default=[], metavar="HOST:PORT", help="a replica on another machine (repeat)"
    )
    ap.add_argument(
        "--replicas-only", action="store_true", help="start replicas without HAProxy (on another machine of the class)"
    )
    ap.add_argument(
        "--state-dir", type=Path, default=d.state_dir, help="secret, generated config, logs (default .class/)"
    )
    a = ap.parse_args(argv)
    if a.replicas < (0 if a.remote else 1):
        ap.error("--replicas must be at least 1 (or 0 with --remote)")
    if a.replicas_only and a.remote:
        ap.error("--replicas-only starts no HAProxy, so it takes no --remote")
    return ClassConfig(
        replicas=a.replicas,
        port=a.port,
        address=a.address,
        first_replica_port=a.first_replica_port,
        replica_address=a.replica_address,
        first_id=a.first_id,
        remotes=tuple(a.remote),
        replicas_only=a.replicas_only,
        state_dir=a.state_dir.resolve(),
        maxconn=d.maxconn,
    )


def report_exits(server: ClassServer, cfg: ClassConfig) -> bool:
    """Say which children exited since the last call; True when the class must stop (HAProxy gone, or no replica
    left to serve a remote HAProxy)."""
    fatal = False
    for c in server.exited():
        if c.name == "haproxy":
            print(
                f"HAProxy exited (code {c.proc.returncode}; see {c.log}): stopping the class.",
                file=sys.stderr,
                flush=True,
            )
            fatal = True
        else:
            alive = [r.name for r in server.replicas if r.proc.poll() is None]
            print(
                f"Replica {c.name} exited (code {c.proc.returncode}; see {c.log}). Its sessions move to the "
                f"others: {', '.join(alive) or 'none left'}.",
                flush=True,
            )
            fatal = fatal or (not alive and cfg.replicas_only)
    return fatal


def main(argv: list[str] | None = None) -> int:
    cfg = parse_args(argv)
    stop = threading.Event()
    received: list[int] = []

    def on_signal(signum, _frame) -> None:
        received.append(signum)
        stop.set()

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    server = ClassServer(cfg)
    what = f"{cfg.replicas} replica{'s' if cfg.replicas != 1 else ''}" + (
        f" + {len(cfg.remotes)} remote" if cfg.remotes else ""
    )
    print(f"Starting {what} of RNN Playground{'' if cfg.replicas_only else ' behind HAProxy'}…", flush=True)
    try:
        server.start(cancel=stop)
    except (RuntimeError, ValueError) as exc:
        if stop.is_set():
            print("Stopped before the class was ready.", flush=True)
            return 130
        print(f"Could not start the class: {exc}", file=sys.stderr)
        return 1
    code = 0
    try:
        if cfg.replicas_only:
            print(
                "Replicas ready for a HAProxy on another machine (ids "
                f"{server.servers[0].id}…{server.servers[-1].id}). Ctrl-C stops them.",
                flush=True,
            )
        else:
            print(
                f"Class ready: {server.url}  (or http://<this machine's name>:{cfg.port} from the students' "
                "machines). Ctrl-C stops everything.",
                flush=True,
            )
        while not stop.wait(1.0):
            if report_exits(server, cfg):
                code = 1
                stop.set()
        if report_exits(server, cfg):  # a child that died in the last second before Ctrl-C is still named
            code = 1
    finally:
        print("Stopping the class…", flush=True)
        server.stop()
        print("Stopped.", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
