"""What moved between two imports: the change in response and resolution SLA % and in pending,
split into causes, teams and priorities whose contributions add up exactly to the change.

Each import keeps the read model snapshot it published (``sla.storage.uploads`` keeps the
newest few), so the tickets as they stood after any recent import can be compared
ticket by ticket with those after another.

The split of a percentage p = 100 × M ÷ N (M met, N met + breached) from before (M₀, N₀) to
after (M₁, N₁): each ticket whose outcome changed contributes 100 × (Δmᵢ − p₀ Δnᵢ) ÷ N₁
points, where Δmᵢ and Δnᵢ are its change in met (−1, 0, 1) and in having an outcome. Summed
over tickets that is exactly p₁ − p₀, with no order of causes to choose and no remainder.
A percentage that was null before counts from 0; one that is null after has no split.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from sla.core.display import literal
from sla.core.filters import Filters

STATE_COLUMNS = ("sr_number", "team", "priority", "status_class", "response_sla",
                 "resolution_sla")
PERCENTAGES = {"resolution_sla_pct": "resolution_sla", "response_sla_pct": "response_sla"}
NEW, DELETED, REMOVED, EDITED = ("new ticket", "deleted in the app", "no longer held",
                                 "edited in the app")
MOVED_IN, MOVED_OUT = "moved into the selection", "moved out of the selection"


class ChangesError(LookupError):
    """The imports asked for cannot be compared; the message is one line."""


# ---------------------------------------------------------------- choosing the two imports

def pick(kept: list[dict], from_id: str | None, to_id: str | None,
         exists: Callable[[str], bool | None], keep: int) -> tuple[dict, dict]:
    """The two imports to compare among ``kept`` (the imports whose snapshot is kept, newest
    first): by id, else the newest and the one before it that changed data (an import of an
    unchanged file changes nothing to compare). ``exists`` tells whether an id names an
    import at all (None: not an import id); ``keep`` is how many imports keep their figures."""
    by_id = {str(u["_id"]): u for u in kept}
    after = _named(to_id, by_id, exists, keep) if to_id else (kept[0] if kept else None)
    if after is None:
        raise ChangesError("there is no import to compare yet")
    if from_id:
        before = _named(from_id, by_id, exists, keep)
    else:
        older = [u for u in kept if u["at"] <= after["at"] and u["_id"] != after["_id"]
                 and u.get("version_after") != after.get("version_after")]
        before = older[0] if older else None
    if before is None:
        raise ChangesError("there is only one import with its figures kept, so nothing to "
                           "compare it with")
    return before, after


def _named(upload_id: str, kept: dict, exists: Callable[[str], bool | None], keep: int) -> dict:
    if upload_id in kept:
        return kept[upload_id]
    found = exists(upload_id)
    if found is None:
        raise ChangesError(f"{upload_id} is not an import id (24 hexadecimal characters, as "
                           "`./sla.sh changes --json` prints them)")
    if found:
        raise ChangesError(f"the figures of import {upload_id} are no longer kept (only the "
                           f"last {keep} imports are)")
    raise ChangesError(f"there is no import {upload_id}")


# ---------------------------------------------------------------- comparing

def describe(upload: dict) -> dict:
    return {"id": str(upload["_id"]), "at": upload["at"], "file_name": upload.get("file_name")}


def compare(before: pd.DataFrame, after: pd.DataFrame, filters: Filters = Filters(),
            edited: set = frozenset(), deleted: set = frozenset()) -> dict:
    """The three figures before and after, each with its contributions (pure; the tests'
    hand-worked cases call it directly)."""
    joined = _joined(before, after, filters)
    causes = _causes(joined, edited, deleted)
    result = {name: _percentage_change(joined, causes, column)
              for name, column in PERCENTAGES.items()}
    result["pending"] = _pending_change(joined, causes)
    return result


def _joined(before: pd.DataFrame, after: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """One row per SR held before or after: both states, and whether each passes the filters."""
    sides = []
    for frame, suffix in ((before, "_0"), (after, "_1")):
        state = frame[list(STATE_COLUMNS)].astype(object).copy()
        state["held"] = True
        state["kept"] = False
        state.loc[filters.select(frame).index, "kept"] = True
        sides.append(state.set_index("sr_number").add_suffix(suffix))
    joined = sides[0].join(sides[1], how="outer")
    for suffix in ("_0", "_1"):
        for name in ("held", "kept"):
            joined[name + suffix] = joined[name + suffix].fillna(False).astype(bool)
    return joined[joined["kept_0"] | joined["kept_1"]]


def _side(joined: pd.DataFrame, name: str) -> pd.Series:
    """A field after the change, or before it for a ticket no longer held."""
    return joined[f"{name}_1"].where(joined["held_1"], joined[f"{name}_0"])


def _causes(joined: pd.DataFrame, edited: set, deleted: set) -> pd.Series:
    """Each ticket's cause, when it is not a change of state (else None)."""
    index = joined.index.to_series()
    cause = pd.Series(None, index=joined.index, dtype=object)
    cause[~joined["held_1"]] = np.where(index[~joined["held_1"]].isin(deleted), DELETED, REMOVED)
    cause[~joined["held_0"]] = NEW
    both = joined["held_0"] & joined["held_1"]
    cause[both & index.isin(edited)] = EDITED
    undecided = both & cause.isna()
    cause[undecided & joined["kept_1"] & ~joined["kept_0"]] = MOVED_IN
    cause[undecided & joined["kept_0"] & ~joined["kept_1"]] = MOVED_OUT
    return cause


