"""The filter options every figure command takes, read as the URL and the API read theirs."""

from __future__ import annotations

import argparse

from sla.core import filters
from sla.core.filters import Filters
from sla.core.params import Param
from sla.service import answers, database, views


def add_filters(parser: argparse.ArgumentParser, dates: bool = True) -> None:
    """The filter options, as texts: ``filters.parse`` reads them as the URL and the API's."""
    for param in filters.PARAMS if dates else filters.SELECTIONS:
        parser.add_argument(f"--{param.name}", dest=f"filter_{param.name}", metavar=param.name.upper(),
                            action="append", default=[], help=_help(param))
    parser.add_argument("--view", metavar="NAME", help="start from this saved view's filters "
                        "(a shared one, else the only personal one of that name; the options "
                        "given replace its own)")


def _help(param: Param) -> str:
    choices = f" ({', '.join(param.choices)})" if param.choices else ""
    return param.help.rstrip(".") + choices


def filters_from(args: argparse.Namespace) -> Filters:
    """The filters given on the command line, over those of ``--view`` when named; ParamError
    or ViewError (exit 2) when one cannot be used, also a view naming what is no longer held
    (as a link's unknown value is refused here; a page applies the rest and says so)."""
    db = database.connect()
    given = {name[len("filter_"):]: texts for name, texts in vars(args).items()
             if name.startswith("filter_") and texts}
    if getattr(args, "view", None):
        opened = views.open_view(db, args.view)
        if opened.left_out:
            raise views.ViewError(f"The view ‘{opened.name}’ no longer applies as saved: "
                                  f"{opened.left_out[0]}")
        given = {**opened.filters.texts(), **given}
    return filters.parse(given, answers.known_values(db))
