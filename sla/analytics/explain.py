"""The "How is this calculated?" texts, written from the settings in force (values an admin
typed escaped), one per topic of a page."""

from __future__ import annotations

from sla.analytics.fairness import MIN_STRATUM
from sla.analytics.metrics import TOP_PERFORMERS
from sla.core.display import literal
from sla.core.rules import number_text, targets_text


def explain(topic: str, settings: dict) -> str:
    """The "How is this calculated?" text of ``topic`` (one of ``TOPICS``) as Markdown,
    written from the settings in force; values an admin typed are escaped."""
    text, section = _EXPLAINERS[topic](settings)
    return f"{text} More: page “How the numbers work”, section “{section}”."


def _sla(settings: dict) -> tuple[str, str]:
    return ("**SLA %** = 100 × met ÷ (met + breached), counting only tickets that have an SLA "
            "outcome: open tickets without one do not pull it down, and with no outcome at all "
            "the figure shows –. The outcome comes from the file's SLA column (Met, Yes, True, "
            "Within SLA… or Breached, No, False, Missed…). Where the file has no SLA column, it "
            "is worked out from the hours and the priority's target: met means hours ≤ target. "
            + _outcome_source_sentence(settings), "SLA percentages")


def _breaches(settings: dict) -> tuple[str, str]:
    return ("**Breaches** counts tickets whose response or resolution SLA is breached; a ticket "
            "breached on both counts once.", "Breaches")


def _hours(settings: dict) -> tuple[str, str]:
    return ("**Average and median hours** count only tickets that have a value. The median of "
            "an even number of tickets is the mean of the two middle values. Durations such as "
            "129:45, 2 days 03:30 or 1h 30m are read exactly; when the file has no resolution "
            "time, it is the working time from created to resolved on the team's calendar, "
            "paused time left out (the wall-clock time on the built-in 24x7 with no pause).",
            "Hours")


def _status(settings: dict) -> tuple[str, str]:
    statuses = ", ".join(literal(s) for s in settings["resolved_statuses"])
    return (f"A ticket is **resolved** when its status is one of: {statuses} (any case). Every "
            "other status, and an empty one, is **pending**.", "Statuses")


def score_formula(settings: dict) -> str:
    """The old system's score in one line, and why it can pass 100."""
    score = settings["score"]
    least, cap = number_text(score["min_tickets"]), number_text(score["volume_cap"])
    return (f"Score (the old system's formula) = {number_text(score['resolution_weight'])} × "
            f"resolution SLA % + {number_text(score['response_weight'])} × response SLA % + "
            f"min(tickets − {least}, {cap}): the volume bonus can take it past 100.")


def _score(settings: dict) -> tuple[str, str]:
    least = number_text(settings["score"]["min_tickets"])
    return (f"**{score_formula(settings)}** An agent with fewer than {least} tickets scores 0; "
            f"a missing percentage counts as 0. **Top performers** are the {TOP_PERFORMERS} agents with the highest "
            "score above 0 (on a tie: more tickets first, then by name).",
            "Score and top performers")


def _teams(settings: dict) -> tuple[str, str]:
    rules = "; ".join(_team_rule_sentence(r) for r in settings["team_rules"])
    return ("**Teams** come from the file's team column, lower-cased, with punctuation turned "
            "into spaces. The rules are tried in order and the first match wins: "
            f"{rules or 'there are no rules'}. No match is **Other**, an empty team is "
            "**Unassigned**. Words match whole words only: l10 is not l1.", "Teams")


def _team_rule_sentence(team_rule: dict) -> str:
    """``**L2** when it contains l2, tier 2 or level 2, or is exactly x``."""
    ways = []
    if team_rule["words"]:
        ways.append("contains " + _either(team_rule["words"]))
    if team_rule["exact"]:
        ways.append("is exactly " + _either(team_rule["exact"]))
    return f"**{literal(team_rule['team'])}** when it " + (", or ".join(ways) or "never matches")


def _either(phrases: list[str]) -> str:
    """``a, b or c``, each phrase shown literally."""
    shown = [literal(p) for p in phrases]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def _at_risk(settings: dict) -> tuple[str, str]:
    fraction = settings["at_risk_fraction"]
    within = (f", or has at most {number_text(settings['at_risk_hours'])} working hours left"
              if settings["at_risk_hours"] else "")
    return ("**Overdue**: open tickets whose working time since created, paused time left "
            "out, passed their priority's resolution target. **At risk**: the others that "
            f"passed {number_text(round(fraction * 100, 2))} % of it{within}. Each list shows "
            "the least time left first. A ticket in a paused status now is in neither: its "
            "clock stands still. The time is now when the data is a live export imported "
            "within a day; otherwise the data's clock, shown as “data as of …” (the latest date "
            "the data holds, or the latest import for a live export), so an old export does "
            "not make every ticket look late.", "Overdue and at risk")


def _clock(settings: dict) -> tuple[str, str]:
    return (f"**The SLA clock**: {_calendars_sentence(settings)} "
            f"{_pauses_sentence(settings)} {_outcome_source_sentence(settings)}",
            "The SLA clock")


def _calendars_sentence(settings: dict) -> str:
    teams = "; ".join(f"{literal(team)} uses {literal(name)}"
                      for team, name in settings["team_calendars"].items())
    every = f"every team uses the calendar {literal(settings['calendar'])}"
    every = every + (f" except: {teams}" if teams else "")
    described = [_calendar_text(c) for c in settings["calendars"]
                 if c["name"] in {settings["calendar"], *settings["team_calendars"].values()}]
    return (f"Time counts in working hours: {every}. The built-in 24x7 counts every hour."
            + (" " + " ".join(described) if described else ""))


