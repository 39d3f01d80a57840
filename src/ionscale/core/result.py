"""One base for every analysis result: its table of rows, its analysis-folder files and one save/load.

A result is a dataclass that subclasses :class:`Result` and declares:

- ``section`` — its name in ``results.json`` (``transport``, ``structure``, ...) and ``title`` — the
  heading the command line prints above :meth:`~Result.summary` (its ``SUMMARY`` quantities);
- ``rows`` — every number as a :class:`~ionscale.core.table.Row` (``quantities.csv``);
- optionally ``to_dict()`` (what else ``results.json`` records: settings, windows, notes),
  ``tables()`` (``{file name: DataFrame}``, units in the column names) and ``figures()``
  (``{file name: matplotlib Figure}``).

:func:`write_analysis` puts the results of a state point together in a folder: ``results.json`` (one
section each, and every row under ``quantities``, in its display unit and in SI), ``quantities.csv`` (every
row, display units), the tables, the PNG figures, and each result's whole state in
``<section>.result.npz``, from which :meth:`Result.load` rebuilds it exactly (every field, to the bit;
:func:`load_results` reads all of a folder). Every file is written to a temporary name and renamed.

The state file is a zip of ``state.json`` — the tree of the result's fields, with dataclasses and named
tuples by type name (``ionscale`` types only), dicts as key–value pairs, tuples and NumPy scalars
marked — and one ``.npy`` entry per array (one per array object, so an array shared by two fields is
stored once; integer arrays in the smallest integer type that holds them, restored to their own). A result field
may hold only such plain data: numbers, strings, lists, tuples, dicts, NumPy arrays, pandas DataFrames
and ionscale dataclasses or named tuples of the same.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import json
import zipfile
from pathlib import Path
from typing import ClassVar, Sequence

import numpy as np
import pandas as pd

from ..errors import IonscaleError
from .files import atomic_write, read_json, strict_json
from .table import FLOAT_FORMAT, Estimate, rows_frame, summary_frame

#: version of the state file's layout (2: rows and estimates hold SI numbers; format 1 held display ones)
STATE_FORMAT = 2
#: a state file is ``<section>.result.npz``
STATE_SUFFIX = ".result.npz"


class Rows:
    """Access to the rows of a result, or of a part of one (the clusters of a mesoscale result)."""

    rows: list

    def to_rows(self) -> list:
        """Every estimate as a :class:`~ionscale.core.table.Row` (stored in SI, shown in its display unit)."""
        return list(self.rows)

    def to_frame(self) -> pd.DataFrame:
        """Every estimate as a DataFrame with the columns of ``quantities.csv`` (display units)."""
        return rows_frame(self.to_rows())

    def get(self, quantity: str, species: str = "", method: str | None = None) -> Estimate:
        """One estimate, e.g. ``get("shell_molecules", "EC")`` (the first match when ``method`` is not given)."""
        return self._find(quantity, species, method=method)

    def _find(self, quantity: str, species: str = "", frame: str | None = None, method: str | None = None) -> Estimate:
        for r in self.to_rows():
            if (r.quantity, r.species) == (quantity, species) and frame in (None, r.frame) and method in (None, r.method):
                return r.estimate()
        known = sorted({(r.frame, r.species) for r in self.to_rows() if r.quantity == quantity})
        raise KeyError(f"no {quantity!r} for species {species!r}" + (f" in frame {frame!r}" if frame else "")
                       + f"; have (frame, species) {known or 'none: no such quantity'}")


class Result(Rows):
    """The base of every analysis result (module docstring): rows, summary, files, save and load."""

    section: ClassVar[str]
    title: ClassVar[str]
    #: the quantities of :meth:`summary`, in order
    SUMMARY: ClassVar[tuple] = ()

    def summary(self) -> pd.DataFrame:
        """The headline numbers (``SUMMARY``), formatted 'value ± stderr', for a terminal or a notebook."""
        return summary_frame(self.to_rows(), self.SUMMARY)

    # -- the analysis folder -------------------------------------------------------------------
    def to_dict(self) -> dict:
        """What ``results.json`` records besides the rows (the notes, when the result has them)."""
        return {"notes": list(self.notes)} if hasattr(self, "notes") else {}

    def tables(self) -> dict:
        """``{file name: DataFrame}`` written beside ``results.json`` (none by default)."""
        return {}

    def figures(self) -> dict:
        """``{file name: matplotlib Figure}`` written as PNG (none by default)."""
        return {}

    def plot(self) -> list:
        """The figures (see :meth:`figures`), e.g. to show in a notebook."""
        return list(self.figures().values())

    def save(self, folder: str | Path, figures: bool = True) -> list[Path]:
        """Write this result's analysis folder (:func:`write_analysis`); returns the paths written."""
        return write_analysis(folder, [self], figures)

    @classmethod
    def load(cls, folder: str | Path):
        """The result that :meth:`save` (or ``ionscale analyze``) wrote into ``folder``, rebuilt exactly."""
        path = Path(folder) / state_file_name(cls.section)
        if not path.is_file():
            raise IonscaleError(f"{path} does not exist: {folder} holds no saved {cls.section} result (folders "
                                "written before results were saved whole have only results.json; run the analysis "
                                "again)")
        result = read_state(path)
        if not isinstance(result, cls):
            raise IonscaleError(f"{path} holds a {type(result).__name__}, not a {cls.__name__}")
        return result


