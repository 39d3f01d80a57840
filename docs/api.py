"""Render the API reference of ionscale as static HTML with the standard library's pydoc (no extra tool).

Run: ``python docs/api.py [OUT]`` (``make docs`` does; OUT defaults to ``build/api``). Writes one page
per module — every docstring, signature and class of the package — and ``index.html`` linking them.
Every module is imported to be documented, so a module that fails to import fails the build, with
its name.
"""

from __future__ import annotations

import html
import importlib
import pkgutil
import pydoc
import sys
from pathlib import Path

import ionscale


def modules() -> list[str]:
    """Every module of the package, the package itself first, in name order."""
    found = [m.name for m in pkgutil.walk_packages(ionscale.__path__, prefix="ionscale.")]
    return ["ionscale"] + sorted(found)


def build(out: Path) -> list[Path]:
    """Write ``out/<module>.html`` for every module and ``out/index.html``; return the pages."""
    out.mkdir(parents=True, exist_ok=True)
    pages, summaries = [], []
    for name in modules():
        try:
            module = importlib.import_module(name)
        except Exception as err:  # report which module, then stop: the reference must cover all of them
            raise SystemExit(f"docs/api.py: cannot import {name}: {err}") from err
        page = out / f"{name}.html"
        page.write_text(pydoc.html.page(pydoc.describe(module), pydoc.html.document(module, name)),
                        encoding="utf-8")
        pages.append(page)
        summaries.append(pydoc.splitdoc(pydoc.getdoc(module))[0])
    links = "\n".join(f'<li><a href="{p.name}">{html.escape(p.stem)}</a> — {html.escape(summary)}</li>'
                      for p, summary in zip(pages, summaries))
    (out / "index.html").write_text(f"<!doctype html><meta charset=utf-8><title>ionscale API</title>"
                                    f"<h1>ionscale {html.escape(getattr(ionscale, '__version__', ''))} — API reference"
                                    f"</h1><ul>\n{links}\n</ul>\n", encoding="utf-8")
    return pages


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("build/api")
    print(f"{len(build(target))} module pages in {target}/index.html")
