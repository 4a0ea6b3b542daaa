"""The JSON API under /api/v1/: the CLI's ``--json`` answers over HTTP, beside the pages.

``routes()`` (``sla.api.server``) are Starlette routes; ``app.py`` hands them to ``st.App``, so the API is served
by the same process and port as the pages (``streamlit run app.py``). The route table
``ENDPOINTS`` is the one description of the API: the handlers, the parameter checks, the
OpenAPI document (``/api/v1/openapi.json``) and the docs page (``/api/v1/docs``) are all
made from it.

Every request but the two documents needs a personal token (``sla.storage.tokens``) as
``Authorization: Bearer …``; its owner's role at that moment decides what it may read. The
order of the checks is fixed: token (401), rate limit (429), role (403), parameters (422).
Every error is a JSON body ``{"error": "one sentence"}``. Answers are kept per data version
in this process (``sla.service.queries.CACHE``): a repeated question costs one small database read.
"""

from sla.api.endpoints import ApiError
from sla.api.headers import middleware
from sla.api.server import RateLimit, routes

__all__ = ["ApiError", "RateLimit", "middleware", "routes"]
