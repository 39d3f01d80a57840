"""Writing an analysis folder: every result's rows, tables and figures, never half-written.

Each analysis result (transport, structure, mesoscale) offers the same four things:

- ``section`` — its name in ``results.json`` (``transport``, ``structure``, ...), and ``title`` with
  ``summary()`` — what the command line prints of it (a heading and a table of its headline numbers);
- ``to_rows()`` — tidy rows ``quantity, frame, species, value, stderr, unit, method``;
- ``to_dict()`` — what else ``results.json`` records of it (settings, windows, notes);
- ``tables()`` — ``{file name: DataFrame}`` (units in the column names), and ``figures()`` —
  ``{file name: matplotlib Figure}``.

:func:`write_analysis` puts them together: ``results.json`` (one section each, and every row under
``quantities``), ``quantities.csv`` (every row), the tables and the PNG figures. Every file is written
to a temporary name and renamed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import pandas as pd

from .core.files import atomic_write
from .core.files import strict_json
from .core.table import COLUMNS


def write_analysis(folder: str | Path, results: Sequence, figures: bool = True) -> list[Path]:
    """Write the results of one state point into ``folder``; returns the paths written."""
    folder = Path(folder)
    rows = [r for res in results for r in res.to_rows()]
    document = {"quantities": [r._asdict() for r in rows]}
    for res in results:
        document[res.section] = res.to_dict()
    files = {"results.json": lambda f: json.dump(strict_json(document), f, indent=1),
             "quantities.csv": lambda f: pd.DataFrame(rows, columns=COLUMNS).to_csv(f, index=False)}
    for res in results:
        for name, table in res.tables().items():
            files[name] = lambda f, table=table: table.to_csv(f, index=False)
    for name, write in files.items():
        atomic_write(folder / name, write)
    written = [folder / name for name in files]
    if figures:
        import matplotlib.pyplot as plt
        for res in results:
            for name, fig in res.figures().items():
                atomic_write(folder / name, lambda f, fig=fig: fig.savefig(f, format="png", dpi=130), binary=True)
                plt.close(fig)
                written.append(folder / name)
    return written
