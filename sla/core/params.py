"""Parameters as data: a name, a kind, a help text, allowed values and a default.

One declaration serves every way in: the URL of a page, the CLI's options and the API's query
string all hand texts to ``Param.parse``, so the same text means the same value everywhere;
the API also turns each declaration into its OpenAPI schema.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MAX_TEXT = 200
SHOWN_CHARS = 40
# Days a filter may name: wide enough for any export, narrow enough that a day after the last
# one is still a date (9999-12-31 + 1 day is not).
FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class ParamError(ValueError):
    """A parameter's text cannot be used; ``param`` names it, the message is one sentence."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class Param:
    """A parameter: its JSON Schema type, whether it repeats, its allowed values."""

    name: str
    kind: str  # "date", "string", "integer", "boolean"
    help: str
    repeated: bool = False
    choices: tuple = ()
    default: object = None
    low: int | None = None
    high: int | None = None

    def schema(self) -> dict:
        one: dict = {"date": {"type": "string", "format": "date"}}.get(self.kind,
                                                                       {"type": self.kind})
        if self.choices:
            one = {**one, "enum": list(self.choices)}
        if self.kind == "string" and not self.choices:
            one = {**one, "minLength": 1, "maxLength": MAX_TEXT}
        if self.low is not None:
            one = {**one, "minimum": self.low}
        if self.high is not None:
            one = {**one, "maximum": self.high}
        if self.default is not None:
            one = {**one, "default": self.default}
        return {"type": "array", "items": one} if self.repeated else one

    def parse(self, texts: list[str]) -> object:
        """The value of this parameter from its texts; ParamError when one is bad."""
        if not texts:
            return () if self.repeated else self.default
        if not self.repeated and len(texts) > 1:
            raise ParamError(self.name, f"{self.name} may be given once only.")
        values = tuple(self._one(text) for text in texts)
        return values if self.repeated else values[0]

    def _one(self, text: str) -> object:
        shown = text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1] + "…"
        if self.choices and text not in self.choices:
            raise ParamError(self.name, f"{self.name} must be one of "
                                        f"{', '.join(map(str, self.choices))}, not {shown!r}.")
        if self.kind == "date":
            return self._date(text, shown)
        if self.kind == "integer":
            if not re.fullmatch(r"[0-9]{1,9}", text) or not self.low <= int(text) <= self.high:
                raise ParamError(self.name, f"{self.name} must be a whole number from "
                                            f"{self.low} to {self.high}, not {shown!r}.")
            return int(text)
        if self.kind == "boolean":
            if text.lower() not in ("true", "false", "1", "0"):
                raise ParamError(self.name, f"{self.name} must be true or false, not {shown!r}.")
            return text.lower() in ("true", "1")
        if not text.strip() or len(text) > MAX_TEXT:
            raise ParamError(self.name, f"{self.name} must be 1 to {MAX_TEXT} characters.")
        return text

    def _date(self, text: str, shown: str) -> dt.date:
        try:
            if not _ISO_DATE.fullmatch(text):
                raise ValueError(text)
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise ParamError(self.name, f"{self.name} is not a date (YYYY-MM-DD): "
                                        f"{shown!r}.") from None
        if not FIRST_DATE <= day <= LAST_DATE:
            raise ParamError(self.name, f"{self.name} must be a day from {FIRST_DATE} to "
                                        f"{LAST_DATE}, not {shown!r}.")
        return day
