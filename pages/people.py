"""People: the agents directory. Everyone seen in the data as resolver or owner, with first
and last seen, tickets and main team; admins set a display name, e-mail, team or "left",
merge aliases into one person, and import or export the roster."""

import pandas as pd
import streamlit as st

from sla.core import display
from sla.service import people_admin
from ui import auth, data, widgets

COLUMNS = ["display_name", "name", "team", "active", "resolved", "open", "first_seen",
           "last_seen", "aliases", "email"]
LABELS = {"display_name": "Person", "name": "Name in the data", "team": "Team",
          "active": "Active", "resolved": "Resolved", "open": "Open", "first_seen": "First seen",
          "last_seen": "Last seen", "aliases": "Also known as", "email": "E-mail"}
ACTIVE = {True: "active", False: "left"}

user = auth.require_role()
st.title("People")
widgets.show_flash()
people = data.people()
widgets.stop_if_empty(len(people), user, "people")
st.caption("Everyone seen in the data, as the resolver of a resolved ticket or the owner of "
           "an open one.")
widgets.how_calculated("people", "agents")

left_count = sum(not p["active"] for p in people)
cards = st.columns(3)
widgets.kpi(cards[0], "People", widgets.fmt_int(len(people)))
widgets.kpi(cards[1], "Left", widgets.fmt_int(left_count))
widgets.kpi(cards[2], "Merged names", widgets.fmt_int(sum(len(p["aliases"]) for p in people)))

frame = pd.DataFrame(people)[COLUMNS].assign(
    aliases=lambda f: f["aliases"].map(", ".join), active=lambda f: f["active"].map(ACTIVE.get),
    email=lambda f: f["email"].fillna(""), team=lambda f: f["team"].fillna(""))
KINDS = {"first_seen": (st.column_config.DatetimeColumn, "D MMM YYYY"),
         "last_seen": (st.column_config.DatetimeColumn, "D MMM YYYY"),
         "resolved": (st.column_config.NumberColumn, "%d"),
         "open": (st.column_config.NumberColumn, "%d")}
st.dataframe(frame, hide_index=True, width="stretch", column_config={
    name: (KINDS[name][0](label, format=KINDS[name][1]) if name in KINDS
           else st.column_config.Column(label)) for name, label in LABELS.items()})

if user["role"] != "admin":
    st.caption("Admins edit the directory here or with `./sla.sh people`.")
    st.stop()

names = [p["name"] for p in people]
database = data.db()
edit, merge, roster = st.tabs(["Edit a person", "Merge names", "Roster"])

with edit:
    chosen = st.selectbox("Person", names, key="person-name")
    current = next(p for p in people if p["name"] == chosen)
    with st.form(f"person-{names.index(chosen)}"):
        display_name = st.text_input("Display name", value=current["display_name"],
                                     max_chars=200)
        email = st.text_input("E-mail", value=current["email"] or "", max_chars=200)
        teams = ["", *data.team_names()]
        team = st.selectbox("Team", teams, index=teams.index(current["team_set"] or ""),
                            format_func=lambda t: t or "the data's (most of their tickets)")
        active = st.radio("Status", ["active", "left"], horizontal=True,
                          index=0 if current["active"] else 1)
        saved = st.form_submit_button("Save", type="primary")
    if saved:
        try:
            people_admin.set_person(database, chosen, {
                "display_name": display_name, "email": email, "team": team,
                "active": active}, user["username"])
        except people_admin.PeopleError as exc:
            st.error(display.literal(str(exc), None))
        else:
            widgets.flash(f"Saved {display.literal(chosen)}.")
            st.rerun()

with merge:
    st.caption("Two names of one person (\"jsmith\" and \"John Smith\", or an id and a name): "
               "the first becomes an alias of the second, and every figure counts its tickets "
               "as the second's. The tickets themselves keep the names the files gave.")
    with st.form("merge"):
        alias = st.selectbox("Name", names, key="merge-alias")
        into = st.selectbox("is the same person as", names, key="merge-into",
                            index=min(1, len(names) - 1))
        merged = st.form_submit_button("Merge", type="primary")
    if merged:
        try:
            moved = people_admin.merge(database, alias, into, user["username"])
        except people_admin.PeopleError as exc:
            st.error(display.literal(str(exc), None))
        else:
            widgets.flash(f"{display.literal(alias)} is now {display.literal(into)}: "
                          f"{display.count(moved, 'ticket')} moved.")
            st.rerun()

with roster:
    st.caption("A CSV with the columns name, email, team and aliases (separated by ;). "
               "Importing sets each person's e-mail and team and merges their aliases; "
               "a file with one bad row changes nothing.")
    st.download_button("Download the roster", lambda: people_admin.roster_csv(database),
                       file_name="roster.csv", mime="text/csv", icon=":material/download:")
    with st.form("roster"):
        upload = st.file_uploader("Roster CSV", type=["csv"], key="roster-file")
        imported = st.form_submit_button("Import the roster", type="primary")
    if imported and upload is not None:
        text = upload.getvalue().decode("utf-8-sig", errors="replace")
        try:
            count = people_admin.import_roster(database, text, user["username"])
        except people_admin.PeopleError as exc:
            st.error(display.literal(str(exc), None))
        else:
            widgets.flash(f"Roster imported: {display.count(count, 'person', 'people')}.")
            st.rerun()
