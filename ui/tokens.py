"""The API tokens part of Settings: the tokens as a table, a form that makes one (shown
once, in a code box to copy), and one that revokes a token or all of a user's."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from pymongo.database import Database

from sla.core import display
from sla.service import accounts
from ui import tables, widgets

TOKEN_COLUMNS = {"id": "Token id", "username": "User", "name": "For", "created_at": "Created",
                 "created_by": "Made by", "last_used_at": "Last used",
                 "revoked_at": "Revoked"}


def _when(value) -> str:
    return "–" if value is None or pd.isna(value) else value.strftime("%Y-%m-%d %H:%M")


def token_table(records: list[dict]) -> pd.DataFrame:
    """Tokens with readable column names and dates (never the tokens themselves)."""
    frame = pd.DataFrame(records, columns=list(TOKEN_COLUMNS)).astype(object)
    for name in ("created_at", "last_used_at", "revoked_at"):
        frame[name] = frame[name].map(_when)
    return frame.rename(columns=TOKEN_COLUMNS)


def _token_choice(record: dict) -> str:
    return f"{record['id']} · {record['username']}" + (f" · {record['name']}"
                                                       if record["name"] else "")


def tokens_section(database: Database, admin: dict) -> None:
    """Make, list and revoke personal API tokens (docs/api.md)."""
    st.caption("A token acts for its user, with that user's role at each use: `Authorization: "
               "Bearer <token>` on /api/v1/ (the API docs: /api/v1/docs). It is shown once.")
    with st.form("add_token", clear_on_submit=True):
        st.markdown("**Make a token**")
        columns = st.columns(2)
        owner = columns[0].selectbox("For user", [u["username"] for u in accounts.list_users(database)])
        label = columns[1].text_input("What it is for (optional)", max_chars=accounts.MAX_LABEL)
        make = st.form_submit_button("Make token")
    if make and owner:
        try:
            token, record = accounts.add_token(database, owner, label, created_by=admin["username"])
        except accounts.TokenError as exc:
            st.error(display.literal(exc, None))
        else:
            st.success(f"Token {record['id']} made for {display.literal(owner)}; copy it now, "
                       "as it is not shown again.", icon=":material/key:")
            st.code(token, language=None)
    records = accounts.list_tokens(database)
    st.dataframe(token_table(records), hide_index=True, placeholder=tables.MISSING)
    st.caption("Times in UTC.")
    live = [r for r in records if not r["revoked_at"]]
    if not live:
        return
    st.markdown("**Revoke a token**")
    chosen = st.selectbox("Token", live, format_func=_token_choice)
    every = st.checkbox("Revoke every token of this token's user")
    target = chosen["username"] if every else chosen["id"]
    what = (f"every token of **{display.literal(chosen['username'])}**" if every
            else f"the token {display.literal(chosen['id'])} of "
                 f"**{display.literal(chosen['username'])}**")
    widgets.confirm_button(
        "Revoke…", "Revoke the token?",
        f"Revoke {what}? Anything that uses it is refused from now on; this cannot be undone.",
        "Revoke", lambda: _revoke(database, target, admin["username"]), key="revoke_token")


def _revoke(database: Database, target: str, by: str) -> str:
    """Revoke (``accounts.TokenError``, a ValueError, when nothing can be)."""
    return f"Revoked {', '.join(accounts.revoke_token(database, target, by=by))}."