def state_file_name(section: str) -> str:
    return section + STATE_SUFFIX


def load_results(folder: str | Path) -> dict:
    """Every result saved in an analysis folder (``ionscale analyze --out``, :meth:`Result.save`, a study's
    state point), ``{section: result}`` in the order of ``results.json``, e.g.
    ``load_results("results/")["structure"]``."""
    folder = Path(folder)
    saved = {path.name[:-len(STATE_SUFFIX)]: path for path in folder.glob("*" + STATE_SUFFIX)}
    if not saved:
        raise IonscaleError(f"{folder} holds no saved result (no <analysis>{STATE_SUFFIX}): give the folder "
                            "of an analysis (ionscale analyze --out, Result.save, a study's points/<label>/)")
    order = [name for name in read_json(folder / "results.json") if name in saved] \
        if (folder / "results.json").is_file() else []
    return {name: read_state(saved[name]) for name in order + sorted(set(saved) - set(order))}


def write_analysis(folder: str | Path, results: Sequence[Result], figures: bool = True) -> list[Path]:
    """Write the results of one state point into ``folder`` (module docstring); returns the paths written."""
    folder = Path(folder)
    rows = [r for res in results for r in res.to_rows()]
    document = {"quantities": [r.to_dict() for r in rows]}
    for res in results:
        document[res.section] = res.to_dict()
    files = {"results.json": lambda f: json.dump(strict_json(document), f, indent=1),
             "quantities.csv": lambda f: rows_frame(rows).to_csv(f, index=False, float_format=FLOAT_FORMAT)}
    for res in results:
        for name, table in res.tables().items():
            files[name] = lambda f, table=table: table.to_csv(f, index=False)
    for name, write in files.items():
        atomic_write(folder / name, write)
    written = [folder / name for name in files]
    for res in results:
        written.append(write_state(folder / state_file_name(res.section), res))
    if figures:
        import matplotlib.pyplot as plt
        for res in results:
            for name, fig in res.figures().items():
                atomic_write(folder / name, lambda f, fig=fig: fig.savefig(f, format="png", dpi=130), binary=True)
                plt.close(fig)
                written.append(folder / name)
    return written


# -- the state file ------------------------------------------------------------------------------
def write_state(path: Path, value) -> Path:
    """Save ``value`` (a result, or any plain data of the module docstring) into the state file ``path``."""
    arrays: dict = {}
    tree = {"format": STATE_FORMAT, "value": _encode(value, arrays, {})}

    def write(f):
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            archive.writestr("state.json", json.dumps(tree))
            for key, array in arrays.items():
                with archive.open(f"{key}.npy", "w", force_zip64=True) as entry:
                    np.lib.format.write_array(entry, array, allow_pickle=False)
    atomic_write(path, write, binary=True)
    return path


def read_state(path: Path):
    """What :func:`write_state` saved in ``path``."""
    try:
        with zipfile.ZipFile(path) as archive:
            tree = json.loads(archive.read("state.json"))
            if tree.get("format") != STATE_FORMAT:
                raise IonscaleError(f"{path} has state format {tree.get('format')}; this ionscale reads format "
                                    f"{STATE_FORMAT}: run the analysis again")
            arrays = {name[:-4]: np.lib.format.read_array(io.BytesIO(archive.read(name)), allow_pickle=False)
                      for name in archive.namelist() if name.endswith(".npy")}
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise IonscaleError(f"{path} is not a readable ionscale result ({err}); run the analysis again") from None
    try:
        return _decode(tree["value"], arrays)
    except (ImportError, AttributeError, TypeError, KeyError) as err:  # a type renamed or changed since
        raise IonscaleError(f"{path} was written by another version of ionscale ({type(err).__name__}: {err}); "
                            "run the analysis again with this one") from None


