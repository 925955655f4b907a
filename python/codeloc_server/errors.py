"""Load errors: an exception as the structured object of docs/protocol.md ("Load errors").

``{"class_name", "message", "stack", "location", "cause"}``. The stack lists frames outermost
first and leaves out the code server's own frames and the import machinery's (``<frozen ...>``),
which say nothing about the user's code. ``location`` is the user's file and line the error is
about: a SyntaxError's own file, line and column (1-based, as Python reports it), else the innermost
frame in the user's code (column 0: unknown), else null.
"""

from __future__ import annotations

import builtins
import functools
import os
import sys
import sysconfig
import traceback
from typing import Any, Dict, List, Optional, Tuple

_THIS_PACKAGE = os.path.dirname(os.path.abspath(__file__))
# How deep chained causes are followed; deeper ones are cut (and a cycle cannot recurse).
_MAX_CAUSE_DEPTH = 8


def class_name(error: BaseException) -> str:
    """``ValueError`` for builtins, else ``module.QualifiedName``."""
    cls = type(error)
    if cls.__module__ == "builtins" and getattr(builtins, cls.__name__, None) is cls:
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def message_of(error: BaseException) -> str:
    """The exception's message: ``msg`` for a SyntaxError (its ``str`` repeats the position),
    ``str(error)`` otherwise, and the class name when that is empty."""
    if isinstance(error, SyntaxError) and error.msg:
        return str(error.msg)
    try:
        text = str(error)
    except Exception:  # a broken __str__ in user code
        text = ""
    if isinstance(error, KeyError) and len(error.args) == 1:
        text = repr(error.args[0])
    return text or type(error).__name__


@functools.lru_cache(maxsize=1)
def _system_prefixes() -> Tuple[str, ...]:
    """Folders whose files are not the user's code: the standard library and installed packages."""
    paths = set()
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        try:
            path = sysconfig.get_paths().get(name)
        except Exception:
            path = None
        if path:
            paths.add(os.path.abspath(path))
    for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix):
        paths.add(os.path.join(os.path.abspath(prefix), "lib"))
    paths.add(_THIS_PACKAGE)
    return tuple(sorted(p.rstrip(os.sep) + os.sep for p in paths))


def is_user_file(path: Optional[str]) -> bool:
    """True for a real file outside the standard library, site-packages and the code server."""
    if not path or path.startswith("<"):
        return False
    absolute = os.path.abspath(path)
    return not any(absolute.startswith(prefix) for prefix in _system_prefixes())


def _is_hidden_frame(path: str) -> bool:
    return path.startswith("<frozen ") or os.path.abspath(path).startswith(_THIS_PACKAGE + os.sep)


def _frames(error: BaseException) -> List[Dict[str, Any]]:
    frames = []
    for frame in traceback.extract_tb(error.__traceback__):
        if _is_hidden_frame(frame.filename):
            continue
        code = frame.line if frame.line else None
        frames.append(
            {"file": frame.filename, "line": frame.lineno, "function": frame.name, "code": code}
        )
    return frames


def _location(error: BaseException, frames: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    if isinstance(error, SyntaxError) and error.filename:
        return {"file": error.filename, "line": error.lineno or 0, "column": error.offset or 0}
    for frame in reversed(frames):
        if is_user_file(frame["file"]):
            return {"file": frame["file"], "line": frame["line"] or 0, "column": 0}
    return None


def _cause(error: BaseException) -> Optional[BaseException]:
    if error.__cause__ is not None:
        return error.__cause__
    if error.__context__ is not None and not error.__suppress_context__:
        return error.__context__
    return None


def load_error(error: BaseException, _depth: int = 0) -> Dict[str, Any]:
    """The load error object for ``error``, with its chain of causes. An exception that carries a
    ready object in ``load_error_data`` (an error another process reported: attach.py) gives that."""
    ready = getattr(error, "load_error_data", None)
    if isinstance(ready, dict):
        return ready
    frames = _frames(error)
    cause = _cause(error)
    return {
        "class_name": class_name(error),
        "message": message_of(error),
        "stack": frames,
        "location": _location(error, frames),
        "cause": load_error(cause, _depth + 1)
        if cause is not None and _depth < _MAX_CAUSE_DEPTH
        else None,
    }


def summary_line(data: Dict[str, Any]) -> str:
    """The one-line JSON-RPC ``message`` for a load error: ``ClassName: message``."""
    return f"{data['class_name']}: {data['message']}"
