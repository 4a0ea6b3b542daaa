"""Settings (admin): the rules behind the numbers (declared in sla.rules), and users."""

import pandas as pd
import streamlit as st

from sla import display, rules, store, users
from ui import auth, data, widgets
from ui.tokens import tokens_section

GENERATION = "settings_generation"  # bumped on every change, so the inputs start afresh
USER_COLUMNS = {"username": "User", "role": "Role", "last_login": "Last login",
                "locked_until": "Locked until", "created_at": "Created"}

admin = auth.require_role("admin")
database = data.db()
current = data.settings()
generation = st.session_state.get(GENERATION, 0)


def done(message: str) -> None:
    """Confirm a change after the rerun that shows its effect."""
    widgets.flash(message)
    st.session_state[GENERATION] = generation + 1
    st.rerun()


def rule_heading(name: str) -> None:
    rule = rules.rule_named(name)
    st.markdown(f"**{rule.label}**")
    st.caption(f"{rule.help} Default: {display.literal(rules.default_text(rule), None)}.")


def rule_number(rule: rules.Rule, value, column=st) -> float | int:
    """A number input for a numeric rule (or part), typed like its default."""
    whole = isinstance(rule.default, int)
    return column.number_input(
        rule.label, value=int(value) if whole else float(value), step=1 if whole else 0.05,
        help=f"{rule.help} Default: {rules.default_text(rule)}.", key=f"{rule.name}-{generation}")


def when(value) -> str:
    """A stored time to the minute; "–" when there is none."""
    return "–" if value is None or pd.isna(value) else value.strftime("%Y-%m-%d %H:%M")


def user_table(records: list[dict]) -> pd.DataFrame:
    """Users with readable column names and dates; a lock that has ended shows as –."""
    rows = [{**u, "locked_until": u.get("locked_until") if users.is_locked(u) else None}
            for u in records]
    frame = pd.DataFrame(rows, columns=list(USER_COLUMNS)).astype(object)
    for name in ("last_login", "locked_until", "created_at"):
        frame[name] = frame[name].map(when)
    return frame.rename(columns=USER_COLUMNS)


st.title("Settings")
widgets.show_flash()
tab_rules, tab_users, tab_tokens = st.tabs(["Rules", "Users", "API tokens"])

with tab_rules:
    st.caption("Every rule in full: the page “How the numbers work”, section “Rules”. A change "
               "re-derives every stored ticket.")
    with st.form(f"rules-{generation}"):
        rule_heading("sla_targets")
        hours = st.column_config.NumberColumn
        targets = st.data_editor(
            pd.DataFrame(rules.target_rows(current)), hide_index=True, disabled=["priority"],
            key=f"targets-{generation}",
            column_config={"priority": "Priority", "response": hours("Response", format="%.2f"),
                           "resolution": hours("Resolution", format="%.2f")})
        rule_heading("resolved_statuses")
        statuses = st.text_area("One status per line", "\n".join(current["resolved_statuses"]),
                                key=f"statuses-{generation}",
                                height=min(400, 40 + 24 * len(current["resolved_statuses"])))
        rule_heading("team_rules")
        team_rules = st.data_editor(
            pd.DataFrame(rules.team_rule_rows(current)), hide_index=True, num_rows="dynamic",
            key=f"team-rules-{generation}",
            column_config={"team": st.column_config.SelectboxColumn(
                               "Team", options=list(rules.TEAMS_RULED), required=True),
                           "words": "Words or phrases (comma separated)",
                           "exact": "Exact values (comma separated)"})
        rule_heading("score")
        score_columns = st.columns(len(rules.SCORE_PARTS))
        score = {part.name: rule_number(part, current["score"][part.name], column)
                 for part, column in zip(rules.SCORE_PARTS, score_columns)}
        other_columns = st.columns(2)
        at_risk_fraction = rule_number(rules.rule_named("at_risk_fraction"),
                                       current["at_risk_fraction"], other_columns[0])
        trend_min_sample = rule_number(rules.rule_named("trend_min_sample"),
                                       current["trend_min_sample"], other_columns[1])
        save = st.form_submit_button("Save and re-derive tickets", type="primary")
    if save:
        new = {"sla_targets": rules.targets_from_rows(targets.to_dict("records")),
               "resolved_statuses": rules.statuses_from_text(statuses),
               "team_rules": rules.team_rules_from_rows(team_rules.to_dict("records")),
               "score": score, "at_risk_fraction": at_risk_fraction,
               "trend_min_sample": trend_min_sample}
        problems = rules.validate(new)
        for problem in problems:
            st.error(problem)
        if not problems:
            moved = store.save_settings(database, new, admin["username"])
            done("Saved. " + rules.moves_text(moved))
    with st.expander("Reset to defaults"):
        if st.button("Reset every rule to its default"):
            moved = store.save_settings(database, rules.DEFAULT_SETTINGS, admin["username"])
            done("Every rule is back to its default. " + rules.moves_text(moved))

with tab_users:
    st.dataframe(user_table(users.list_users(database)), hide_index=True,
                 placeholder=widgets.MISSING)
    st.caption("Times in UTC.")
    with st.form("add_user", clear_on_submit=True):
        st.markdown("**Add a user**")
        columns = st.columns(3)
        name = columns[0].text_input("User name")
        password = columns[1].text_input("Password", type="password")
        role = columns[2].selectbox("Role", users.ROLES, index=1)
        add = st.form_submit_button("Add user")
    if add:
        try:
            users.add_user(database, name, password, role)
            done(f"Added {role} {display.literal(users.normal_username(name))}.")
        except users.UserError as exc:
            st.error(display.literal(exc, None))
    with st.form("change_user"):
        st.markdown("**Change a user**")
        columns = st.columns(3)
        who = columns[0].selectbox("User", [u["username"] for u in users.list_users(database)])
        new_role = columns[1].selectbox("Role", ["(keep)", *users.ROLES])
        new_password = columns[2].text_input("New password (blank: keep)", type="password")
        remove = st.checkbox("Remove this user")
        apply = st.form_submit_button("Apply")
    if apply and not (remove or new_role != "(keep)" or new_password):
        st.info("Nothing to change: choose a role, type a new password or tick Remove.")
    elif apply:
        try:
            if remove:
                users.remove_user(database, who)
                done(f"Removed {display.literal(who)}.")
            if new_role != "(keep)":
                users.set_role(database, who, new_role)
            if new_password:
                users.set_password(database, who, new_password)
            done(f"Changed {display.literal(who)}.")
        except users.UserError as exc:
            st.error(display.literal(exc, None))

with tab_tokens:
    tokens_section(database, admin)
