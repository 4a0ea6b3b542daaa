"""The Settings page's pieces: rule inputs typed like their defaults, the users table, and
the confirmation shown after the rerun that follows a change."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from pymongo.database import Database

from sla.core import display, rule_form, rules
from sla.service import accounts, edits, queries
from ui import widgets

GENERATION = "settings_generation"  # bumped on every change, so the inputs start afresh
USER_COLUMNS = {"username": "User", "role": "Role", "last_login": "Last login",
                "created_at": "Created", "refused_from": "Logins refused from"}


def generation() -> int:
    """This form's generation: its inputs' keys change with it, so they start afresh."""
    return st.session_state.get(GENERATION, 0)


def done(message: str) -> None:
    """Confirm a change after the rerun that shows its effect."""
    widgets.flash(message)
    st.session_state[GENERATION] = generation() + 1
    st.rerun()


def remove_user(database: Database, username: str) -> str:
    """Remove a user (``accounts.UserError``, a ValueError, when they are the last admin)."""
    accounts.remove_user(database, username)
    st.session_state[GENERATION] = generation() + 1
    return f"Removed {display.literal(username)}."


def reset_rules(database: Database, user: str) -> str:
    """Every rule back to its default; what that moved, in words."""
    moved = edits.save_settings(database, rules.DEFAULT_SETTINGS, user)
    st.session_state[GENERATION] = generation() + 1
    return "Every rule is back to its default. " + rule_form.moves_text(moved)


def saved_text(database: Database, before: dict, moved: dict) -> str:
    """What a saved rule change moved, and why no outcome moved when the files' verdicts
    decide them (compared with the rules ``before`` it)."""
    note = rule_form.file_decides_note(before, queries.settings(database), moved)
    return rule_form.moves_text(moved) + (f" {note}" if note else "")


def rule_heading(name: str) -> None:
    rule = rules.rule_named(name)
    st.markdown(f"**{rule.label}**")
    st.caption(f"{rule.help} Default: {display.literal(rules.default_text(rule), None)}.")


SOURCE_LABELS = {"jira": "Jira Service Management", "zendesk": "Zendesk",
                 "zendesk-explore": "Zendesk Explore", "servicenow-rest": "ServiceNow REST",
                 "servicenow": "ServiceNow list or event log", "other": "Any other file"}


def source_label(source: str) -> str:
    return SOURCE_LABELS.get(source, source)


def rule_number(rule: rules.Rule, value, column=st) -> float | int:
    """A number input for a numeric rule (or part), typed like its default."""
    whole = isinstance(rule.default, int)
    step = 1 if whole else 0.5 if rule.name.endswith("_hours") else 0.05
    return column.number_input(
        rule.label, value=int(value) if whole else float(value), step=step,
        help=f"{rule.help} Default: {rules.default_text(rule)}.", key=f"{rule.name}-{generation()}")


def when(value) -> str:
    """A stored time to the minute; "–" when there is none."""
    return "–" if value is None or pd.isna(value) else value.strftime("%Y-%m-%d %H:%M")


def user_table(records: list[dict], refused: dict[str, list[str]]) -> pd.DataFrame:
    """Users with readable column names and dates, and the addresses their logins are refused
    from after failed attempts (``accounts.refused_addresses``)."""
    rows = [{**u, "refused_from": ", ".join(refused.get(u["username"], [])) or "–"}
            for u in records]
    frame = pd.DataFrame(rows, columns=list(USER_COLUMNS)).astype(object)
    for name in ("last_login", "created_at"):
        frame[name] = frame[name].map(when)
    return frame.rename(columns=USER_COLUMNS)
