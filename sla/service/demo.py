"""A generated, realistic export in the old system's shape, for demos, tests and benchmarks.

The columns are those of the old dashboard's Excel export (plus ``Priority``, which newer
exports carry); durations are text like ``129:45`` and SLA statuses ``Met``/``Breached``,
so the demo data goes through exactly the same reading path as a real upload.
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd

from sla.core.fields import DEFAULT_SETTINGS

DEMO_FILE, DEMO_USER = "demo-export.xlsx", "demo"  # what ``./sla.sh demo`` imports as

SEED_COLUMNS = [
    "SR Number", "Created", "Raised For", "Area", "Sub Area", "Problem Area", "Status",
    "Sub Status", "Assigned", "Updated", "Assigned SR Category", "Resolved Date", "Resolved By",
    "Updated Resolved By Team", "Response SLA Status", "Resolution SLA Status", "Updated Team",
    "Response Time (hh:mm)", "Resolution Time (hh:mm)", "If Breached - Response (hrs)",
    "If Breached - Resolution (hrs)", "Life Cycle Target (hrs)", "Total Time Taken (hrs)",
]

TEAMS = {  # raw team name -> share of tickets
    "L1 - Service Desk": 0.42, "L2 Application Support": 0.25, "Level 2 - Infrastructure": 0.08,
    "Business Team - Finance": 0.10, "Functional Support": 0.05, "Network Operations": 0.06,
    "": 0.04,
}
AGENTS = {
    "L1": ["Asha Verma", "Ben Okafor", "Chloe Martin", "Diego Alvarez", "Elif Yilmaz",
           "Farah Khan", "George Li", "Hana Sato"],
    "L2": ["Ivan Petrov", "Julia Rossi", "Kofi Mensah", "Lena Berg", "Marco Silva", "Nina Kaur"],
    "Business": ["Omar Haddad", "Priya Nair", "Quentin Dubois", "Rosa Gomez"],
    "Other": ["Sam Carter", "Tariq Aziz"],
}
AREAS = {"Email": ["Outlook", "Mailbox size"], "Access": ["Password reset", "New account"],
         "ERP": ["Invoices", "Purchase orders"], "Network": ["VPN", "Wi-Fi"],
         "Hardware": ["Laptop", "Printer"], "Reporting": ["Dashboards", "Data extract"]}
PRIORITY_SHARE = {"P1": 0.03, "P2": 0.12, "P3": 0.45, "P4": 0.35, "P5": 0.05}
PENDING_STATUSES = ["Open", "In Progress", "Pending Customer", "Assigned"]
COLUMNS = [*SEED_COLUMNS, "Priority"]
TEAM_NAMES = list(TEAMS)
TEAM_SHARE = np.array(list(TEAMS.values())) / sum(TEAMS.values())
PRIORITY_NAMES = list(PRIORITY_SHARE)
PRIORITY_PROBS = np.array(list(PRIORITY_SHARE.values()))


def _team_key(raw: str) -> str:
    lower = raw.lower()
    if "l1" in lower or "service desk" in lower:
        return "L1"
    if "l2" in lower or "level 2" in lower:
        return "L2"
    if "business" in lower or "functional" in lower:
        return "Business"
    return "Other"


def _clock(hours: float) -> str:
    minutes = int(round(hours * 60))
    return f"{minutes // 60}:{minutes % 60:02d}"


def generate_export(n: int = 3000, seed: int = 7, end: dt.date | None = None,
                    months: int = 6, with_priority: bool = True) -> pd.DataFrame:
    """``n`` tickets created over ``months`` months up to ``end``, in the old export's columns."""
    rng = np.random.default_rng(seed)
    end_time = dt.datetime.combine(end or dt.date.today(), dt.time())
    start = end_time - dt.timedelta(days=30 * months)
    span_hours = (end_time - start).total_seconds() / 3600
    created_offsets = np.sort(rng.uniform(0, span_hours, n))
    rows = []
    for i in range(n):
        created = start + dt.timedelta(hours=float(created_offsets[i]))
        row = _ticket(rng, i, created.replace(second=0, microsecond=0), end_time)
        rows.append({name: row[name] for name in COLUMNS if with_priority or name != "Priority"})
    return pd.DataFrame(rows)


