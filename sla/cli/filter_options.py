"""The filter options every figure command takes, read as the URL and the API read theirs."""

from __future__ import annotations

import argparse

from sla.core import filters
from sla.core.filters import Filters
from sla.core.params import Param
from sla.service import answers, database


def add_filters(parser: argparse.ArgumentParser, dates: bool = True) -> None:
    """The filter options, as texts: ``filters.parse`` reads them as the URL and the API's."""
    for param in filters.PARAMS if dates else filters.SELECTIONS:
        parser.add_argument(f"--{param.name}", dest=f"filter_{param.name}", metavar=param.name.upper(),
                            action="append", default=[], help=_help(param))


def _help(param: Param) -> str:
    choices = f" ({', '.join(param.choices)})" if param.choices else ""
    return param.help.rstrip(".") + choices


def filters_from(args: argparse.Namespace) -> Filters:
    """The filters given on the command line; ParamError (exit 2) when one cannot be used."""
    return filters.parse({name[len("filter_"):]: texts for name, texts in vars(args).items()
                          if name.startswith("filter_")},
                         answers.known_values(database.connect()))
