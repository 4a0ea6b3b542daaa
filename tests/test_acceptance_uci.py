"""Acceptance on real data: the UCI incident event log imported through the CLI.

The expected figures are computed here with plain pandas from the raw CSV and the contract's
rules (the last row of a number in file order is its final state; ``?`` means missing), never
with the app's own code, then compared with ``summary``, ``teams`` and ``agents --json``.
Skipped when ../shared/data is absent.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pandas as pd
import pytest
from pymongo import MongoClient

from tests.conftest import ROOT, own_cli_env

pytestmark = pytest.mark.timeout(900)
approx = pytest.approx

EMPTY = {"", "?", "-", "n/a", "na", "null", "none"}  # contract section 2
RESOLVED_STATUSES = {"resolved", "closed", "completed", "done", "cancelled", "canceled"}
TEAM_WORDS = [  # contract section 5, default rules, in order
    ("L1", ["l1", "level 1", "level1", "tier 1", "tier1", "1st line", "first line"], []),
    ("L2", ["l2", "level 2", "level2", "tier 2", "tier2", "2nd line", "second line"], []),
    ("Business", ["business", "functional", "data team"], ["bt"]),
]
TEAMS = ["L1", "L2", "Business", "Other", "Unassigned"]


def empty(value: str) -> bool:
    return value.strip().lower() in EMPTY


def team_of(raw: str) -> str:
    """The contract's default team rule, written out independently of sla.ingest.normalise."""
    if empty(raw):
        return "Unassigned"
    cleaned = re.sub(r"[^a-z0-9]+", " ", raw.lower()).strip()
    if not cleaned:
        return "Unassigned"
    words = f" {cleaned} "
    for team, phrases, exact in TEAM_WORDS:
        if cleaned in exact or any(f" {p} " in words for p in phrases):
            return team
    return "Other"