def _ticket(rng: np.random.Generator, i: int, created: dt.datetime,
            end_time: dt.datetime) -> dict:
    """One ticket's row: its team, agent and priority drawn, its times drawn around the
    priority's targets (some agents faster), pending when young or unlucky."""
    raw_team = str(rng.choice(TEAM_NAMES, p=TEAM_SHARE))
    agent = str(rng.choice(AGENTS[_team_key(raw_team) if raw_team else "L1"]))
    priority = str(rng.choice(PRIORITY_NAMES, p=PRIORITY_PROBS))
    target = DEFAULT_SETTINGS["sla_targets"][priority]
    area = str(rng.choice(list(AREAS)))
    age_hours = (end_time - created).total_seconds() / 3600
    skill = 0.75 + 0.5 * (sum(map(ord, agent)) % 7) / 7  # some agents are faster
    response = float(rng.lognormal(np.log(target["response"] * 0.55 * skill), 0.7))
    resolution = max(response + 0.1,
                     float(rng.lognormal(np.log(target["resolution"] * 0.6 * skill), 0.8)))
    pending = resolution > age_hours or rng.random() < 0.06 + 0.25 * (age_hours < 72)
    status = str(rng.choice(PENDING_STATUSES)) if pending else \
        str(rng.choice(["Resolved", "Closed"], p=[0.7, 0.3]))
    responded = response < age_hours
    resolved_at = None if pending else created + dt.timedelta(minutes=round(resolution * 60))
    return {
        "SR Number": f"SR{100000 + i}",
        "Created": created,
        "Raised For": f"User {int(rng.integers(1, 900))}",
        "Area": area,
        "Sub Area": str(rng.choice(AREAS[area])),
        "Problem Area": area,
        "Status": status,
        "Sub Status": "" if not pending else str(rng.choice(["Awaiting info", "Work in progress", ""])),
        "Assigned": agent,
        "Updated": resolved_at or created + dt.timedelta(minutes=min(int(age_hours * 60), 120)),
        "Assigned SR Category": f"{area} request",
        "Resolved Date": resolved_at,
        "Resolved By": "" if pending else agent,
        "Updated Resolved By Team": "" if pending else raw_team,
        **_sla_columns(target, response, resolution, responded, pending),
        "Updated Team": raw_team,
        "Response Time (hh:mm)": _clock(response) if responded else "",
        "Resolution Time (hh:mm)": "" if pending else _clock(resolution),
        "Priority": priority,
    }


def _sla_columns(target: dict, response: float, resolution: float, responded: bool,
                 pending: bool) -> dict:
    """The export's SLA outcome and breach columns of one ticket."""
    return {
        "Response SLA Status": ("Met" if response <= target["response"] else "Breached")
        if responded else "",
        "Resolution SLA Status": "" if pending else
        ("Met" if resolution <= target["resolution"] else "Breached"),
        "If Breached - Response (hrs)": round(response - target["response"], 2)
        if responded and response > target["response"] else "",
        "If Breached - Resolution (hrs)": round(resolution - target["resolution"], 2)
        if not pending and resolution > target["resolution"] else "",
        "Life Cycle Target (hrs)": target["resolution"],
        "Total Time Taken (hrs)": "" if pending else round(resolution, 2),
    }


def to_xlsx_bytes(frame: pd.DataFrame, title_rows: list[str] = ()) -> bytes:
    """The frame as an .xlsx workbook, optionally under a few title rows like real exports."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, startrow=len(title_rows), sheet_name="SR Report")
        sheet = writer.sheets["SR Report"]
        for row, text in enumerate(title_rows, start=1):
            sheet.cell(row=row, column=1, value=text)
    return buffer.getvalue()
