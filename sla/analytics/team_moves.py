"""What a change of the desk's teams or team rules would do before it is saved: the tickets
that would move from one team to another, and the team names in the files no rule maps."""

from __future__ import annotations

import pandas as pd

from sla.analytics.readmodel import Snapshot
from sla.core.teams import team_of


def team_moves(snapshot: Snapshot, team_rules: list[dict]) -> list[dict]:
    """{"from", "to", "tickets"} for every pair of teams some tickets would move between under
    ``team_rules``, most tickets first. Each distinct raw name is matched once."""
    frame = snapshot.frame
    raw = frame["team_raw"].astype("string").fillna("")
    teams = {name: team_of(name or None, team_rules) for name in pd.unique(raw.to_numpy())}
    moved = pd.DataFrame({"from": frame["team"].astype("string").fillna("Unassigned"),
                          "to": raw.map(teams).astype("string")})
    moved = moved[moved["from"] != moved["to"]]
    counts = moved.groupby(["from", "to"]).size().sort_values(ascending=False, kind="stable")
    return [{"from": old, "to": new, "tickets": int(n)} for (old, new), n in counts.items()]


def unmapped_names(snapshot: Snapshot) -> list[dict]:
    """{"team_raw", "tickets"} for every team name in the files that no rule maps (their
    tickets are in Other), most tickets first."""
    frame = snapshot.frame
    other = frame.loc[frame["team"] == "Other", "team_raw"].astype("string").dropna()
    counts = other.value_counts(sort=False).sort_index().sort_values(ascending=False,
                                                                     kind="stable")
    return [{"team_raw": str(name), "tickets": int(n)} for name, n in counts.items() if n]