def _encode(value, arrays: dict, seen: dict):
    """The JSON tree of ``value``; arrays go into ``arrays`` (``seen``: id of an array → (its key, it))."""
    if isinstance(value, np.ndarray):
        return _encode_array(value, arrays, seen)
    if isinstance(value, pd.DataFrame):
        if not value.index.equals(pd.RangeIndex(len(value))):
            raise TypeError("a DataFrame in a result must have the default index 0, 1, ..., n - 1 to be saved")
        return {"frame": [[_encode(c, arrays, seen), _encode_column(value[c], arrays, seen)] for c in value.columns]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"type": _type_name(value), "fields": {f.name: _encode(getattr(value, f.name), arrays, seen)
                                                      for f in dataclasses.fields(value) if f.init}}
    if isinstance(value, tuple) and hasattr(type(value), "_fields"):
        return {"type": _type_name(value), "items": [_encode(v, arrays, seen) for v in value]}
    if isinstance(value, tuple):
        return {"tuple": [_encode(v, arrays, seen) for v in value]}
    if isinstance(value, list):
        return [_encode(v, arrays, seen) for v in value]
    if isinstance(value, dict):
        return {"dict": [[_encode(k, arrays, seen), _encode(v, arrays, seen)] for k, v in value.items()]}
    if isinstance(value, np.generic):
        if value.dtype == object:
            raise TypeError("a result field holds a NumPy object scalar, which cannot be saved")
        return {"scalar": value.item(), "dtype": value.dtype.str}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"a result field holds a {type(value).__name__}, which cannot be saved: give results plain "
                    "data (core.result module docstring)")


def _encode_array(array: np.ndarray, arrays: dict, seen: dict) -> dict:
    if array.dtype == object:
        raise TypeError("a result field holds an array of Python objects, which cannot be saved")
    if id(array) not in seen:  # the array is kept beside its key, so that its id is not reused meanwhile
        seen[id(array)] = (f"a{len(arrays)}", array)
        arrays[seen[id(array)][0]] = _smallest_integers(array) if array.dtype.kind in "iu" else array
    key = seen[id(array)][0]
    return {"array": key, "dtype": array.dtype.str}


def _encode_column(column: pd.Series, arrays: dict, seen: dict) -> dict:
    values = column.to_numpy()
    if values.dtype != object:
        return _encode_array(values, arrays, seen)
    if not all(isinstance(v, str) for v in values):
        raise TypeError(f"the DataFrame column {column.name!r} mixes types; a saved table holds numbers or strings")
    return {"strings": list(values)}


def _smallest_integers(array: np.ndarray) -> np.ndarray:
    """The same integers in the smallest integer type that holds them (the state file's arrays are per frame)."""
    if array.size == 0:
        return array
    low, high = int(array.min()), int(array.max())
    for dtype in (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64):
        if np.iinfo(dtype).min <= low and high <= np.iinfo(dtype).max:
            return array.astype(dtype, copy=False)
    return array


def _type_name(value) -> str:
    kind = type(value)
    if not kind.__module__.startswith("ionscale."):
        raise TypeError(f"a result field holds a {kind.__module__}.{kind.__qualname__}; only ionscale types are saved")
    return f"{kind.__module__}:{kind.__qualname__}"


def _decode(tree, arrays: dict):
    if isinstance(tree, list):
        return [_decode(v, arrays) for v in tree]
    if not isinstance(tree, dict):
        return tree
    if "array" in tree:
        return arrays[tree["array"]].astype(np.dtype(tree["dtype"]), copy=False)
    if "scalar" in tree:
        return np.dtype(tree["dtype"]).type(tree["scalar"])
    if "strings" in tree:
        return np.array(tree["strings"], dtype=object)
    if "frame" in tree:
        return pd.DataFrame({name: _decode(column, arrays) for name, column in tree["frame"]})
    if "tuple" in tree:
        return tuple(_decode(v, arrays) for v in tree["tuple"])
    if "dict" in tree:
        return {_decode(k, arrays): _decode(v, arrays) for k, v in tree["dict"]}
    kind = _type_of(tree["type"])
    if "items" in tree:
        return kind(*(_decode(v, arrays) for v in tree["items"]))
    return kind(**{name: _decode(v, arrays) for name, v in tree["fields"].items()})


def _type_of(name: str) -> type:
    module, qualname = name.split(":")
    if not module.startswith("ionscale."):
        raise IonscaleError(f"a saved result names the type {name}, which is not an ionscale type")
    kind = importlib.import_module(module)
    for part in qualname.split("."):
        kind = getattr(kind, part)
    return kind


__all__ = ["Rows", "Result", "load_results", "write_analysis", "write_state", "read_state", "state_file_name"]
