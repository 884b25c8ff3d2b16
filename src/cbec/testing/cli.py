"""Test helper: run ``cbec … --json`` in a real subprocess against one database and read its JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["run_json"]


def run_json(cwd: Path, database_url: str, *args: str, code: int = 0, timeout: int = 180) -> Any:
    """``cbec ARGS --json`` with only ``CBEC_DATABASE_URL`` set of the CBEC_ variables; asserts the
    exit code and returns the parsed output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBEC_")}
    env |= {"CBEC_DATABASE_URL": database_url, "NO_COLOR": "1"}
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "cbec", *args, "--json"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == code, (result.stdout, result.stderr)
    return json.loads(result.stdout)
