"""Turning Dagster metadata and other Python values into plain, deterministic JSON.

Rules (docs/snapshot.md, "Metadata"): a ``MetadataValue`` becomes its ``value`` converted by these
rules (text, url, path, markdown -> string; int, float, bool -> number/boolean; json -> the JSON;
asset -> the key as a list of strings; table schema, table, lineage, code references -> objects of
their fields); ``AssetKey`` -> list of strings; enums -> their value; NaN and infinities -> the
strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``; datetimes -> ISO 8601; mappings -> objects with
string keys; sets -> sorted lists; records, named tuples and dataclasses -> objects of their fields;
anything else -> ``"<module.Class>"`` (never a repr with a memory address, so bytes stay stable).
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import json
import math
import os
from typing import Any

_MAX_DEPTH = 32


def _type_name(value: Any) -> str:
    cls = type(value)
    return f"<{cls.__module__}.{cls.__qualname__}>"


def _float(value: float) -> Any:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _is_metadata_value(value: Any) -> bool:
    return any(c.__name__ == "MetadataValue" and c.__module__.startswith("dagster") for c in type(value).__mro__)


def _is_asset_key(value: Any) -> bool:
    return type(value).__name__ == "AssetKey" and hasattr(value, "path")


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def to_json(value: Any, depth: int = 0) -> Any:
    """A JSON-safe copy of ``value`` (only dict, list, str, int, float, bool, None)."""
    if depth > _MAX_DEPTH:
        return _type_name(value)
    next_depth = depth + 1
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and not isinstance(value, enum.Enum):
        return int(value)
    if isinstance(value, float):
        return _float(float(value))
    if _is_metadata_value(value):
        inner = value.value
        if inner is value:
            return _fields(value, next_depth)
        return to_json(inner, next_depth)
    if _is_asset_key(value):
        return [str(part) for part in value.path]
    if isinstance(value, enum.Enum):
        return to_json(value.value, next_depth)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value) if isinstance(os.fspath(value), str) else _type_name(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict) or (hasattr(value, "items") and hasattr(value, "keys")):
        try:
            items = list(value.items())
        except Exception:
            return _type_name(value)
        return {_key(k): to_json(v, next_depth) for k, v in items}
    if hasattr(value, "_fields") and isinstance(getattr(value, "_fields"), tuple):
        return _fields(value, next_depth)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name), next_depth) for f in dataclasses.fields(value)}
    if isinstance(value, (set, frozenset)):
        return sorted((to_json(v, next_depth) for v in value), key=_sort_key)
    if isinstance(value, (list, tuple)):
        return [to_json(v, next_depth) for v in value]
    return _type_name(value)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if _is_asset_key(key):
        return "/".join(key.path)
    if isinstance(key, enum.Enum):
        return str(key.value)
    return str(key) if isinstance(key, (int, float, bool)) or key is None else _type_name(key)


def _fields(value: Any, depth: int) -> Any:
    """An object of a record's / named tuple's fields (``_fields``), else of its public
    attributes' names only."""
    names = getattr(value, "_fields", None)
    if not isinstance(names, tuple):
        return _type_name(value)
    result = {}
    for name in names:
        if isinstance(name, str) and not name.startswith("_"):
            try:
                result[name] = to_json(getattr(value, name), depth)
            except Exception:
                result[name] = None
    return result


def metadata_to_json(metadata: Any) -> dict:
    """A metadata mapping as ``{key: plain JSON}``; keys are strings."""
    if not metadata:
        return {}
    return {str(k): to_json(v) for k, v in dict(metadata).items()}
