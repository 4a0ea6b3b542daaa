"""The analyst's notebook (notebooks/sla_analysis.ipynb) runs headless on a small generated
export and shows the figures the ``sla`` package gives; it is kept in git without outputs."""

from __future__ import annotations

import datetime as dt

import nbformat
import pytest
from nbclient import NotebookClient

from sla.analytics import metrics
from sla.service import demo
from sla.storage import connection, versions
from sla.storage.settings import get_settings
from tests.conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "sla_analysis.ipynb"


def _notebook():
    return nbformat.read(NOTEBOOK, as_version=4)


def test_the_notebook_is_kept_without_outputs():
    for cell in _notebook().cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, cell.source[:60]


@pytest.fixture
def small_export(tmp_path):
    """A generated export of 250 tickets in the old system's columns, as a file."""
    path = tmp_path / "small-export.xlsx"
    path.write_bytes(demo.to_xlsx_bytes(demo.generate_export(250, seed=21,
                                                             end=dt.date(2026, 10, 31))))
    return path


def _text(cell) -> str:
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif "data" in output:
            parts.append(output.data.get("text/plain", ""))
    return "\n".join(parts)


def test_the_notebook_runs_headless_and_shows_the_packages_figures(
        small_export, server_uri, db_name, tmp_path, monkeypatch):
    for name, value in {"MONGO_URI": server_uri, "SLA_DB": db_name,
                        "SLA_DATA_DIR": str(tmp_path / "data"),
                        "SLA_NOTEBOOK_EXPORT": str(small_export),
                        "PYTHONPATH": str(ROOT)}.items():
        monkeypatch.setenv(name, value)
    notebook = _notebook()
    try:
        NotebookClient(notebook, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(ROOT)}}).execute()
        db = connection.connect(server_uri, db_name)
        summary = metrics.summary(versions.snapshot(db), settings=get_settings(db))
    finally:
        connection.connect(server_uri, db_name).client.drop_database(db_name)

    assert summary["total_tickets"] == 250
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    errors = [o for cell in code for o in cell.outputs if o.output_type == "error"]
    assert not errors, errors
    headline = next(_text(cell) for cell in code if "headline =" in cell.source)
    assert str(summary["total_tickets"]) in headline
    assert str(summary["resolution_sla_pct"]) in headline
    charts = [cell for cell in code
              if any("vegaEmbed" in o.get("data", {}).get("text/html", "") for o in cell.outputs)]
    assert len(charts) >= 4, "the page charts and the what-if chart are drawn"
    what_if = next(_text(cell) for cell in code if "comparison[" in cell.source)
    assert "P3 target +50 %" in what_if and "L1" in what_if
