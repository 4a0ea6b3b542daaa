"""How the numbers work: the project's own description of every field, rule and figure
(docs/metrics.md), with the rules in force today."""

from pathlib import Path

import streamlit as st

from ui import auth, widgets

DOC = Path(__file__).resolve().parent.parent / "docs" / "metrics.md"

auth.require_role()
st.title("How the numbers work")
widgets.how_calculated("targets", "status", "teams", "sla", "hours", "clock", "score", "at_risk",
                       "trend", expanded=True, link=False)
st.markdown(DOC.read_text(encoding="utf-8"))
