"""The agents directory's figures: everyone seen in the data, as resolver or as owner, with
first and last seen, the tickets credited to them (``readmodel.credited_agent``) and their
main team, joined with what an admin set on them (``storage.people``).

The read model already counts every alias as its person (``readmodel.with_aliases``), so a
merged person's figures are the sum of their names'.
"""

from __future__ import annotations

import pandas as pd

from sla.analytics.metrics import plain_value

DIRECTORY_KEYS = ("name", "display_name", "email", "team", "team_set", "main_team", "active",
                  "aliases", "first_seen", "last_seen", "resolved", "open", "tickets")


def directory(frame: pd.DataFrame, profiles: list[dict]) -> list[dict]:
    """One row per person (``DIRECTORY_KEYS``), most tickets first; aliases are listed on
    their person, never as people. ``team`` is the team an admin set, else the main team
    (the team of most of their tickets)."""
    seen = _seen(frame)
    credited = _credited(frame)
    stored = {p["_id"]: p for p in profiles}
    aliases: dict[str, list[str]] = {}
    for name, doc in stored.items():
        if doc.get("merged_into"):
            aliases.setdefault(doc["merged_into"], []).append(name)
    names = (set(seen.index) | set(credited.index)
             | {n for n, d in stored.items() if not d.get("merged_into")}) - {
        n for n, d in stored.items() if d.get("merged_into")}
    seen_rows = seen.to_dict("index")
    credited_rows = credited.to_dict("index")
    nobody = {"resolved": 0, "open": 0, "main_team": None}
    rows = []
    for name in names:
        doc = stored.get(name, {})
        figures = credited_rows.get(name, nobody)
        first = seen_rows.get(name, {})
        main_team = figures["main_team"]
        rows.append({
            "name": name, "display_name": doc.get("display_name") or name,
            "email": doc.get("email") or None, "team": doc.get("team") or main_team,
            "team_set": doc.get("team") or None, "main_team": main_team,
            "active": doc.get("active", True) is not False,
            "aliases": sorted(aliases.get(name, [])),
            "first_seen": plain_value(first.get("first_seen")),
            "last_seen": plain_value(first.get("last_seen")),
            "resolved": int(figures["resolved"]), "open": int(figures["open"]),
            "tickets": int(figures["resolved"]) + int(figures["open"]),
        })
    rows.sort(key=lambda r: (-r["tickets"], r["name"].casefold()))
    return rows


def _seen(frame: pd.DataFrame) -> pd.DataFrame:
    """first_seen (earliest created) and last_seen (latest resolved, else created) per name
    seen as resolver or owner: each column grouped on its categories, then the two joined."""
    dates = pd.DataFrame({"first_seen": frame["created"],
                          "last_seen": frame["resolved_at"].where(frame["resolved_at"].notna(),
                                                                  frame["created"])})
    parts = []
    for column in ("resolved_by", "owner"):
        names = frame[column].astype("category")
        grouped = dates.groupby(names.cat.codes.to_numpy()).agg(
            {"first_seen": "min", "last_seen": "max"})
        grouped = grouped[grouped.index >= 0]
        grouped.index = names.cat.categories.astype(object)[grouped.index.to_numpy()]
        parts.append(grouped)
    seen = pd.concat(parts)
    return seen.groupby(level=0).agg({"first_seen": "min", "last_seen": "max"})


def _credited(frame: pd.DataFrame) -> pd.DataFrame:
    """resolved, open and main_team per credited agent."""
    named = frame[frame["agent"].notna().to_numpy()]
    if named.empty:
        return pd.DataFrame(columns=["resolved", "open", "main_team"])
    agent = named["agent"].astype(object)
    resolved = (named["status_class"] == "resolved").to_numpy()
    counts = pd.DataFrame({"agent": agent, "resolved": resolved, "open": ~resolved}) \
        .groupby("agent")[["resolved", "open"]].sum()
    teams = pd.DataFrame({"agent": agent, "team": named["team"].astype(object)}).dropna()
    sizes = teams.groupby(["agent", "team"]).size().reset_index(name="n") \
        .sort_values(["agent", "n", "team"], ascending=[True, False, True])
    counts["main_team"] = sizes.drop_duplicates("agent").set_index("agent")["team"]
    return counts.astype({"main_team": object}).where(counts.notna(), None)
