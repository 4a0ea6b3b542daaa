"""The fair agent ranking: each agent's SLA % against what the desk achieves on that agent's
own mix of tickets.

Raw SLA % rewards an easy mix (an agent on P4 requests beats one on P1 outages) and luck on
small volumes (6 tickets at 100 % beat 600 at 95 %). So, per agent and per SLA kind:

- **expected rate**: for every ticket the agent has with an outcome, the desk's rate in that
  ticket's stratum (its priority, and its category where the file has categories and the
  priority-and-category cell holds at least ``MIN_STRATUM`` tickets; smaller cells of a
  priority are pooled), averaged over the agent's tickets. The desk is every ticket with an
  agent, so summed over agents the expected met tickets equal the actual met tickets.
- **vs expected**: actual − expected, in points, with a 95 % interval from the binomial
  variance of the agent's own tickets at the desk's rates (wide for small volumes).
- **fair score**: each difference shrunk toward 0 (the desk) by n ÷ (n + prior), as if the
  agent had ``prior`` more tickets at exactly the expected rate, then weighted like the score
  (resolution and response weights). Agents rank by it; no agent tops it on a few lucky tickets.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

KINDS = ("response", "resolution")
MIN_STRATUM = 30  # tickets with an outcome a priority-and-category cell needs to stand alone
Z95 = 1.959964


def strata(frame: pd.DataFrame) -> np.ndarray:
    """Each row's stratum as a number: its priority, with its category where that cell holds
    at least MIN_STRATUM rows (a priority's smaller cells pooled into one)."""
    priority, _ = pd.factorize(frame["priority"], use_na_sentinel=False)
    if "category" not in frame or frame["category"].notna().sum() == 0:
        return priority
    category, categories = pd.factorize(frame["category"], use_na_sentinel=False)
    width = len(categories) + 1  # the last slot of each priority: its pooled small cells
    cell = priority * width + category
    small = np.bincount(cell)[cell] < MIN_STRATUM
    return np.where(small, priority * width + width - 1, cell)


def expected_by_agent(named: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Per agent (index): n, met, expected (met tickets), variance, for one SLA kind.

    ``named`` holds the tickets with an agent and the read model's flag columns."""
    met_flag, breached_flag = named[f"{kind}_met"], named[f"{kind}_breached"]
    rows = named[(met_flag | breached_flag).to_numpy()]
    if rows.empty:
        return pd.DataFrame(columns=["n", "met", "expected", "variance"], dtype="float64")
    met = rows[f"{kind}_met"].astype("float64").to_numpy()
    cells = strata(rows)
    rate = pd.Series(met).groupby(cells).mean()
    p = rate.reindex(cells).to_numpy()
    table = pd.DataFrame({"agent": rows["agent"].astype(str).to_numpy(), "n": 1.0,
                          "met": met, "expected": p, "variance": p * (1 - p)})
    return table.groupby("agent", sort=False)[["n", "met", "expected", "variance"]].sum()


def fair_columns(named: pd.DataFrame, weights: dict) -> dict[str, dict]:
    """Per agent name: the fair-ranking keys of ``agents --json``."""
    prior = float(weights["fair_prior_tickets"])
    result: dict[str, dict] = {}
    shrunk: dict[str, dict[str, float]] = {}
    for kind in KINDS:
        table = expected_by_agent(named, kind)
        for agent, row in table.iterrows():
            figures = _kind_figures(row, prior)
            result.setdefault(agent, {}).update(
                {f"expected_{kind}_sla_pct": figures["expected"],
                 f"{kind}_vs_expected": figures["difference"],
                 f"{kind}_vs_expected_low": figures["low"],
                 f"{kind}_vs_expected_high": figures["high"]})
            shrunk.setdefault(agent, {})[kind] = figures["shrunk"]
    for agent, figures in result.items():
        parts = shrunk.get(agent, {})
        figures["fair_score"] = round(float(
            weights["resolution_weight"] * parts.get("resolution", 0.0)
            + weights["response_weight"] * parts.get("response", 0.0)), 4)
    return result


def _kind_figures(row: pd.Series, prior: float) -> dict:
    n, met, expected, variance = (float(row[k]) for k in ("n", "met", "expected", "variance"))
    difference = 100 * (met - expected) / n
    half = 100 * Z95 * math.sqrt(variance) / n
    return {"expected": round(100 * expected / n, 4), "difference": round(difference, 4),
            "low": round(difference - half, 4), "high": round(difference + half, 4),
            "shrunk": difference * n / (n + prior)}


EMPTY = {key: None for kind in KINDS for key in (
    f"expected_{kind}_sla_pct", f"{kind}_vs_expected", f"{kind}_vs_expected_low",
    f"{kind}_vs_expected_high")}


KEYS = (*EMPTY, "fair_score", "fair_rank")  # what the fair ranking adds to an agent's row


def with_fair_ranking(agent_rows: list[dict], named: pd.DataFrame, weights: dict) -> list[dict]:
    """``agent_rows`` with the fair-ranking keys and ``fair_rank`` (1 = best; agents with no
    SLA outcome at all last)."""
    fair = fair_columns(named, weights)
    for row in agent_rows:
        row.update({**EMPTY, "fair_score": None, **fair.get(str(row["agent"]), {})})
    ranked = sorted(agent_rows, key=fair_order)
    for position, row in enumerate(ranked, start=1):
        row["fair_rank"] = position
    return agent_rows


def fair_order(row: dict):
    """Fair score first (agents without one last), then more tickets, then name."""
    has = row.get("fair_score") is not None
    return (not has, -(row.get("fair_score") or 0.0), -row["total_tickets"], str(row["agent"]))


def expected_met_total(named: pd.DataFrame, kind: str) -> tuple[float, float]:
    """(expected met, actual met) over every agent: equal by construction (a check)."""
    table = expected_by_agent(named, kind)
    return float(np.sum(table["expected"])), float(np.sum(table["met"]))
