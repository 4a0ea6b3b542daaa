"""Settings (admin): the rules behind the numbers (declared in sla.core.rules), teams,
calendars, users, API tokens, alert subscriptions and what they sent."""

import pandas as pd
import streamlit as st

from sla.core import display, rule_form, rules
from sla.service import accounts, edits
from ui import auth, data, settings_form, tables, widgets
from ui.alerts import alerts_section, deliveries_section
from ui.calendars import calendars_section
from ui.teams_admin import teams_section
from ui.tokens import tokens_section

admin = auth.require_role("admin")
database = data.db()
current = data.settings()
generation = settings_form.generation()


st.title("Settings")
widgets.show_flash()
tab_rules, tab_teams, tab_clocks, tab_users, tab_tokens, tab_alerts, tab_sent = st.tabs(
    ["Rules", "Teams", "Calendars", "Users", "API tokens", "Alerts", "Deliveries"])

with tab_rules:
    st.caption("Every rule in full: the page “How the numbers work”, section “Rules”. A change "
               "re-derives every stored ticket.")
    with st.form(f"rules-{generation}"):
        settings_form.rule_heading("sla_targets")
        hours = st.column_config.NumberColumn
        targets = st.data_editor(
            pd.DataFrame(rule_form.target_rows(current)), hide_index=True, disabled=["priority"],
            key=f"targets-{generation}",
            column_config={"priority": "Priority", "response": hours("Response", format="%.2f"),
                           "resolution": hours("Resolution", format="%.2f")})
        settings_form.rule_heading("resolved_statuses")
        statuses = st.text_area("One status per line", "\n".join(current["resolved_statuses"]),
                                key=f"statuses-{generation}",
                                height=min(400, 40 + 24 * len(current["resolved_statuses"])))
        settings_form.rule_heading("score")
        score_columns = st.columns(len(rules.SCORE_PARTS))
        score = {part.name: settings_form.rule_number(part, current["score"][part.name], column)
                 for part, column in zip(rules.SCORE_PARTS, score_columns)}
        other_columns = st.columns(3)
        at_risk_fraction = settings_form.rule_number(rules.rule_named("at_risk_fraction"),
                                       current["at_risk_fraction"], other_columns[0])
        at_risk_hours = settings_form.rule_number(rules.rule_named("at_risk_hours"),
                                                  current["at_risk_hours"], other_columns[1])
        trend_min_sample = settings_form.rule_number(rules.rule_named("trend_min_sample"),
                                       current["trend_min_sample"], other_columns[2])
        settings_form.rule_heading("paused_statuses")
        paused = st.text_area("One status per line (empty: no status pauses the clock)",
                              "\n".join(current["paused_statuses"]), key=f"paused-{generation}",
                              height=min(300, 60 + 24 * len(current["paused_statuses"])))
        settings_form.rule_heading("computed_outcomes")
        computed = st.multiselect(
            "Exports judged by our targets and calendars", list(rules.OUTCOME_SOURCES),
            default=current["computed_outcomes"], format_func=settings_form.source_label,
            key=f"computed-{generation}")
        save = st.form_submit_button("Save and re-derive tickets", type="primary")
    if save:
        new = {**current,
               "sla_targets": rule_form.targets_from_rows(targets.to_dict("records")),
               "resolved_statuses": rule_form.statuses_from_text(statuses),
               "score": score, "at_risk_fraction": at_risk_fraction,
               "at_risk_hours": at_risk_hours, "trend_min_sample": trend_min_sample,
               "paused_statuses": rule_form.statuses_from_text(paused),
               "computed_outcomes": computed}
        problems = rules.validate(new)
        for problem in problems:
            st.error(display.literal(problem, None))
        if not problems:
            moved = edits.save_settings(database, new, admin["username"])
            settings_form.done("Saved. " + settings_form.saved_text(database, current, moved))
    with st.expander("Reset to defaults"):
        widgets.confirm_button(
            "Reset every rule to its default…", "Reset every rule?",
            "Every rule (targets, teams, calendars, paused statuses, weights) goes back to its "
            "default, and every figure follows. The rules set now are not kept.",
            "Reset every rule", lambda: settings_form.reset_rules(database, admin["username"]),
            key="reset_rules")

with tab_teams:
    teams_section(database, admin, current)

with tab_clocks:
    calendars_section(database, admin, current)

with tab_users:
    st.dataframe(settings_form.user_table(accounts.list_users(database),
                                          accounts.refused_addresses(database)),
                 hide_index=True, placeholder=tables.MISSING)
    st.caption("Times in UTC. After five wrong passwords for a user from one address, that "
               "address may not try again for 15 minutes; Unlock lets it in at once.")
    with st.form("add_user", clear_on_submit=True):
        st.markdown("**Add a user**")
        columns = st.columns(3)
        name = columns[0].text_input("User name")
        password = columns[1].text_input("Password", type="password")
        role = columns[2].selectbox("Role", accounts.ROLES, index=1)
        add = st.form_submit_button("Add user")
    if add:
        try:
            added = accounts.add_user(database, name, password, role)
            settings_form.done(f"Added {role} {display.literal(added)}.")
        except accounts.UserError as exc:
            st.error(display.literal(exc, None))
    with st.form("change_user"):
        st.markdown("**Change a user**")
        columns = st.columns(3)
        who = columns[0].selectbox("User", [u["username"] for u in accounts.list_users(database)])
        new_role = columns[1].selectbox("Role", ["(keep)", *accounts.ROLES])
        new_password = columns[2].text_input("New password (blank: keep)", type="password")
        unlock = st.checkbox("Unlock: let this user log in again from every address")
        apply = st.form_submit_button("Apply")
    if apply and not (unlock or new_role != "(keep)" or new_password):
        st.info("Nothing to change: choose a role, type a new password or tick Unlock.")
    elif apply:
        try:
            if unlock:
                accounts.unlock_user(database, who)
            if new_role != "(keep)":
                accounts.set_role(database, who, new_role)
            if new_password:
                accounts.set_password(database, who, new_password)
            settings_form.done(f"Changed {display.literal(who)}.")
        except accounts.UserError as exc:
            st.error(display.literal(exc, None))
    st.markdown("**Remove a user**")
    gone = st.selectbox("User to remove", [u["username"] for u in accounts.list_users(database)],
                        key=f"remove-user-{generation}")
    widgets.confirm_button(
        "Remove this user…", "Remove the user?",
        f"Remove **{display.literal(gone)}**? Their sessions and API tokens end at once; this "
        "cannot be undone.", "Remove the user",
        lambda: settings_form.remove_user(database, gone), key="remove_user")

with tab_tokens:
    tokens_section(database, admin)

with tab_alerts:
    alerts_section(database, admin)

with tab_sent:
    deliveries_section(database)
