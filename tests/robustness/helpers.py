"""What every robustness case checks, shared by the suites of this folder.

An entry point's ``run`` under :func:`cbred.cli.run_cli` (as its ``main`` runs it) or the
command itself in a subprocess must stop with exit status 2, exactly one ``error:`` line on
stderr and no traceback; the line is returned for the case to match its culprit.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from cbred.cli import RESULT_FILES, USAGE_ERROR, run_cli
from cbred.paths import PROJECT_ROOT

CONFIGS = str(PROJECT_ROOT / "configs")


def compose_run(primary: str, output_dir, *overrides: str):
    """The config ``python PRIMARY.py`` composes, writing into ``output_dir``, untracked, without figures."""
    with initialize_config_dir(config_dir=CONFIGS, version_base="1.3"):
        return compose(primary, overrides=[f"output_dir={output_dir}", "logger=none", "plots.enabled=false",
                                           *overrides])


def _the_error_line(stderr: str, stdout: str = "") -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr[-3000:]
    assert "Traceback" not in stdout + stderr, stderr[-3000:]
    return errors[0]


def _result_files(directory) -> dict:
    """Modification time of every result file in ``directory``, by name."""
    paths = {name: Path(directory) / name for name in RESULT_FILES}
    return {name: path.stat().st_mtime_ns for name, path in paths.items() if path.exists()}


def one_error_line(run, cfg, capsys) -> str:
    """``run(cfg)`` under :func:`run_cli`: exit status 2, one ``error:`` line, no traceback, no
    result file written in ``cfg.output_dir`` (those of an earlier run stay); the line."""
    before = _result_files(cfg.output_dir)
    with pytest.raises(SystemExit) as stopped:
        run_cli(run, cfg)
    out, err = capsys.readouterr()
    assert stopped.value.code == USAGE_ERROR, err[-3000:]
    line = _the_error_line(err, out)
    assert _result_files(cfg.output_dir) == before, "partial results left"
    return line


def command_error_line(script: str, *arguments: str, run_dir, timeout: float = 300) -> str:
    """``python SCRIPT ARGUMENTS`` in the project root, run in ``run_dir``: exit status 2, one
    ``error:`` line, no traceback, no result file; the line."""
    command = [sys.executable, script, *arguments, "logger=none", f"hydra.run.dir={run_dir}"]
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == USAGE_ERROR, done.stderr[-3000:]
    line = _the_error_line(done.stderr, done.stdout)
    assert not [name for name in RESULT_FILES if (run_dir / name).exists()]
    return line
