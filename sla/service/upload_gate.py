"""Which browser sessions of this app process may send files, and which are sending one now.

Streamlit accepts a file from any open browser session, logged in or not, and keeps it in
memory until the session ends. The pages mark a session as allowed while an admin is logged
in to it (``ui.auth``); the upload route's guard (``sla.api.headers.UploadGate``) refuses
every other session's files, and a second file while one is still arriving.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_allowed: set[str] = set()
_sending: set[str] = set()


def allow(session_id: str, allowed: bool) -> None:
    """Let the session send files (an admin is logged in to it), or no longer."""
    with _lock:
        if allowed:
            _allowed.add(session_id)
        else:
            _allowed.discard(session_id)


def allowed(session_id: str) -> bool:
    with _lock:
        return session_id in _allowed


def begin(session_id: str) -> bool:
    """Start receiving a file for the session; False when it may not send one now."""
    with _lock:
        if session_id not in _allowed or session_id in _sending:
            return False
        _sending.add(session_id)
        return True


def end(session_id: str) -> None:
    with _lock:
        _sending.discard(session_id)


def is_sending(session_id: str) -> bool:
    """Whether a file of the session is arriving now."""
    with _lock:
        return session_id in _sending
