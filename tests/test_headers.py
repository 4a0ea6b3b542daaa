"""The upload guard of ``sla.api.headers`` in front of a stand-in for Streamlit's upload
route: files only from sessions marked by the pages, one at a time, and every answer with
the security headers."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from sla.api import headers
from sla.service import upload_gate

UPLOAD = "/_stcore/upload_file/{session_id}/{file_id}"


@pytest.fixture
def receiver():
    """An app with an upload route behind the app's middleware; ``release`` lets a held
    upload finish (uploads of the file id "slow" wait for it)."""
    release = threading.Event()

    async def upload(request: Request) -> PlainTextResponse:
        body = await request.body()
        if request.path_params["file_id"] == "slow":
            await asyncio.get_running_loop().run_in_executor(None, release.wait, 10)
        return PlainTextResponse(f"stored {len(body)} bytes")

    app = Starlette(routes=[Route(UPLOAD, upload, methods=["PUT", "DELETE"])],
                    middleware=headers.middleware())
    with TestClient(app) as client:
        client.release = release
        yield client
    upload_gate.allow("admin-session", False)


def test_a_session_nobody_logged_in_to_cannot_send_a_file(receiver):
    answer = receiver.put("/_stcore/upload_file/anonymous/f1", content=b"x" * 1000)
    assert (answer.status_code, answer.text) == (403, "Log in as an admin to upload files.")
    assert answer.headers["x-frame-options"] == "SAMEORIGIN"


def test_an_admins_session_sends_one_file_at_a_time(receiver):
    upload_gate.allow("admin-session", True)
    assert receiver.put("/_stcore/upload_file/admin-session/f1", content=b"abc").text == \
        "stored 3 bytes"
    held = threading.Thread(target=receiver.put,
                            args=("/_stcore/upload_file/admin-session/slow",),
                            kwargs={"content": b"first"})
    held.start()
    try:
        deadline = time.monotonic() + 10
        while not upload_gate.is_sending("admin-session"):
            assert time.monotonic() < deadline, "the first file never started"
            time.sleep(0.01)
        second = receiver.put("/_stcore/upload_file/admin-session/f2", content=b"second")
        assert second.status_code == 409
    finally:
        receiver.release.set()
        held.join()
    assert receiver.put("/_stcore/upload_file/admin-session/f3", content=b"ok").status_code \
        == 200


def test_logging_out_closes_the_door_again(receiver):
    upload_gate.allow("admin-session", True)
    upload_gate.allow("admin-session", False)
    assert receiver.put("/_stcore/upload_file/admin-session/f1", content=b"x").status_code \
        == 403
    assert receiver.delete("/_stcore/upload_file/admin-session/f1").status_code == 200
