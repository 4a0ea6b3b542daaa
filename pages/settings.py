"""Settings (admin): SLA targets, team rules, status lists, score; users."""

import pandas as pd
import streamlit as st

from sla import display, fields, store, users
from ui import auth, data

admin = auth.require_role("admin")
st.title("Settings")
current = data.settings()
tab_rules, tab_users = st.tabs(["Rules", "Users"])

with tab_rules, st.form("settings"):
    st.markdown(f"**SLA targets** (hours) — {fields.SETTINGS_HELP['sla_targets']}")
    targets = st.data_editor(
        pd.DataFrame([{"priority": p, "response": t["response"], "resolution": t["resolution"]}
                      for p, t in current["sla_targets"].items()]),
        hide_index=True, disabled=["priority"], key="targets",
        column_config={"response": st.column_config.NumberColumn(min_value=0.0, format="%.2f"),
                       "resolution": st.column_config.NumberColumn(min_value=0.0, format="%.2f")})
    st.markdown(f"**Resolved statuses** — {fields.SETTINGS_HELP['resolved_statuses']}")
    statuses = st.text_area("One per line", "\n".join(current["resolved_statuses"]))
    st.markdown(f"**Team rules** — {fields.SETTINGS_HELP['team_rules']}")
    rules = st.data_editor(
        pd.DataFrame([{"team": r["team"], "words": ", ".join(r["words"]),
                       "exact": ", ".join(r["exact"])} for r in current["team_rules"]]),
        hide_index=True, num_rows="dynamic", key="rules",
        column_config={"team": st.column_config.SelectboxColumn(options=["L1", "L2", "Business"],
                                                                required=True),
                       "words": "Words or phrases (comma separated)",
                       "exact": "Exact values (comma separated)"})
    st.markdown(f"**Score** — {fields.SETTINGS_HELP['score']}")
    score = current["score"]
    cols = st.columns(4)
    resolution_weight = cols[0].number_input("Resolution weight", 0.0, 10.0, float(score["resolution_weight"]), 0.05)
    response_weight = cols[1].number_input("Response weight", 0.0, 10.0, float(score["response_weight"]), 0.05)
    min_tickets = cols[2].number_input("Minimum tickets", 0, 1000, int(score["min_tickets"]))
    volume_cap = cols[3].number_input("Volume bonus cap", 0, 1000, int(score["volume_cap"]))
    if st.form_submit_button("Save and re-derive tickets", type="primary"):
        def split(text) -> list[str]:
            return [w.strip().lower() for w in str(text or "").split(",") if w.strip()]

        new = {
            "sla_targets": {r["priority"]: {"response": float(r["response"]),
                                            "resolution": float(r["resolution"])}
                            for r in targets.to_dict("records")},
            "resolved_statuses": [s.strip() for s in statuses.splitlines() if s.strip()],
            "team_rules": [{"team": r["team"], "words": split(r["words"]), "exact": split(r["exact"])}
                           for r in rules.to_dict("records") if r.get("team")],
            "score": {"resolution_weight": resolution_weight, "response_weight": response_weight,
                      "min_tickets": int(min_tickets), "volume_cap": int(volume_cap)},
        }
        moved = store.save_settings(data.db(), new, admin["username"])
        st.success("Saved. " + ("What moved: " + "; ".join(
            f"{field}: " + ", ".join(f"{k} ({n:,})" for k, n in changes.items())
            for field, changes in moved.items()) if moved else "No ticket changed class."))

with tab_users:
    database = data.db()
    st.dataframe(pd.DataFrame(users.list_users(database),
                              columns=["username", "role", "last_login", "locked_until",
                                       "created_at"]), hide_index=True)
    with st.form("add_user", clear_on_submit=True):
        st.markdown("**Add a user**")
        cols = st.columns(3)
        name = cols[0].text_input("User name")
        password = cols[1].text_input("Password", type="password")
        role = cols[2].selectbox("Role", users.ROLES, index=1)
        if st.form_submit_button("Add user"):
            try:
                users.add_user(database, name, password, role)
                st.success(f"Added {role} {display.literal(users.normal_username(name))}.")
            except users.UserError as exc:
                st.error(str(exc))
    names = [u["username"] for u in users.list_users(database)]
    with st.form("change_user"):
        st.markdown("**Change a user**")
        cols = st.columns(3)
        who = cols[0].selectbox("User", names)
        new_role = cols[1].selectbox("Role", ["(keep)", *users.ROLES])
        new_password = cols[2].text_input("New password (blank: keep)", type="password")
        remove = st.checkbox("Remove this user")
        if st.form_submit_button("Apply"):
            try:
                if remove:
                    users.remove_user(database, who)
                else:
                    if new_role != "(keep)":
                        users.set_role(database, who, new_role)
                    if new_password:
                        users.set_password(database, who, new_password)
                st.success("Done.")
            except users.UserError as exc:
                st.error(str(exc))
