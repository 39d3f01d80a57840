"""No dead code the machine can find: pyflakes (unused imports and variables, undefined names, shadowed
definitions) reports nothing on the package, the tests, the benchmarks and the docs' scripts."""

from pathlib import Path

from pyflakes.api import checkPath
from pyflakes.reporter import Reporter

ROOT = Path(__file__).resolve().parents[1]


class Collected(Reporter):
    def __init__(self):
        self.messages = []

    def unexpectedError(self, filename, message):
        self.messages.append(f"{filename}: {message}")

    def syntaxError(self, filename, msg, lineno, offset, text):
        self.messages.append(f"{filename}:{lineno}: {msg}")

    def flake(self, message):
        self.messages.append(str(message))


def test_pyflakes_finds_nothing():
    reporter = Collected()
    files = sorted(p for folder in ("src", "tests", "benchmarks", "docs") for p in (ROOT / folder).rglob("*.py"))
    assert len(files) > 100
    for path in files:
        checkPath(str(path), reporter)
    assert reporter.messages == []
