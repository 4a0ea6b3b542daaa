"""The read model as values: every ticket's metric fields as one compact columnar frame.

Pages and the CLI never scan the ``tickets`` collection. The write that changes tickets (an
import, a Settings change, an edit or a delete) also writes a new snapshot: the fields the
metrics, the at-risk list and the ticket tables use, one row per ticket (stored as Parquet by
``sla.storage.snapshots``). Each process loads a snapshot once per version and keeps it in
memory; the metrics are then pandas over these columns (``sla.analytics.metrics``).

This module knows the columns, their types and how frames are built and merged; it does no
input or output. Why this design and not rollup collections kept with ``$merge``: see
docs/performance.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

FORMAT = 3  # bump when the columns change: older snapshots are then rebuilt

TEXT_COLUMNS = ("sr_number", "content_hash")
CATEGORY_COLUMNS = ("status", "status_class", "priority", "category", "resolved_by", "owner",
                    "agent", "team", "team_raw", "response_sla", "resolution_sla", "calendar")
DATE_COLUMNS = ("created", "resolved_at", "paused_since")
NUMBER_COLUMNS = ("response_hours", "resolution_hours", "paused_hours")
COLUMNS = TEXT_COLUMNS + CATEGORY_COLUMNS + DATE_COLUMNS + NUMBER_COLUMNS
# What a ticket document gives the snapshot: its columns, and where its resolution hours
# come from (``frame_from_tickets``).
SOURCE_FIELDS = (*COLUMNS, "worked_hours", "hours_source")
# What pages need; the content hash is read only by imports, to compare files with the store.
VIEW_COLUMNS = tuple(c for c in COLUMNS if c != "content_hash")


# Derived once per snapshot and process, for the metrics: a 0/1 column per count they add up.
FLAGS = {"resolved": ("status_class", "resolved"),
         "response_met": ("response_sla", "met"), "response_breached": ("response_sla", "breached"),
         "resolution_met": ("resolution_sla", "met"),
         "resolution_breached": ("resolution_sla", "breached")}
COUNTED = (*FLAGS, "breaches")  # breaches: either SLA breached, each ticket counted once


# The timelines (``sla.analytics.handoffs``): one row per time a ticket's raw team or status
# changed, for the tickets whose timeline has more than one point; every other ticket was
# held by its one team from created on. ``exact`` is False for a change seen between two
# uploads; ``status`` is empty where it is not known (timelines of older versions).
TIMELINE_COLUMNS = ("sr_number", "at", "team_raw", "status", "exact")


@dataclass(frozen=True)
class Snapshot:
    """One data version's tickets as columns (``frame``), ready for ``sla.analytics.metrics``, and
    their team timelines (``timeline``)."""

    version: int
    frame: pd.DataFrame
    timeline: pd.DataFrame | None = None

    @classmethod
    def of(cls, version: int, frame: pd.DataFrame,
           timeline: pd.DataFrame | None = None) -> "Snapshot":
        return cls(version, with_flags(frame),
                   timeline if timeline is not None else empty_timeline())

    def __len__(self) -> int:
        return len(self.frame)


def with_flags(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` plus the COUNTED columns (one byte a ticket each)."""
    flags = {name: (frame[column] == value).to_numpy() for name, (column, value) in FLAGS.items()}
    flags["breaches"] = flags["response_breached"] | flags["resolution_breached"]
    return frame.assign(**flags)


# ---------------------------------------------------------------- building frames

def frame_from_tickets(tickets: Iterable[dict]) -> pd.DataFrame:
    """The snapshot rows of ticket documents (as parsed, or as stored). Their resolution
    hours are the ones the SLA clock measured where it did (``hours_source`` "clock")."""
    hours = COLUMNS.index("resolution_hours")
    records = []
    for ticket in tickets:
        record = [ticket.get(name) for name in COLUMNS]
        if ticket.get("hours_source") == "clock":
            record[hours] = ticket.get("worked_hours")
        records.append(record)
    frame = pd.DataFrame(records, columns=list(COLUMNS))
    return typed(frame.assign(agent=credited_agent(frame)))


def credited_agent(frame: pd.DataFrame) -> pd.Series:
    """Whom each ticket is credited to (docs/metrics.md, "Per agent"): a resolved ticket's
    resolver, else its owner; an open ticket's owner, else its resolver; None when neither."""
    resolver = frame["resolved_by"].astype("string").str.strip().replace("", pd.NA)
    owner = frame["owner"].astype("string").str.strip().replace("", pd.NA)
    resolved = (frame["status_class"] == "resolved").to_numpy(dtype=bool)
    return resolver.fillna(owner).where(resolved, owner.fillna(resolver))


