"""Saved views for the filter bar, the command line and the subscriptions.

A user saves the filters in force under a name, for themselves or (admins only, checked here)
shared with everyone. Opening a view applies what still can be (``filters.applicable``): a
view naming a team renamed since, or an agent no longer held, opens with the rest and says
what was left out. The command line, run by whoever runs the server, reaches every view.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pymongo.database import Database

from sla.core import display, filters
from sla.core.filters import Filters
from sla.core.params import ParamError
from sla.service import answers
from sla.storage import views

MAX_NAME = 60
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ViewError(ValueError):
    """A view cannot be saved, found or removed; the message is one sentence."""


@dataclass(frozen=True)
class OpenedView:
    """A view as it applies now: its filters, and what it named that no longer applies."""

    name: str
    shared: bool
    filters: Filters
    left_out: tuple[ParamError, ...]


def check_name(name: str) -> str:
    """The name, trimmed; ViewError when it is empty, too long or holds control characters."""
    name = (name or "").strip()
    if not name:
        raise ViewError("Give the view a name.")
    if len(name) > MAX_NAME:
        raise ViewError(f"A view's name has at most {MAX_NAME} characters.")
    if _CONTROL.search(name):
        raise ViewError("A view's name cannot hold control characters such as line breaks.")
    return name


def save_view(db: Database, user: dict, name: str, chosen: Filters, shared: bool) -> bool:
    """Save the filters as ``user``'s view (shared: everyone's, which needs the admin role);
    True when the name is new, False when it replaced the filters of a view of that name."""
    if shared and user.get("role") != "admin":
        raise ViewError("Only an admin can share a view with everyone.")
    return keep_view(db, name, chosen, None if shared else user["username"], user["username"])


def keep_view(db: Database, name: str, chosen: Filters, owner: str | None, by: str) -> bool:
    """Save the filters as the view ``name`` of ``owner`` (None: shared), as the command line
    does for anyone; True when the name is new for that owner."""
    return views.save(db, check_name(name), owner, chosen.texts(), by=by)


def views_for(db: Database, username: str | None) -> list[dict]:
    """The views a user may open: the shared ones, then their own (``username`` None: the
    shared ones only)."""
    return [_listed(view) for view in views.visible_to(db, username)]


def all_views(db: Database) -> list[dict]:
    """Every view, shared and personal (the command line's list)."""
    return [_listed(view) for view in views.everyone(db)]


def _listed(view: dict) -> dict:
    return {"name": view["name"], "shared": view["owner"] is None, "owner": view["owner"],
            "filters": view["texts"], "updated_at": view.get("updated_at"),
            "updated_by": view.get("updated_by")}


def open_view(db: Database, name: str, username: str | None = None,
              known: filters.Known | None = None, shared_only: bool = False) -> OpenedView:
    """The view ``name`` as it applies now. With ``username`` (a page): that user's own view
    of that name, else the shared one. Without (the command line): the shared one, else the
    only personal view of that name. ViewError when there is none, or several to choose from.
    ``known``: what a filter may name, when the caller has it already; ``shared_only``: the
    shared view or none (a subscription made for no one in particular)."""
    named = views.named(db, name)
    shared = [view for view in named if view["owner"] is None]
    if username is not None:
        found = [view for view in named if view["owner"] == username] or shared
    else:
        found = shared if shared_only else shared or named
    if not found:
        raise ViewError(f"There is no saved view named ‘{display.clean(name, 60)}’.")
    if len(found) > 1:
        raise ViewError(f"Several people have a view named ‘{display.clean(name, 60)}’; save "
                        "a shared one of that name to choose.")
    view = found[0]
    applied, left_out = filters.applicable(view["texts"], known or answers.known_values(db))
    return OpenedView(view["name"], view["owner"] is None, applied, tuple(left_out))


def remove_view(db: Database, user: dict | None, name: str, shared: bool,
                owner: str | None = None) -> None:
    """Remove a view: a user's own, or a shared one (admins). ``user`` None is the command
    line, which may remove anyone's (``owner``). ViewError when there is none."""
    if user is not None:
        if shared and user.get("role") != "admin":
            raise ViewError("Only an admin can remove a shared view.")
        owner = user["username"]
    if not views.remove(db, name, None if shared else owner):
        whose = "shared view" if shared else "view of yours" if user else f"view of {owner}"
        raise ViewError(f"There is no {whose} named ‘{display.clean(name, 60)}’.")