def cli(env: dict, *args) -> str:
    result = subprocess.run([sys.executable, "-m", "sla", *map(str, args)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def final(uci_csv) -> pd.DataFrame:
    """The final state of each incident: its last row in file order, with derived columns."""
    return last_rows(uci_csv)


def last_rows(path) -> pd.DataFrame:
    """Each incident's last row in the event log at ``path``, with derived columns."""
    events = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows = events.drop_duplicates("number", keep="last").copy()
    rows["status_class"] = ["resolved" if s.strip().lower() in RESOLVED_STATUSES else "pending"
                            for s in rows["incident_state"]]
    rows["team"] = rows["assignment_group"].map(team_of)
    resolver = rows["resolved_by"].where(~rows["resolved_by"].map(empty), "").str.strip()
    owner = rows["assigned_to"].where(~rows["assigned_to"].map(empty), "").str.strip()
    resolved = rows["status_class"] == "resolved"  # credited: docs/metrics.md, "Per agent"
    rows["agent"] = resolver.where(resolved & (resolver != ""), owner)
    rows["agent"] = rows["agent"].where(resolved | (owner != ""), resolver)
    rows["opened"] = pd.to_datetime(rows["opened_at"].where(~rows["opened_at"].map(empty)),
                                    format="%d/%m/%Y %H:%M")
    rows["sla"] = rows["made_sla"].str.strip().str.lower()
    opened = pd.to_datetime(rows["opened_at"].where(~rows["opened_at"].map(empty)),
                            format="%d/%m/%Y %H:%M")
    resolved = pd.to_datetime(rows["resolved_at"].where(~rows["resolved_at"].map(empty)),
                              format="%d/%m/%Y %H:%M")
    closed = pd.to_datetime(rows["closed_at"].where(~rows["closed_at"].map(empty)),
                            format="%d/%m/%Y %H:%M")
    resolved = resolved.fillna(closed)  # a ticket without a resolved date takes its closed one
    hours = (resolved - opened).dt.total_seconds() / 3600
    rows["resolution_hours"] = hours.where(hours >= 0)  # negative: not parsed (section 3)
    return rows


@pytest.fixture(scope="module")
def uci_env(server_uri, uci_csv, tmp_path_factory):
    """A CLI environment on its own database, and the JSON report of importing the log once."""
    env = own_cli_env(server_uri, tmp_path_factory.mktemp("uci-cli"))
    report = json.loads(cli(env, "import", uci_csv, "--json"))
    yield env, report
    client = MongoClient(server_uri)
    client.drop_database(env["SLA_DB"])
    client.close()


def met_breached(rows: pd.DataFrame) -> tuple[int, int]:
    return int((rows["sla"] == "true").sum()), int((rows["sla"] == "false").sum())


def pct(met: int, breached: int) -> float | None:
    return 100 * met / (met + breached) if met + breached else None


def test_import_report(uci_env, final):
    _, report = uci_env
    assert report["rows_read"] == 141_712
    assert report["tickets"] == len(final) == 24_918
    assert report["folded"] == 141_712 - 24_918
    assert (report["inserted"], report["updated"], report["unchanged"]) == (24_918, 0, 0)
    assert report["rejected"] == 0 and report["sla_not_recognised"] == 0
    assert report["date_order"]["created"] == "day-first"
    assert report["mapping"]["sr_number"] == "number"
    assert report["mapping"]["team_raw"] == "assignment_group"
    assert report["mapping"]["resolution_sla"] == "made_sla"
    assert report["teams_unassigned"] == int((final["team"] == "Unassigned").sum())
    assert sum(report["teams_other"].values()) == int((final["team"] == "Other").sum())


def test_summary_matches_pandas(uci_env, final):
    env, _ = uci_env
    result = json.loads(cli(env, "summary", "--json"))
    assert set(final["sla"]) <= {"true", "false"}
    met, breached = met_breached(final)
    assert result["total_tickets"] == 24_918
    assert result["resolved"] == int((final["status_class"] == "resolved").sum())
    assert result["pending"] == int((final["status_class"] == "pending").sum())
    assert result["pending_by_team"] == {
        team: int(((final["status_class"] == "pending") & (final["team"] == team)).sum())
        for team in TEAMS}
    assert (result["resolution_met"], result["resolution_breached"]) == (met, breached)
    assert result["resolution_sla_pct"] == approx(pct(met, breached), abs=0.005)
    assert result["response_sla_pct"] is None  # no response column, no response hours
    assert result["avg_response_hours"] is None
    assert result["breaches"] == breached
    assert result["avg_resolution_hours"] == approx(final["resolution_hours"].mean(), rel=1e-9)


def test_teams_match_pandas(uci_env, final):
    env, _ = uci_env
    rows = json.loads(cli(env, "teams", "--json"))
    expected_order = [t for t in TEAMS if (final["team"] == t).any()]
    assert [r["team"] for r in rows] == expected_order
    for row in rows:
        part = final[final["team"] == row["team"]]
        met, breached = met_breached(part)
        assert row["total_tickets"] == len(part), row["team"]
        assert row["resolved"] == int((part["status_class"] == "resolved").sum())
        assert (row["resolution_met"], row["resolution_breached"]) == (met, breached)
        assert row["resolution_sla_pct"] == approx(pct(met, breached), abs=0.005)
        assert row["avg_resolution_hours"] == approx(part["resolution_hours"].mean(), rel=1e-9)


def test_agents_match_pandas(uci_env, final):
    env, _ = uci_env
    rows = {r["agent"]: r for r in json.loads(cli(env, "agents", "--json"))}
    with_agent = final[final["agent"] != ""]
    counts = with_agent["agent"].value_counts()
    assert set(rows) == set(counts.index)
    assert sum(r["total_tickets"] for r in rows.values()) == len(with_agent)
    for name in [*counts.index[:3], counts.index[len(counts) // 2], counts.index[-1]]:
        part = with_agent[with_agent["agent"] == name]
        met, breached = met_breached(part)
        row = rows[name]
        assert row["total_tickets"] == len(part), name
        assert (row["resolution_met"], row["resolution_breached"]) == (met, breached), name
        expected_score = 0.0 if len(part) < 5 else \
            0.6 * (pct(met, breached) or 0) + 0.4 * 0 + min(len(part) - 5, 20)
        assert row["score"] == approx(expected_score, abs=0.011), name


def test_top_performers_match_pandas(uci_env, final):
    env, _ = uci_env
    result = json.loads(cli(env, "summary", "--json"))
    with_agent = final[final["agent"] != ""]
    scored = []
    for name, part in with_agent.groupby("agent"):
        met, breached = met_breached(part)
        if len(part) >= 5:
            value = round(0.6 * (pct(met, breached) or 0) + min(len(part) - 5, 20), 2)
            if value > 0:
                scored.append((-value, -len(part), name))
    expected = [name for _, _, name in sorted(scored)[:5]]
    assert [p["agent"] for p in result["top_performers"]] == expected


def test_reimport_leaves_every_ticket_unchanged(uci_env, uci_csv):
    env, _ = uci_env
    report = json.loads(cli(env, "import", uci_csv, "--json"))
    assert (report["inserted"], report["updated"], report["unchanged"]) == (0, 0, 24_918)


CUT_OFF = pd.Timestamp("2016-04-01")  # every incident of the log is closed by its end


@pytest.fixture(scope="module")
def midway_csv(uci_csv, tmp_path_factory):
    """The log as it stood at CUT_OFF: its events updated before then."""
    events = pd.read_csv(uci_csv, dtype=str, keep_default_na=False)
    updated = pd.to_datetime(events["sys_updated_at"], format="%d/%m/%Y %H:%M")
    path = tmp_path_factory.mktemp("uci-midway") / "midway.csv"
    events[updated < CUT_OFF].to_csv(path, index=False)
    return path


@pytest.fixture
def midway(server_uri, midway_csv, tmp_path) -> tuple[dict, pd.DataFrame]:
    """``midway_csv`` imported on a database of its own, and each incident's last row then,
    credited as in ``final``."""
    env = own_cli_env(server_uri, tmp_path)
    cli(env, "import", midway_csv)
    yield env, last_rows(midway_csv)
    client = MongoClient(server_uri)
    client.drop_database(env["SLA_DB"])
    client.close()


def test_the_desks_own_teams_match_pandas(midway):
    """Contract, Teams: the three busiest real groups as teams of their own (one by exact
    name, two by a pattern), every other group Other; counts per team as pandas makes them."""
    env, incidents = midway
    groups = incidents["assignment_group"]
    busiest = groups[~groups.map(empty)].value_counts().index[:3].tolist()
    first, second, third = busiest
    desks = ["Desk A: Ann <ann@example.com>", "Desk B", "Desk C"]
    cli(env, "settings", "set", "teams", *desks, "L1", "L2", "Business")  # rules name these
    cli(env, "settings", "set", "team_rules", f"Desk A: ={first}",
        f"Desk B: ~^{re.escape(second)}$", f"Desk C: ~^{re.escape(third)}$")
    cli(env, "settings", "set", "teams", *desks)
    teams = {row["team"]: row["total_tickets"] for row in json.loads(cli(env, "teams", "--json"))}
    named = {first: "Desk A", second: "Desk B", third: "Desk C"}
    expected = incidents["assignment_group"].map(
        lambda group: "Unassigned" if empty(group) else named.get(group, "Other"))
    assert teams == expected.value_counts().to_dict()
    assert list(teams)[:3] == ["Desk A", "Desk B", "Desk C"]


def test_the_backlog_per_owner_matches_pandas(midway):
    """Contract, "Backlog per owner": each owner's open tickets, split by calendar days from
    created to the moment measured (the data's clock of this old export)."""
    env, incidents = midway
    result = json.loads(cli(env, "backlog", "--json"))
    as_of = pd.Timestamp(result["as_of"])
    open_ = incidents[incidents["status_class"] == "pending"]
    owned = open_[open_["agent"] != ""]
    assert result["clock"] == "data" and len(owned) > 1000 and owned["opened"].max() <= as_of
    assert result["total"]["open"] == len(open_)
    rows = {row["agent"]: row for row in result["agents"]}
    assert set(rows) == set(owned["agent"])
    ages = (as_of - owned["opened"]).dt.total_seconds() / 86_400
    buckets = pd.cut(ages, [0, 1, 3, 7, float("inf")], right=False,
                     labels=["under_1_day", "days_1_to_3", "days_3_to_7", "over_7_days"])
    expected = pd.crosstab(owned["agent"], buckets)
    for name, row in rows.items():
        assert row["open"] == int((owned["agent"] == name).sum()), name
        for bucket in expected.columns:
            assert row[bucket] == int(expected.loc[name, bucket]), (name, bucket)
    assert [r["open"] for r in result["agents"]] == sorted(
        (r["open"] for r in result["agents"]), reverse=True)
    pending = json.loads(cli(env, "agents", "--status", "pending", "--json"))
    assert {r["agent"]: r["total_tickets"] for r in pending} == {
        name: row["open"] for name, row in rows.items()}


def test_the_people_directory_matches_pandas_and_a_merge_adds_up(midway):
    """Contract, "People": everyone the last rows name as resolver or owner, with the tickets
    credited to them; two real people merged count as one in the directory and the agents."""
    env, incidents = midway
    people = {row["name"]: row for row in json.loads(cli(env, "people", "list", "--json"))}
    named = set()
    for column in ("resolved_by", "assigned_to"):
        values = incidents[column].where(~incidents[column].map(empty), "").str.strip()
        named |= set(values[values != ""])
    assert set(people) == named and len(people) > 100
    credited = incidents[incidents["agent"] != ""]
    resolved = credited[credited["status_class"] == "resolved"]["agent"].value_counts()
    open_ = credited[credited["status_class"] == "pending"]["agent"].value_counts()
    for name, row in people.items():
        assert (row["resolved"], row["open"]) == (int(resolved.get(name, 0)),
                                                  int(open_.get(name, 0))), name
    first, second = list(people)[:2]
    cli(env, "people", "merge", second, first)
    merged = {row["name"]: row for row in json.loads(cli(env, "people", "list", "--json"))}
    assert second not in merged and merged[first]["aliases"] == [second]
    assert merged[first]["tickets"] == people[first]["tickets"] + people[second]["tickets"]
    agents = {row["agent"]: row["total_tickets"] for row in json.loads(cli(env, "agents",
                                                                            "--json"))}
    assert second not in agents and agents[first] == merged[first]["tickets"]
