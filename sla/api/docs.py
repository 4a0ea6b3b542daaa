"""The API's documents: its OpenAPI 3.1 description and a static docs page made from it
(escaped, no script, no request to anywhere)."""

from __future__ import annotations

import html
import json

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from sla.api.endpoints import ENDPOINTS, JSON_TYPE, PREFIX, Endpoint

API_VERSION = "1.0.0"


def openapi() -> dict:
    """The OpenAPI 3.1 document of ENDPOINTS."""
    paths = {PREFIX + e.path: {"get": _operation(e)} for e in ENDPOINTS}
    paths[f"{PREFIX}/openapi.json"] = {"get": {
        "operationId": "openapi", "summary": "This document", "security": [],
        "responses": {"200": {"description": "The OpenAPI document.",
                              "content": {JSON_TYPE: {"schema": {"type": "object"}}}}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "SLA Tracker API", "version": API_VERSION,
                 "description": "Read-only figures of the SLA Tracker, with the same filters "
                                "and the same keys as `./sla.sh … --json`. Send a personal "
                                "token (`./sla.sh token add USER`, or Settings) as "
                                "`Authorization: Bearer <token>`."},
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "required": ["error"],
                                  "properties": {"error": {"type": "string"}}}},
            "responses": {str(status): {"description": text, "content": {
                JSON_TYPE: {"schema": {"$ref": "#/components/schemas/Error"}}}}
                for status, text in ERRORS.items()}},
    }


ERRORS = {401: "No token, or an unknown or revoked one, or its user was removed.",
          403: "The token's user has not the role this endpoint needs.",
          404: "Nothing to answer (see the endpoint).",
          422: "A parameter is unknown or its value cannot be used.",
          429: "Over the rate limit of this token; Retry-After says when to try again.",
          503: "The database is unreachable right now."}


def _operation(endpoint: Endpoint) -> dict:
    statuses = [401, *([403] if endpoint.role == "admin" else []), *endpoint.errors, 422, 429,
                503]
    content = {endpoint.media_type: {"schema": endpoint.schema}}
    return {
        "operationId": endpoint.name, "summary": endpoint.summary,
        "description": " ".join(filter(None, [endpoint.description, f"Role: {endpoint.role}."])),
        "parameters": [{"name": p.name, "in": "query", "required": False,
                        "description": p.help, "schema": p.schema(),
                        **({"style": "form", "explode": True} if p.repeated else {})}
                       for p in endpoint.params],
        "responses": {"200": {"description": endpoint.summary + ".", "content": content},
                      **{str(s): {"$ref": f"#/components/responses/{s}"} for s in statuses}},
    }


def openapi_response(request: Request) -> Response:
    return Response(json.dumps(openapi(), indent=2).encode(), media_type=JSON_TYPE)


DOCS_STYLE = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
              "padding:0 1rem;line-height:1.45;color:#1f2933}code,pre{background:#f1f3f5;"
              "padding:.1rem .3rem;border-radius:3px}pre{padding:.6rem;overflow-x:auto}"
              "table{border-collapse:collapse;margin:.4rem 0 1rem}td,th{border:1px solid #ccd;"
              "padding:.2rem .5rem;text-align:left;vertical-align:top}h2{margin-top:2rem;"
              "border-top:1px solid #dde;padding-top:1rem}")


def docs_html(document: dict | None = None) -> str:
    """The docs page: every operation of the OpenAPI document, escaped, with no script and
    nothing fetched from elsewhere."""
    document = document or openapi()
    e = html.escape
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>{e(document['info']['title'])}</title><style>{DOCS_STYLE}</style></head>"
             f"<body><h1>{e(document['info']['title'])} {e(document['info']['version'])}</h1>"
             f"<p>{e(document['info']['description'])}</p>"
             f"<p>Machine-readable: <a href='{PREFIX}/openapi.json'>{PREFIX}/openapi.json</a> "
             f"(OpenAPI 3.1). Errors are <code>{{\"error\": \"…\"}}</code>:</p><table>"]
    parts += [f"<tr><th>{status}</th><td>{e(text)}</td></tr>" for status, text in ERRORS.items()]
    parts.append("</table><pre>curl -H \"Authorization: Bearer $SLA_TOKEN\" "
                 f"\"https://sla.example.org{PREFIX}/summary?team=L2&amp;priority=P3\"</pre>")
    for path, item in document["paths"].items():
        operation = item["get"]
        parts.append(f"<h2 id='{e(operation['operationId'])}'>GET <code>{e(path)}</code></h2>"
                     f"<p>{e(operation['summary'])}. {e(operation.get('description', ''))}</p>")
        if operation.get("parameters"):
            parts.append("<table><tr><th>Parameter</th><th>Type</th><th>Meaning</th></tr>")
            for p in operation["parameters"]:
                parts.append(f"<tr><td><code>{e(p['name'])}</code></td>"
                             f"<td>{e(_type_text(p['schema']))}</td>"
                             f"<td>{e(p['description'])}</td></tr>")
            parts.append("</table>")
        answer = operation["responses"]["200"]["content"]
        kind, body = next(iter(answer.items()))
        keys = _keys_text(body["schema"])
        parts.append(f"<p>Answers <code>{e(kind)}</code>" + (f": {e(keys)}" if keys else "")
                     + ".</p>")
    parts.append("</body></html>")
    return "".join(parts)


def _type_text(schema: dict) -> str:
    if schema.get("type") == "array":
        return _type_text(schema["items"]) + ", repeatable"
    text = schema.get("format") or schema.get("type", "")
    if "enum" in schema:
        text += " (" + " | ".join(map(str, schema["enum"])) + ")"
    if "default" in schema:
        text += f", default {schema['default']}"
    return text


def _keys_text(schema: dict) -> str:
    if schema.get("type") == "array":
        items = schema["items"]
        inner = items.get("oneOf", [items])[0]
        return "a list of objects with " + ", ".join(inner.get("properties", {}))
    if "properties" in schema:
        return "an object with " + ", ".join(schema["properties"])
    return ""


DOCS_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                           "frame-ancestors 'self'",
                "X-Content-Type-Options": "nosniff"}


def docs_response(request: Request) -> Response:
    return HTMLResponse(docs_html(), headers=DOCS_HEADERS)