PERSON_COLUMNS = ("resolved_by", "owner", "agent")


def with_aliases(frame: pd.DataFrame, aliases: dict[str, str]) -> pd.DataFrame:
    """``frame`` with each alias in the people columns replaced by the person it was merged
    into (the agents directory); the categories are renamed, never the rows one by one."""
    if not aliases:
        return frame
    frame = frame.copy()
    for name in PERSON_COLUMNS:
        column = frame[name].astype("category")
        if not any(c in aliases for c in column.cat.categories):
            continue
        renamed = pd.Index([aliases.get(c, c) for c in column.cat.categories], dtype=object)
        united = pd.Index(renamed.unique(), dtype=object)
        recode = united.get_indexer(renamed)
        codes = column.cat.codes.to_numpy()
        new_codes = np.where(codes >= 0, recode[np.maximum(codes, 0)], -1)
        frame[name] = pd.Categorical.from_codes(new_codes, categories=united.astype("string"))
    return frame


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The snapshot's column types: categories for repeated words, datetimes, floats."""
    frame = frame.copy()
    for name in COLUMNS:
        if name not in frame:
            continue
        if name in TEXT_COLUMNS:
            frame[name] = frame[name].astype("string")
        elif name in CATEGORY_COLUMNS:
            frame[name] = frame[name].astype("string").astype("category")
        elif name in DATE_COLUMNS:
            frame[name] = pd.to_datetime(frame[name]).astype("datetime64[ms]")
        else:
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    return frame


def empty_frame() -> pd.DataFrame:
    return frame_from_tickets([])


def merged(frame: pd.DataFrame, upserts: pd.DataFrame | None = None,
           deleted: Iterable[str] = ()) -> pd.DataFrame:
    """``frame`` with the rows of ``upserts`` replacing or adding theirs and ``deleted`` gone."""
    gone = set(deleted)
    if upserts is not None and len(upserts):
        gone.update(upserts["sr_number"].astype(str))
    kept = frame[~frame["sr_number"].isin(gone)] if gone else frame
    return concat([kept, upserts])


def concat(parts: Iterable[pd.DataFrame | None]) -> pd.DataFrame:
    """Snapshot frames one after the other, column by column in the snapshot's types
    (categories united, never turned into Python objects: a million rows stay compact)."""
    parts = [p for p in parts if p is not None and len(p)]
    if not parts:
        return empty_frame()
    if len(parts) == 1:
        return parts[0].reset_index(drop=True)
    columns = {}
    for name in COLUMNS:
        pieces = [p[name] for p in parts]
        if name in CATEGORY_COLUMNS:  # recode every piece to the union of their words
            pieces = [piece.astype("category") for piece in pieces]
            words = sorted({str(w) for piece in pieces for w in piece.cat.categories})
            common = pd.CategoricalDtype(pd.Index(words, dtype="string"))
            columns[name] = pd.concat([piece.astype(common) for piece in pieces],
                                      ignore_index=True)
        else:
            columns[name] = pd.concat(pieces, ignore_index=True)
    return pd.DataFrame(columns)


def timeline_from_tickets(tickets: Iterable[dict]) -> pd.DataFrame:
    """The timeline rows of ticket documents that carry a timeline of two points or more."""
    rows = [(t["sr_number"], point.get("at"), point.get("team_raw"), point.get("status"),
             bool(point.get("exact")))
            for t in tickets if len(t.get("timeline") or ()) > 1 for point in t["timeline"]]
    frame = pd.DataFrame(rows, columns=list(TIMELINE_COLUMNS))
    return frame.assign(sr_number=frame["sr_number"].astype("string"),
                        at=pd.to_datetime(frame["at"]).astype("datetime64[ms]"),
                        team_raw=frame["team_raw"].astype("string").astype("category"),
                        status=frame["status"].astype("string").astype("category"),
                        exact=frame["exact"].astype(bool))


def empty_timeline() -> pd.DataFrame:
    return timeline_from_tickets([])


def merged_timeline(timeline: pd.DataFrame | None, tickets: list[dict]) -> pd.DataFrame:
    """``timeline`` with the rows of ``tickets`` (written again) replacing theirs."""
    timeline = timeline if timeline is not None else empty_timeline()
    kept = timeline[~timeline["sr_number"].isin({t["sr_number"] for t in tickets})]
    parts = [p for p in (kept, timeline_from_tickets(tickets)) if len(p)]
    if not parts:
        return empty_timeline()
    words = {"team_raw": "string", "status": "string"}
    joined = pd.concat([p.astype(words) for p in parts], ignore_index=True)
    return joined.astype({"team_raw": "category", "status": "category"})
