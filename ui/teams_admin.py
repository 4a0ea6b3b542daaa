"""The Teams part of Settings: the desk's teams (name, lead, e-mail, in order) and the rules
that map the files' team names to them, with what a change would move before it is saved;
and the team names no rule maps yet, mapped to a team in one step. Each save is checked whole
and re-derives the stored tickets, like any rule change."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from pymongo.database import Database

from sla.core import display, rule_form, rules
from sla.core.teams import desk_teams
from sla.service import edits
from ui import data, settings_form, tables

TEAM_COLUMNS = ["name", "lead", "email"]
RULE_COLUMNS = ["team", "words", "exact", "pattern"]


def teams_section(database: Database, admin: dict, current: dict) -> None:
    """Edit the teams and their rules; map the names no rule maps."""
    generation = settings_form.generation()
    _teams_form(database, admin, current, generation)
    st.divider()
    _unmapped_form(database, admin, current, generation)


def _teams_form(database: Database, admin: dict, current: dict, generation: int) -> None:
    with st.form(f"teams-{generation}"):
        settings_form.rule_heading("teams")
        teams = st.data_editor(
            pd.DataFrame(rule_form.team_rows(current), columns=TEAM_COLUMNS), hide_index=True,
            num_rows="dynamic", key=f"teams-table-{generation}",
            column_config={"name": st.column_config.TextColumn("Team", max_chars=60),
                           "lead": "Lead", "email": "E-mail"})
        settings_form.rule_heading("team_rules")
        st.caption("A rule can name a team once it is saved: add the team, save, then map.")
        team_rules = st.data_editor(
            pd.DataFrame(rule_form.team_rule_rows(current), columns=RULE_COLUMNS),
            hide_index=True, num_rows="dynamic", key=f"team-rules-{generation}",
            column_config={"team": st.column_config.SelectboxColumn(
                               "Team", options=list(desk_teams(current)), required=True),
                           "words": "Words or phrases (comma separated)",
                           "exact": "Exact values (comma separated)",
                           "pattern": "Pattern (regular expression)"})
        buttons = st.columns([1, 3])
        preview = buttons[0].form_submit_button("Preview what moves")
        save = buttons[1].form_submit_button("Save and re-derive tickets", type="primary")
    if not (preview or save):
        return
    new = {**current, "teams": rule_form.teams_from_rows(teams.to_dict("records")),
           "team_rules": rule_form.team_rules_from_rows(team_rules.to_dict("records"))}
    problems = rules.validate(new)
    for problem in problems:
        st.error(display.literal(problem, None))
    if problems:
        return
    if preview:
        _show_moves(data.team_moves(new["team_rules"]))
        return
    moved = edits.save_settings(database, new, admin["username"])
    settings_form.done("Teams saved. " + settings_form.saved_text(database, current, moved))


def _show_moves(moves: list[dict]) -> None:
    """What a change of the rules would move, before it is saved."""
    if not moves:
        st.info("No ticket would change team. Nothing is saved yet.")
        return
    total = sum(move["tickets"] for move in moves)
    st.info(f"{display.count(total, 'ticket')} would change team. Nothing is saved yet.")
    tables.figure_table(pd.DataFrame(moves).rename(columns={"from": "From team",
                                                            "to": "To team"}),
                         key="team-moves")


def _unmapped_form(database: Database, admin: dict, current: dict, generation: int) -> None:
    st.markdown("**Team names in the files that no rule maps**")
    names = data.unmapped_names()
    if not names:
        st.caption("Every team name in the files is mapped to one of the desk's teams.")
        return
    st.caption(f"{display.count(sum(n['tickets'] for n in names), 'ticket')} in Other, "
               f"under {display.count(len(names), 'team name')}. Choose names and a team to "
               "map them to exactly.")
    tables.figure_table(pd.DataFrame(names), height=tables.whole_height(min(len(names), 10)),
                         key="unmapped")
    with st.form(f"map-names-{generation}"):
        columns = st.columns([3, 1])
        chosen = columns[0].multiselect("Team names", [n["team_raw"] for n in names],
                                        format_func=display.clean,
                                        key=f"map-names-{generation}")
        team = columns[1].selectbox("Map them to", desk_teams(current),
                                    key=f"map-team-{generation}")
        go = st.form_submit_button("Map and re-derive tickets", type="primary")
    if not go:
        return
    if not chosen or team is None:
        st.error("Choose at least one team name and the team to map it to.")
        return
    new = {**current,
           "team_rules": rule_form.with_names_mapped(current["team_rules"], team, chosen)}
    problems = rules.validate(new)
    if problems:
        st.error(display.literal(problems[0], None))
        return
    moved = edits.save_settings(database, new, admin["username"])
    settings_form.done(f"{display.count(len(chosen), 'team name')} mapped to "
                       f"{display.literal(team)}. "
                       + settings_form.saved_text(database, current, moved))
