"""``sla.service.messages``: one message as e-mail text, escaped HTML and webhook JSON, a value
from a file never read as markup in any of them."""

from __future__ import annotations

from sla.service import messages

HOSTILE = "<!channel> <https://evil.example|Reset> <b>&amp;</b>"


def test_a_hostile_value_stays_text_in_html_and_in_chat():
    made = messages.compose("breached", f"1 ticket ({HOSTILE})", "Lead:", [HOSTILE],
                            "https://sla.example.com/dashboard?team=L1", {"n": 1}, [],
                            ["https://sla.example.com/tickets?sr=T1"])
    assert HOSTILE in made["text"] and made["json"]["lines"] == [HOSTILE]
    assert "<!channel>" not in made["html"] and "&lt;!channel&gt;" in made["html"]
    assert "<b>" not in made["html"].replace("<body>", "")
    chat = made["json"]["text"]
    assert "<" not in chat and ">" not in chat
    assert "&lt;!channel&gt; &lt;https://evil.example|Reset&gt; &lt;b&gt;&amp;amp;&lt;/b&gt;" \
        in chat
    assert '<a href="https://sla.example.com/tickets?sr=T1">' in made["html"]


def test_a_long_list_names_fifty_and_counts_the_rest():
    rows = [{"sr_number": f"T{i}", "priority": "P1", "team": "L1", "agent": None,
             "status": "Open", "hours_left": -2.0} for i in range(messages.LISTED)]
    lines = messages.ticket_lines(rows, 120)
    assert len(lines) == messages.LISTED + 1 and lines[-1] == "and 70 more"
    assert lines[0] == "T0 · P1 · L1 · Open · overdue by 2.0 h"


def test_a_view_link_carries_its_filters():
    assert messages.view_link("https://x.example/", "dashboard",
                              {"team": ["L1", "L2"], "q": ["a&b"]}) == (
        "https://x.example/dashboard?team=L1&team=L2&q=a%26b")
