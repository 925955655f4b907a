#!/usr/bin/env python3
"""Fails when a daemon part includes a part above it (docs/architecture.md, "The parts").

Usage: scripts/check-layering.py [source root]   (ctest runs it as the `layering` test)
"""
import pathlib
import re
import sys

# Each part and the parts it may include (besides itself). workspace/, config/ and ipc/ sit below
# all of them; cli/ and daemon/daemon.cpp above.
BELOW = {
    "common": set(),
    "logs": {"common"},
    "processes": {"common", "logs", "watching"},  # a fork server's site-packages watch
    "watching": {"common"},
    "dagster": {"common"},
    "supervision": {"common", "logs", "processes", "watching", "dagster"},
    "control": {"common", "logs", "processes", "watching", "dagster", "supervision"},
    "service": {"common", "logs", "processes", "watching", "dagster", "supervision"},
    "ui": {"common", "logs", "processes", "watching", "dagster", "supervision"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"daemon/([a-z_]+)/[^"]+"', re.MULTILINE)
LOWER_FOLDERS = ("workspace", "config", "ipc")


def problems(root: pathlib.Path):
    daemon = root / "daemon"
    for path in sorted(daemon.glob("*/*")):
        if path.suffix not in (".h", ".cpp"):
            continue
        part = path.parent.name
        if part not in BELOW:
            yield f"{path.relative_to(root)}: folder '{part}' is not a known part (add it to {__file__})"
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in INCLUDE.finditer(text):
            other = match.group(1)
            if other != part and other not in BELOW[part]:
                line = text.count("\n", 0, match.start()) + 1
                yield (f"{path.relative_to(root)}:{line}: '{part}' includes 'daemon/{other}/', "
                       f"a part above it or beside it")
    for folder in LOWER_FOLDERS:
        for path in sorted((root / folder).glob("*")):
            if path.suffix not in (".h", ".cpp"):
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            for match in re.finditer(r'^\s*#\s*include\s+"(daemon|cli)/', text, re.MULTILINE):
                line = text.count("\n", 0, match.start()) + 1
                yield f"{path.relative_to(root)}:{line}: {folder}/ includes {match.group(1)}/"


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent.parent)
    found = list(problems(root.resolve()))
    for problem in found:
        print(problem, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
