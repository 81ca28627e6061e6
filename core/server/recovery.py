r"""Work that survives a reload: recent sessions' labs, kept server-side under a token held in the page address.

Streamlit starts a new, empty session when a tab is reloaded or its connection drops for good. So that a
student who presses F5 in the middle of a lesson gets the trained model back, every session registers its
labs here under an unguessable token that the page keeps in its address (``?sid=…``).

Work belongs to the browser that made it. Students copy the address bar to share what they see, so the token
alone proves nothing: each entry also keeps a key of the browser that made it (a hash of a random secret the
browser holds, see ui/server/recover.py), and ``claim`` hands the labs to a new session only when it brings the same
key. A copied address opened in another browser gets nothing but the reason (``OTHER_BROWSER``) and the
settings. Within one browser, a new session takes the labs over only when their owner is no longer connected
(a reload); a second tab on the same address while the first is connected gets ``IN_USE``. A lab object is
never held by two live sessions: a claim first ``retire``\ s the old owner (Streamlit then never lets its tab
resume that session; a reconnecting tab gets a new one), checks again that it is not connected, and a session
that lost its token can no longer ``register`` under it (it must let its labs go).

Bounded in time and memory:

- ``sweep()`` (run every few seconds by the app) hibernates the labs of sessions that are no longer
  connected: a Keras model is reduced to its weights and optimizer state as numpy arrays (``Lab.hibernate``),
  so TensorFlow's objects are freed at once. A lab wakes up (rebuilds its model) when it is used again.
- An entry is dropped ``ttl_s`` seconds after its owner was last connected, and the oldest ended entries are
  dropped first when the kept bytes exceed ``max_bytes``. Tokens are signed with a secret of this store, so a
  token whose work is gone is still recognised as one of ours (``EXPIRED``, not ``UNKNOWN``) at no memory cost.

Simplified on purpose: the store lives in the server process, so a server restart (or a different replica
behind a balancer, see docs/classroom.md) starts afresh.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

TTL_S = 30 * 60  # work of a closed or reloaded tab is kept this long
MAX_BYTES = 512 * 1024**2  # all kept work together (numpy weights, optimizer state, uploaded corpora)

# Why a claim gave no work back (ui/server/recover.py tells the student)
UNKNOWN = "unknown"  # not a token of this store: typed, from before a server restart, or from another server
EXPIRED = "expired"  # one of ours, but its work is gone (past ttl_s, or dropped over the memory cap)
OTHER_BROWSER = "other browser"  # the work belongs to another browser (a copied address)
IN_USE = "in use"  # this browser's work, and its tab is still connected (a second tab on the same address)

_RANDOM_CHARS = 22  # secrets.token_urlsafe(16)
_TAG_CHARS = 16  # the signature's first 96 bits, base64url


@dataclass
class Entry:
    """One browser tab's work."""

    owner: str  # the Streamlit session id that holds it now
    labs: dict[str, Any]  # session-state key -> lab object (core.labs.lab.Lab)
    widgets: dict[str, Any] = field(default_factory=dict)  # kept widget values (ui.persist's shadow copy)
    browser: str = ""  # the key of the browser that made it ("": none, then nobody can claim it)
    last_seen: float = 0.0  # clock() when the owner was last seen connected
    hibernated: bool = False  # the labs were reduced to numpy (the owner left)
    nbytes: int = 0  # kept bytes once hibernated


@dataclass(frozen=True)
class Claim:
    """What ``claim`` gave: the entry, or why not (``refused``) and, when the work exists, its settings."""

    entry: Entry | None
    refused: str = ""
    widgets: dict[str, Any] = field(default_factory=dict)


class RecoveryStore:
    """Thread-safe; see the module docstring. ``is_active(session_id)`` tells whether a session is connected;
    ``retire(session_id)`` makes sure a session that is not connected never is again (safe from any thread)."""

    def __init__(
        self,
        is_active: Callable[[str], bool],
        *,
        retire: Callable[[str], None] = lambda session_id: None,
        ttl_s: float = TTL_S,
        max_bytes: int = MAX_BYTES,
        clock=time.monotonic,
    ):
        self.is_active = is_active
        self.retire = retire
        self.ttl_s = ttl_s
        self.max_bytes = max_bytes
        self.clock = clock
        self._entries: dict[str, Entry] = {}
        self._lock = threading.Lock()
        self._secret = secrets.token_bytes(32)

    def _tag(self, random_part: str) -> str:
        digest = hmac.new(self._secret, random_part.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:_TAG_CHARS]

    def new_token(self) -> str:
        """An unguessable token, signed by this store."""
        random_part = secrets.token_urlsafe(16)
        return random_part + self._tag(random_part)

    def issued(self, token: str) -> bool:
        """Whether this store made ``token`` (its work may be gone since)."""
        if len(token) != _RANDOM_CHARS + _TAG_CHARS or not token.isascii():
            return False
        return hmac.compare_digest(token[_RANDOM_CHARS:], self._tag(token[:_RANDOM_CHARS]))

    def __len__(self) -> int:
        return len(self._entries)

    def register(
        self, token: str, owner: str, labs: dict[str, Any], widgets: dict[str, Any], *, browser: str = ""
    ) -> bool:
        """The owner's current labs and settings (called on every run of a page; cheap: references only). False
        when another session has taken the token over: ``owner`` must then let go of these labs."""
        with self._lock:
            e = self._entries.get(token)
            if e is not None and e.owner != owner:
                return False
            if e is None:
                e = self._entries[token] = Entry(owner, {}, {}, browser)
            e.labs = dict(labs)
            e.widgets = dict(widgets)
            e.last_seen = self.clock()
            e.hibernated = False
            return True

    def claim(self, token: str, new_owner: str, *, browser: str = "") -> Claim:
        """Hand the work kept under ``token`` to a new session of the browser that made it, unless its owner is
        still connected (another tab). See the module docstring."""
        with self._lock:
            e = self._entries.get(token)
            if e is None:
                return Claim(None, EXPIRED if self.issued(token) else UNKNOWN)
            if not browser or not hmac.compare_digest(e.browser.encode(), browser.encode()):
                return Claim(None, OTHER_BROWSER, dict(e.widgets))
            if e.owner != new_owner:
                if self.is_active(e.owner):
                    return Claim(None, IN_USE, dict(e.widgets))
                if self.clock() - e.last_seen > self.ttl_s:
                    del self._entries[token]
                    return Claim(None, EXPIRED)
                self.retire(e.owner)  # from now on its tab can't resume it; it may have reconnected just before:
                if self.is_active(e.owner):
                    return Claim(None, IN_USE, dict(e.widgets))
            e.owner = new_owner
            e.last_seen = self.clock()
            return Claim(e)

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
