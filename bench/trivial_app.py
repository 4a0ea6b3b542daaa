"""A trivial Streamlit page: the floor a run costs, for comparison with the Dashboard.

``bench/load.py trivial`` starts it with ``streamlit run bench/trivial_app.py`` on a free port.
"""

import datetime as dt

import streamlit as st

st.write("# Trivial page")
st.write("A few lines of text and one metric, no database and no login.")
st.write(f"Drawn at {dt.datetime.now():%H:%M:%S}.")
st.metric("Answer", 42)
