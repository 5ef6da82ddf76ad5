"""The tutorial notebook runs from top to bottom (as CI runs it)."""

from __future__ import annotations

import os

import pytest

from cbred.paths import PROJECT_ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

TUTORIAL = PROJECT_ROOT / "examples" / "tutorial.ipynb"


@pytest.mark.slow
def test_tutorial_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "disabled")
    notebook = nbformat.read(TUTORIAL, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "selected cells are also Quantiled's" in text
    reprs = "".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "Reduction(nb201: " in reprs and "scatter_clusters" in reprs