def _calendar_text(calendar: dict) -> str:
    hours = "; ".join(literal(h) for h in calendar["hours"])
    holidays = len(calendar.get("holidays", []))
    return (f"{literal(calendar['name'])}: {hours}, time zone {literal(calendar['timezone'])}, "
            f"{holidays:,} holiday{'s' if holidays != 1 else ''}.")


def _pauses_sentence(settings: dict) -> str:
    if not settings["paused_statuses"]:
        return "No status pauses the clock."
    return ("The clock stops while a ticket is in one of these statuses: "
            + ", ".join(literal(s) for s in settings["paused_statuses"])
            + " (from an event log exactly; between two uploads approximately).")


def _outcome_source_sentence(settings: dict) -> str:
    computed = settings["computed_outcomes"]
    common = ("Where a file has no resolution time, the app measures it on this clock; where "
              "it has no SLA column, the outcome is those hours against the target.")
    if not computed:
        return (f"{common} Durations and SLA flags a file carries are the exporting tool's "
                "verdict and decide for every export, so changing a target or a calendar "
                "moves only the tickets the app measures.")
    return (f"{common} For these exports the app measures every ticket and judges it against "
            f"the targets, setting the file's own durations and SLA flags aside: "
            f"{', '.join(literal(c) for c in computed)}. For the others, the file decides.")


def _trend(settings: dict) -> tuple[str, str]:
    least = number_text(settings["trend_min_sample"])
    return ("**Trend**: tickets and SLA % per ISO week (starting Monday) or per month of the "
            f"created date. A period where fewer than {least} tickets have an SLA outcome is "
            "drawn faded: its percentage rests on too few tickets to read much into.", "Trend")


def _targets_topic(settings: dict) -> tuple[str, str]:
    return ("**SLA targets** (hours, response / resolution): "
            f"{targets_text(settings['sla_targets'])}. Met means hours ≤ target.", "SLA targets")


def _fair(settings: dict) -> tuple[str, str]:

    score = settings["score"]
    prior = number_text(score["fair_prior_tickets"])
    return ("**Fair ranking**: each agent's SLA met % beside the **expected** one, the rate the "
            "whole desk reaches on that agent's own mix of tickets (per priority, and per "
            f"category where a priority-and-category group has at least {MIN_STRATUM} tickets). "
            "**vs expected** is the difference in points, with a 95 % range that is wide for "
            "few tickets. The **fair score** shrinks each difference toward the desk as if the "
            f"agent had {prior} more tickets at exactly the expected rate, then weighs "
            f"resolution {number_text(score['resolution_weight'])} and response "
            f"{number_text(score['response_weight'])}, so a handful of lucky tickets cannot top it. "
            "Over all agents, expected met tickets add up to the actual ones. " + FAIR_SENTENCE,
            "Fair ranking")


FAIR_SENTENCE = ("In short: “vs expected” is how many points an agent is above or below what "
                 "the desk reaches on their mix of tickets; the fair score is that difference "
                 "for resolution and response together, pulled towards 0 when they have few "
                 "tickets.")


def _agents(settings: dict) -> tuple[str, str]:
    return ("Each ticket is credited to one **agent**: a resolved ticket to whoever resolved "
            "it (else its owner), an open ticket to its **owner**, the person it is assigned "
            "to now (else the resolver the file names). The agent filter selects the same way: "
            "the owner for open tickets, the resolver for resolved ones.", "Per agent")


def _backlog(settings: dict) -> tuple[str, str]:
    return ("**Backlog**: each owner's open tickets, by calendar days since created (under 1 "
            "day, 1–3, 3–7, over 7 days), and how many of them are overdue, at risk or paused "
            "now, measured at the same moment as the Dashboard's overdue and at-risk lists.",
            "Backlog per owner")


def _people(settings: dict) -> tuple[str, str]:
    return ("**People**: everyone the data names as resolver or owner. **Resolved** and "
            "**open** are the tickets credited to them (each ticket to one person, as per "
            "agent); **first seen** is the earliest created date of a ticket naming them, "
            "**last seen** the latest resolved (else created) date; the **main team** is the "
            "team of most of their tickets, unless an admin set one. Two names **merged** count "
            "as one person in every figure; people who **left** drop out of the rankings and "
            "keep their history.", "People (the agents directory)")


def _handoffs(settings: dict) -> tuple[str, str]:
    return ("**Hand-offs**: a ticket is held by a team from the time its history shows that team "
            "until it shows another; the last team holds it until it is resolved, or while "
            "pending until the data's clock. The first team holds it from created on, so the "
            "hours of all teams add up to the ticket's open time. An export with one row per "
            "update (an event log) gives the history exactly; between two uploads, a change of "
            "team is placed at the later upload. A breach is **owned** by the team that held "
            "the ticket when its resolution target passed.", "Hand-offs")


def _changes(settings: dict) -> tuple[str, str]:
    return ("**What moved**: the tickets after the earlier import compared one by one with those "
            "after the later one. Each ticket whose outcome changed adds 100 × (its change in "
            "met − the earlier % × its change in having an outcome) ÷ the tickets with an "
            "outcome after, so the parts add up exactly to the change. Causes: new tickets, "
            "outcomes that changed (pending→breached, met→breached…), edits and deletes in the "
            "app, and tickets moving in or out of the filters.", "What moved")


_EXPLAINERS = {"sla": _sla, "breaches": _breaches, "hours": _hours, "status": _status,
               "score": _score, "teams": _teams, "at_risk": _at_risk, "clock": _clock,
               "trend": _trend,
               "targets": _targets_topic,
               "fair": _fair, "agents": _agents, "backlog": _backlog, "people": _people,
               "handoffs": _handoffs, "changes": _changes}
TOPICS = tuple(_EXPLAINERS)
