"""The words of an alert or a digest: a subject, plain text, HTML with every value from the data
escaped, and the JSON a webhook receives (``text`` for Slack and Teams, the rest for scripts;
docs/alerts.md gives the schema). Made from figures already computed; sends nothing.
"""

from __future__ import annotations

import datetime as dt
import html
from urllib.parse import quote, urlencode

from sla.core import display

SCHEMA_VERSION = 1
LISTED = 50  # tickets named in one message; the rest are counted


def view_link(base: str, page: str, texts: dict[str, list[str]]) -> str:
    """The app's address of a page showing the view's filters."""
    query = urlencode([(name, value) for name, values in texts.items() for value in values])
    return f"{base.rstrip('/')}/{page}" + (f"?{query}" if query else "")


def ticket_link(base: str, sr: str) -> str:
    return f"{base.rstrip('/')}/tickets?sr={quote(str(sr))}"


def ticket_lines(rows: list[dict], total: int) -> list[str]:
    """One line a ticket listed: "SR123 · P2 · L1 · Ann · 3 h left" (or "… overdue by 5 h");
    then how many more the message counts (``total`` in all)."""
    lines = []
    for row in rows:
        left = row["hours_left"]
        when = (f"overdue by {display.hours(-left)}" if left < 0
                else f"{display.hours(left)} left")
        parts = [row["sr_number"], row.get("priority"), row.get("team"), row.get("agent"),
                 row.get("status"), when]
        lines.append(" · ".join(display.clean(part, 60) for part in parts if part))
    if total > len(rows):
        lines.append(f"and {total - len(rows):,} more")
    return lines


def compose(kind: str, title: str, lead: str, lines: list[str], link: str,
            facts: dict, notes: list[str] = (), links: list[str | None] = ()) -> dict:
    """A message: subject, text, HTML and the webhook's JSON. ``lines`` (a list) and ``notes``
    (under it) are plain text from the data; ``links`` are the addresses of the lines, if any.
    """
    subject = f"[SLA Tracker] {title}"
    text = "\n".join([lead, "", *[f"- {line}" for line in lines], *([""] if lines else []),
                      *notes, f"Open the view: {link}"]).strip() + "\n"
    items = "".join(
        f"<li>{_linked(line, href)}</li>" for line, href in
        zip(lines, list(links) + [None] * (len(lines) - len(links))))
    body = (f"<p>{html.escape(lead)}</p>" + (f"<ul>{items}</ul>" if items else "")
            + "".join(f"<p>{html.escape(note)}</p>" for note in notes)
            + f'<p><a href="{html.escape(link, quote=True)}">Open the view</a></p>')
    return {"subject": subject, "text": text,
            "html": f"<!doctype html><html><body>{body}</body></html>",
            "json": {"schema": SCHEMA_VERSION, "kind": kind, "title": title,
                     "text": chat_text(f"{title}\n{text}"), "link": link, "facts": facts,
                     "lines": lines}}


def chat_text(text: str) -> str:
    """Text a chat shows as it is: ``&``, ``<`` and ``>`` as entities, as Slack asks (so a
    value such as ``<!channel>`` or ``<https://…|click>`` from a file stays text) and as Teams
    reads them."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _linked(line: str, href: str | None) -> str:
    if not href:
        return html.escape(line)
    return f'<a href="{html.escape(href, quote=True)}">{html.escape(line)}</a>'


def stale_note(last_refresh: dt.datetime | None, now: dt.datetime, stale_hours: float) -> list[str]:
    """The freshness warning alerts carry when the data is older than the setting says."""
    if last_refresh is None:
        return ["No data has been imported yet."]
    age = (now - last_refresh).total_seconds() / 3600
    if age <= stale_hours:
        return []
    return [f"The data was last refreshed {last_refresh:%Y-%m-%d %H:%M} UTC, "
            f"{display.hours(age)} ago: these figures may be out of date."]


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %"
