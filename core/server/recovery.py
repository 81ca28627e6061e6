"""Work that survives a reload: recent sessions' labs, kept server-side under a token held in the page address.

Streamlit starts a new, empty session when a tab is reloaded or its connection drops for good. So that a
student who presses F5 in the middle of a lesson gets the trained model back, every session registers its
labs here under an unguessable token that the page keeps in its address (``?sid=…``). A new session that
arrives with a token whose owner is no longer connected takes the labs over (``claim``); a second tab opened
with the same address while the first is still connected does not (it starts fresh under a token of its own).

Bounded in time and memory:

- ``sweep()`` (run every few seconds by the app) hibernates the labs of sessions that are no longer
  connected: a Keras model is reduced to its weights and optimizer state as numpy arrays (``Lab.hibernate``),
  so TensorFlow's objects are freed at once. A lab wakes up (rebuilds its model) when it is used again.
- An entry is dropped ``ttl_s`` seconds after its owner was last connected, and the oldest ended entries are
  dropped first when the kept bytes exceed ``max_bytes``.

Simplified on purpose: the store lives in the server process, so a server restart (or a different replica
behind a balancer, see docs/classroom.md) starts afresh; the token is a bearer token (whoever has the
address of a closed tab gets its work back within the time limit).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

TTL_S = 30 * 60  # work of a closed or reloaded tab is kept this long
MAX_BYTES = 512 * 1024**2  # all kept work together (numpy weights, optimizer state, uploaded corpora)


def new_token() -> str:
    return secrets.token_urlsafe(16)


@dataclass
class Entry:
    """One browser tab's work."""

    owner: str  # the Streamlit session id that holds it now
    labs: dict[str, Any]  # session-state key -> lab object (core.labs.lab.Lab)
    widgets: dict[str, Any] = field(default_factory=dict)  # kept widget values (ui.persist's shadow copy)
    last_seen: float = 0.0  # clock() when the owner was last seen connected
    hibernated: bool = False  # the labs were reduced to numpy (the owner left)
    nbytes: int = 0  # kept bytes once hibernated


class RecoveryStore:
    """Thread-safe; see the module docstring. ``is_active(session_id)`` tells whether a session is connected."""

    def __init__(self, is_active: Callable[[str], bool], *, ttl_s: float = TTL_S, max_bytes: int = MAX_BYTES, clock=time.monotonic):
        self.is_active = is_active
        self.ttl_s = ttl_s
        self.max_bytes = max_bytes
        self.clock = clock
        self._entries: dict[str, Entry] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def register(self, token: str, owner: str, labs: dict[str, Any], widgets: dict[str, Any]) -> None:
        """The owner's current labs and settings (called on every run of a page; cheap: references only)."""
        with self._lock:
            e = self._entries.get(token)
            if e is None or e.owner != owner:
                e = self._entries[token] = Entry(owner, {}, {})
            e.labs = dict(labs)
            e.widgets = dict(widgets)
            e.last_seen = self.clock()
            e.hibernated = False

    def claim(self, token: str, new_owner: str) -> Entry | None:
        """Hand the work kept under ``token`` to a new session, unless its owner is still connected (another tab)."""
        with self._lock:
            e = self._entries.get(token)
            if e is None or (e.owner != new_owner and self.is_active(e.owner)):
                return None
            if self.clock() - e.last_seen > self.ttl_s:
                del self._entries[token]
                return None
            e.owner = new_owner
            e.last_seen = self.clock()
            return e

    def sweep(self) -> int:
        """Hibernate the labs of sessions that left; drop what is past its time or over the memory cap. Returns how
        many labs were put to sleep or dropped (memory to give back)."""
        now = self.clock()
        changed = 0
        with self._lock:
            entries = list(self._entries.items())
        ended = []
        for token, e in entries:
            if self.is_active(e.owner):
                e.last_seen = now
                continue
            if now - e.last_seen > self.ttl_s:
                with self._lock:
                    self._entries.pop(token, None)
                changed += len(e.labs)
                continue
            # every sweep, not once: a run the tab started before it left may still finish and build a new model
            awake = sum(1 for lab in e.labs.values() if not lab.asleep)
            e.nbytes = sum(int(lab.hibernate()) for lab in e.labs.values())
            e.hibernated = True
            changed += awake
            ended.append((e.last_seen, token, e))
        total = sum(e.nbytes for _, _, e in ended)
        for _, token, e in sorted(ended, key=lambda x: x[0]):  # oldest first
            if total <= self.max_bytes:
                break
            with self._lock:
                self._entries.pop(token, None)
            total -= e.nbytes
            changed += len(e.labs)
        return changed

    def kept_bytes(self) -> int:
        return sum(e.nbytes for e in list(self._entries.values()) if e.hibernated)
