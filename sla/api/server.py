"""Serving the API: the process's database, the per-token rate limit, each request's checks
in a fixed order (token 401, rate limit 429, role 403, parameters 422) and its JSON answer or
error, and the Starlette routes ``app.py`` hands to ``st.App``."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable

from pymongo.errors import PyMongoError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sla.api import docs
from sla.api.endpoints import BY_PATH, ENDPOINTS, JSON_TYPE, PREFIX, ApiError, Endpoint
from sla.core import clients, config, filters
from sla.core.config import ConfigError
from sla.core.filters import Known
from sla.core.params import ParamError
from sla.service import accounts, answers, database, queries, views

RATE_WINDOW_S = 60.0
FILTER_NAMES = {p.name for p in filters.PARAMS}
log = logging.getLogger("sla")


class RateLimit:
    """At most ``limit`` requests per token in any RATE_WINDOW_S seconds, in this process."""

    def __init__(self, limit: int | None = None) -> None:
        self._limit = limit
        self._seen: dict[str, deque] = {}
        self._lock = threading.Lock()

    @property
    def limit(self) -> int:
        if self._limit is None:
            self._limit = max(1, int(config.number("SLA_API_RATE_LIMIT")))
        return self._limit

    def check(self, key: str, now: float | None = None, whose: str = "with this token") -> None:
        """Count a request of ``key``; ApiError 429 (with Retry-After) when over the limit."""
        now = time.monotonic() if now is None else now
        with self._lock:
            seen = self._seen.setdefault(key, deque())
            while seen and seen[0] <= now - RATE_WINDOW_S:
                seen.popleft()
            if len(seen) >= self.limit:
                wait = max(1, math.ceil(seen[0] + RATE_WINDOW_S - now))
                raise ApiError(429, f"Too many requests {whose}: at most {self.limit} "
                                    f"a minute; try again in {wait} s.",
                               {"Retry-After": str(wait)})
            seen.append(now)


RATE_LIMIT = RateLimit()


# ---------------------------------------------------------------- handling a request

_tokens_indexed: set[int] = set()


def _database():
    """The process's one database (``service.database.shared``), its token indexes made
    once per connection."""
    db = database.shared()
    if id(db.client) not in _tokens_indexed:
        accounts.prepare_tokens(db)
        _tokens_indexed.add(id(db.client))
    return db

def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _values(endpoint: Endpoint, request: Request, held: Known,
            open_view: Callable[[str], views.OpenedView]) -> dict:
    """The endpoint's parameters read from the query; ``held``: what a filter may name;
    ``open_view``: a saved view by name, whose filters those given replace one by one."""
    known = {p.name for p in endpoint.params}
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        takes = ", ".join(sorted(known)) or "no parameters"
        raise ApiError(422, f"Unknown parameter {unknown[0][:40]!r}; this endpoint takes "
                            f"{takes}.")
    texts = {p.name: request.query_params.getlist(p.name) for p in endpoint.params}
    try:
        values = {p.name: p.parse(texts[p.name]) for p in endpoint.params
                  if p.name not in FILTER_NAMES}
        view = values.pop("view", None)
        given = {name: texts[name] for name in texts if name in FILTER_NAMES and texts[name]}
        if view:
            opened = open_view(view)
            if opened.left_out:
                raise views.ViewError(f"The view ‘{opened.name}’ no longer applies as saved: "
                                      f"{opened.left_out[0]}")
            given = {**opened.filters.texts(), **given}
        values["filters"] = filters.parse(given, held)
    except ParamError as exc:
        raise ApiError(422, str(exc)) from None
    except views.ViewError as exc:
        raise ApiError(422, f"view: {exc}") from None
    return values


def _address(request: Request) -> str:
    """The rate limit's key for requests without a valid token: the client's address (the one
    a trusted proxy names, ``sla.core.clients``)."""
    peer = request.client.host if request.client else None
    return f"address {clients.client_address(peer, request.headers.get('x-forwarded-for'))}"


def _question(endpoint: Endpoint, values: dict) -> tuple:
    return (endpoint.name, tuple(sorted(values.items())))


def serve(endpoint: Endpoint, request: Request) -> Response:
    """The answer to one request, after the checks, in the order the module says."""
    db = _database()
    try:
        user = accounts.token_user(db, _bearer(request))
    except accounts.TokenError as exc:
        RATE_LIMIT.check(_address(request), whose="without a valid token from this address")
        raise ApiError(401, str(exc), {"WWW-Authenticate": "Bearer"}) from None
    RATE_LIMIT.check(user["token_id"])
    if endpoint.role == "admin" and user["role"] != "admin":
        raise ApiError(403, f"{endpoint.path.lstrip('/')} is for admins; this token acts for "
                            f"a {user['role']}.")
    values = _values(endpoint, request, answers.known_values(db),
                     lambda name: views.open_view(db, name, user["username"]))
    if endpoint.media_type != JSON_TYPE:
        name = endpoint.path.lstrip("/")
        return Response(endpoint.answer(db, values), media_type=endpoint.media_type,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    if not endpoint.cached:
        return _json(endpoint.answer(db, values))
    version = int(database.data_version_info(db)["value"])
    body = queries.CACHE.get(db, version, _question(endpoint, values),
                             lambda: answers.to_json(endpoint.answer(db, values), None).encode())
    return Response(body, media_type=JSON_TYPE)


def _json(value: object, status: int = 200, headers: dict | None = None) -> Response:
    return Response(answers.to_json(value, None).encode(), status_code=status,
                    media_type=JSON_TYPE, headers=headers)


def error(status: int, message: str, headers: dict | None = None) -> Response:
    return _json({"error": message}, status, headers)


def _handler(endpoint: Endpoint) -> Callable[[Request], Response]:
    """The Starlette handler of ``endpoint`` (synchronous: Starlette runs it in a thread)."""
    def handle(request: Request) -> Response:
        response = _answer_or_error(request)
        response.headers["Cache-Control"] = "no-store"  # answers are the token owner's
        return response

    def _answer_or_error(request: Request) -> Response:
        try:
            return serve(endpoint, request)
        except ApiError as exc:
            return error(exc.status, exc.message, exc.headers)
        except (PyMongoError, database.StoreError) as exc:
            log.warning("API %s: database unavailable: %r", request.url.path, exc)
            database.forget_shared()  # the next request connects again (a new port, say)
            return error(503, "The database is unreachable right now; try again shortly.",
                         {"Retry-After": "5"})
        except ConfigError as exc:
            log.error("API %s: %s", request.url.path, exc)
            return error(500, "The API is misconfigured; the details are in the app's log.")
        except Exception:  # one sentence for the caller, the traceback for the log
            log.exception("API %s failed", request.url.path)
            return error(500, "Something unexpected went wrong; the details are in the app's "
                              "log.")
    handle.__name__ = f"api_{endpoint.name}"
    return handle


EVERY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _not_found(request: Request) -> Response:
    path = request.url.path
    if path in BY_PATH or path in (f"{PREFIX}/openapi.json", f"{PREFIX}/docs"):
        return error(405, f"{path} answers GET only.", {"Allow": "GET, HEAD"})
    return error(404, f"There is no {path[:80]} in this API; see {PREFIX}/docs.")



def routes() -> list[Route]:
    """The API's Starlette routes, for ``st.App(routes=...)``; the last one answers every
    other path under /api/ with a JSON 404 (or 405 for a known path and another method)."""
    table = [Route(PREFIX + e.path, _handler(e), methods=["GET"]) for e in ENDPOINTS]
    table += [Route(f"{PREFIX}/openapi.json", docs.openapi_response, methods=["GET"]),
              Route(f"{PREFIX}/docs", docs.docs_response, methods=["GET"]),
              Route("/api/{rest:path}", _not_found, methods=EVERY_METHOD)]
    return table