def _state(joined: pd.DataFrame, column: str, suffix: str) -> pd.Series:
    """A ticket's outcome in words: met, breached, pending (no outcome yet) or no outcome."""
    flag = joined[column + suffix]
    pending = joined["status_class" + suffix] == "pending"
    words = np.where(flag.isin(["met", "breached"]), flag.astype(str),
                     np.where(pending, "pending", "no outcome"))
    return pd.Series(words, index=joined.index)


def _percentage_change(joined: pd.DataFrame, causes: pd.Series, column: str) -> dict:
    met = [(joined[column + s] == "met") & joined["kept" + s] for s in ("_0", "_1")]
    has = [joined[column + s].isin(["met", "breached"]) & joined["kept" + s]
           for s in ("_0", "_1")]
    counts = [(int(m.sum()), int(h.sum())) for m, h in zip(met, has)]
    before, after = (100 * m / n if n else None for m, n in counts)
    result = {"before": before, "after": after,
              "change": None if after is None else after - (before or 0.0)}
    if after is None:
        return {**result, "contributions": []}
    dm = met[1].astype(int) - met[0].astype(int)
    dn = has[1].astype(int) - has[0].astype(int)
    moved = (dm != 0) | (dn != 0)
    points = 100 * (dm - (before or 0.0) / 100 * dn) / counts[1][1]
    transition = _state(joined, column, "_0") + "→" + _state(joined, column, "_1")
    return {**result, "contributions": _grouped(joined[moved], causes[moved], transition[moved],
                                                points[moved])}


def _pending_change(joined: pd.DataFrame, causes: pd.Series) -> dict:
    pending = [((joined["status_class" + s] == "pending") & joined["kept" + s]).astype(int)
               for s in ("_0", "_1")]
    before, after = int(pending[0].sum()), int(pending[1].sum())
    delta = pending[1] - pending[0]
    moved = delta != 0
    transition = (joined["status_class_0"].fillna("none").astype(str) + "→"
                  + joined["status_class_1"].fillna("none").astype(str))
    return {"before": before, "after": after, "change": after - before,
            "contributions": _grouped(joined[moved], causes[moved], transition[moved],
                                      delta[moved].astype(float))}


def _grouped(joined: pd.DataFrame, causes: pd.Series, transitions: pd.Series,
             points: pd.Series) -> list[dict]:
    """Contributions per (cause, team, priority), largest first."""
    if joined.empty:
        return []
    table = pd.DataFrame({"cause": causes.where(causes.notna(), transitions),
                          "team": _side(joined, "team").fillna("Unassigned").astype(str),
                          "priority": _side(joined, "priority").fillna("(none)").astype(str),
                          "points": points.astype(float)})
    sums = table.groupby(["cause", "team", "priority"], sort=False)["points"].agg(["size", "sum"])
    rows = [{"cause": cause, "team": team, "priority": priority, "tickets": int(size),
             "points": float(total)}
            for (cause, team, priority), (size, total) in sums.iterrows()]
    return sorted(rows, key=lambda r: (-abs(r["points"]), r["cause"], r["team"], r["priority"]))


# ---------------------------------------------------------------- in words

FIGURE_NAMES = {"resolution_sla_pct": "Resolution SLA", "response_sla_pct": "Response SLA",
                "pending": "Pending"}


def headline(result: dict, name: str = "resolution_sla_pct", most: int = 3,
             created: str | None = None) -> str:
    """One Markdown sentence: the change of a figure between the two imports compared, named,
    and its largest causes ("Resolution SLA −2.1 pts since the import of 18 Nov (week1.csv),
    up to that of 25 Nov (week2.csv): −1.6 from 212 P3 tickets in L2 that went
    pending→breached; …"). ``created`` names the created dates a filter limits the tickets to.
    Values from files shown literally."""
    figure = result[name]
    since = (f"since the import of {_import_text(result['from'])}, up to that of "
             f"{_import_text(result['to'])}")
    among = f" (tickets created {created} only)" if created else ""
    if figure["change"] is None:
        return f"{FIGURE_NAMES[name]} has no figure now{among}, {since}."
    pct = name != "pending"
    change = f"{figure['change']:+,.1f} pts" if pct else f"{figure['change']:+,d}"
    parts = [_cause_text(c, pct) for c in figure["contributions"][:most]]
    text = f"**{FIGURE_NAMES[name]} {change}**{among} {since}"
    return text + (": " + "; ".join(parts) + "." if parts else ": nothing moved.")


def _import_text(upload: dict) -> str:
    return f"{upload['at']:%d %b %Y %H:%M} ({literal(upload['file_name'])})"


def _cause_text(contribution: dict, pct: bool) -> str:
    points = contribution["points"]
    amount = (f"{points:+,.2f}" if abs(points) < 0.1 else f"{points:+,.1f}") if pct \
        else f"{points:+,.0f}"
    tickets = f"{contribution['tickets']:,} {literal(contribution['priority'])} " \
              f"ticket{'s' if contribution['tickets'] != 1 else ''} " \
              f"in {literal(contribution['team'])}"
    cause = contribution["cause"]
    what = f"that went {cause}" if "→" in cause else f"({cause})"
    return f"{amount} from {tickets} {what}"
