"""What every section is given (`Harness`: the binary, the mode, a work directory, the failures list)
and what it gives back (`Section`: a titled table)."""

import os
from dataclasses import dataclass, field
from pathlib import Path

import conftest


def printable(text):
    """`text` with control characters (a NUL from a hostile entry name...) written as escapes."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


@dataclass
class Section:
    """A section of the report: a title, column names and rows of cells (strings)."""

    title: str
    columns: tuple
    rows: list = field(default_factory=list)

    def add(self, *cells):
        self.rows.append(tuple(printable(str(c)) for c in cells))

    def markdown(self):
        lines = [f"### {self.title}", "", "| " + " | ".join(self.columns) + " |"]
        lines.append("|" + "---|" * len(self.columns))
        lines.extend("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in self.rows)
        return "\n".join(lines)


@dataclass
class Harness:
    binary: Path
    quick: bool
    work: Path
    failures: list = field(default_factory=list)

    def __post_init__(self):
        zips = self.work / "go-zips"
        zips.mkdir(parents=True, exist_ok=True)
        self.go_zip = conftest.go_zips(zips, self.binary)

    def fail(self, what):
        self.failures.append(what)

    def check(self, condition, what):
        """Records `what` as a failure unless `condition` holds; returns `condition`."""
        if not condition:
            self.fail(what)
        return condition

    def server(self, name, args=(), data_dir=None):
        """A started `lamina serve` on a fresh data directory (`<work>/<name>/data` unless given)."""
        data_dir = data_dir or self.work / name / "data"
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        return conftest.Server(data_dir, list(args), binary=self.binary).start()

    @property
    def root(self):
        return os.geteuid() == 0
