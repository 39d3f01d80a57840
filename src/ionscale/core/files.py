"""Files that are whole or absent: atomic writes, values made strict JSON, and JSON and study files read back.

Every result file ionscale writes goes through :func:`atomic_write` (a temporary file beside the
target, then a rename), so an interrupted run leaves the old file or the new one, never half of one.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..errors import IonscaleError


def atomic_write(path: Path, write: Callable, binary: bool = False, durable: bool = True) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it onto ``path``.

    ``durable``: wait until the data are on disk before the rename, so that even a system crash leaves
    the old file or the new one. The pass's cache does without (``durable=False``): other processes
    still see the whole file or none, and a cache damaged by a system crash is detected and recomputed;
    waiting for the disk cost the pass of a 20,000-frame trajectory a third of its reading time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb" if binary else "w") as f:
            write(f)
            f.flush()
            if durable:
                os.fsync(f.fileno())  # on disk before the rename: a crash leaves the old file or the new one
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def strict_json(obj):
    """Replace NaN/inf by None and numpy scalars by Python ones, recursively (strict JSON)."""
    if isinstance(obj, dict):
        return {k: strict_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strict_json(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.ndarray):
        return strict_json(obj.tolist())
    return obj


def read_json(path: Path) -> dict:
    """A JSON file ionscale wrote (``results.json``, ``study.json``); one that is missing or damaged is an
    :class:`IonscaleError` naming it."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as err:
        raise IonscaleError(f"cannot read {path}: {err}") from None


def read_study_table(folder: str | Path) -> pd.DataFrame:
    """``study.csv`` of a study folder, as the study wrote it: its tidy rows, an empty cell NaN."""
    path = Path(folder) / "study.csv"
    try:
        return pd.read_csv(path, keep_default_na=False, na_values=[""])
    except (OSError, ValueError) as err:
        raise IonscaleError(f"cannot read {path}: {err}") from None


def read_study(folder: str | Path) -> tuple[pd.DataFrame, dict]:
    """``study.csv`` and ``study.json`` of a finished study folder; an :class:`IonscaleError` naming what is
    missing or damaged otherwise."""
    try:
        return read_study_table(folder), read_json(Path(folder) / "study.json")
    except IonscaleError as err:
        raise IonscaleError(f"{folder} is not a finished study folder (study.csv and study.json): {err}") from None
