"""Loading a target with Dagster's meaning, ending in one ``RepositoryDefinition``.

- ``sys.path``: the working directory goes first (Dagster's ``load_python_file`` /
  ``load_python_module`` put it at ``sys.path[0]`` and take the launcher's script path off; here the
  change is kept for the process's life, so imports made later by the user's code see the same path).
- ``python_file``: imported as a module named after the file (``defs.py`` -> ``defs``), like
  ``dagster_shared.seven.import_module_from_path``.
- ``python_module`` / ``python_package``: ``importlib.import_module``; Dagster treats both alike.
- ``autoload_defs_module``: the module is imported, then ``dagster.components.load_defs``, the
  loader Dagster's own ``autoload_defs_module`` entry uses.
- With ``attribute``: that attribute, with Dagster's error when it is missing; a plain function is
  called with no arguments (a legacy ``@repository``-style factory), as ``def_from_pointer`` does.
- Without: ``scan.loadable_targets`` (the one ``Definitions`` object or ``@definitions`` loader...).

Import errors are left as the user's own exceptions (``ModuleNotFoundError`` in their file, not
Dagster's ``DagsterImportError`` wrapper): the error then points at the user's line.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
from types import ModuleType
from typing import Any, Callable, Optional

from . import cli, dagster_versions, scan


class DagsterMissing(ImportError):
    """``dagster`` cannot be imported by this interpreter; the cause is the original error."""


def prepare_sys_path(working_directory: str) -> None:
    """Puts ``working_directory`` first on ``sys.path`` (once)."""
    if not sys.path or os.path.abspath(sys.path[0] or ".") != working_directory:
        sys.path.insert(0, working_directory)


_version_checked = False


def _stderr_warning(message: str) -> None:
    try:
        sys.stderr.write(f"codeloc-python: {message}\n")
        sys.stderr.flush()
    except Exception:
        pass


def import_dagster(warn: Optional[Callable[[str], None]] = None) -> ModuleType:
    """Imports ``dagster``; raises DagsterMissing (caused by the ImportError) when it cannot. The
    first time, a dagster outside the supported versions (dagster_versions.py) is logged through
    ``warn`` (default: a ``codeloc-python:`` line on stderr) and used anyway."""
    global _version_checked
    try:
        import dagster
    except ImportError as error:
        raise DagsterMissing(
            f"dagster cannot be imported by {sys.executable}: {error}. Install dagster in the"
            " location's environment, or point executable_path at an interpreter that has it."
        ) from error
    if not _version_checked:
        _version_checked = True
        warning = dagster_versions.unsupported_warning(str(getattr(dagster, "__version__", "")))
        if warning:
            (warn or _stderr_warning)(warning)
    return dagster


def _begin_definitions_load() -> None:
    """Sets Dagster's load context to an initial load, as Dagster's server does before importing
    (``initialize_repository_def_from_pointer``); state-backed definitions read it. Private API,
    so skipped when absent."""
    try:
        from dagster._core.definitions.definitions_load_context import (  # type: ignore
            DefinitionsLoadContext,
            DefinitionsLoadType,
        )
    except ImportError:
        return
    try:
        DefinitionsLoadContext.set(
            DefinitionsLoadContext(load_type=DefinitionsLoadType.INITIALIZATION, repository_load_data=None)
        )
    except TypeError:
        DefinitionsLoadContext.set(DefinitionsLoadContext(load_type=DefinitionsLoadType.INITIALIZATION))


def import_python_file(path: str) -> ModuleType:
    """Imports the file as a module named after it; an already imported copy of the same file is
    reused, and a file that raised is taken off ``sys.modules``. Raises FileNotFoundError for a
    missing file, as Dagster's ``os.stat`` does."""
    os.stat(path)
    module_name = os.path.splitext(os.path.basename(path))[0]
    existing = sys.modules.get(module_name)
    if existing is not None and getattr(existing, "__file__", None):
        if os.path.abspath(existing.__file__) == os.path.abspath(path):
            return existing
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"Can not import module {module_name} from path {path}, unable to load spec.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        # As a failed import does: a later import (Dagster's gRPC server's, dagster_grpc.py) must
        # run the file again and meet the same error, not find a half-made module.
        if sys.modules.get(spec.name) is module:
            del sys.modules[spec.name]
        raise
    return module


def import_target_module(target: cli.Target) -> ModuleType:
    """Imports the target's module (any kind)."""
    if target.kind == cli.PYTHON_FILE:
        return import_python_file(target.name)
    return importlib.import_module(target.name)


def _describe_pointer(target: cli.Target) -> str:
    """Dagster's ``CodePointer.describe()`` for the target, used in its error texts."""
    if target.kind == cli.PYTHON_FILE:
        return f"{target.name}::{target.attribute}"
    return f"from {target.name} import {target.attribute}"


def _loadable_classes() -> tuple:
    from dagster import Definitions, GraphDefinition, JobDefinition, RepositoryDefinition

    return (JobDefinition, RepositoryDefinition, GraphDefinition, Definitions) + scan.lazy_definitions_class()


def _is_list_of_assets(value: Any) -> bool:
    from dagster import AssetsDefinition, SourceAsset

    return isinstance(value, list) and all(isinstance(v, (AssetsDefinition, SourceAsset)) for v in value)


def _check_is_loadable(value: Any) -> Any:
    from dagster import DagsterInvariantViolationError

    if not (isinstance(value, _loadable_classes()) or _is_list_of_assets(value)):
        raise DagsterInvariantViolationError(
            "Loadable attributes must be either a JobDefinition, GraphDefinition, Definitions, "
            f"or RepositoryDefinition. Got {value!r}."
        )
    return value


def load_attribute(module: ModuleType, target: cli.Target) -> Any:
    """``module.<attribute>`` with Dagster's ``_load_target_from_module`` and ``def_from_pointer``
    rules and texts."""
    from dagster import DagsterInvariantViolationError

    attribute = target.attribute or ""
    if not hasattr(module, attribute):
        if target.kind == cli.PYTHON_FILE:
            suffix = f"at module scope in file {target.name}."
        else:
            suffix = f"in module {target.name}. dir: {dir(module)}"
        raise DagsterInvariantViolationError(f"{attribute} not found {suffix}")
    value = getattr(module, attribute)
    if isinstance(value, _loadable_classes()) or not callable(value):
        return _check_is_loadable(value)
    try:
        takes_arguments = bool(inspect.signature(value).parameters)
    except (TypeError, ValueError):
        takes_arguments = False
    if takes_arguments:
        raise DagsterInvariantViolationError(
            f"Error invoking function at {_describe_pointer(target)} with no arguments. "
            "Reconstructable target must be callable with no arguments"
            f"Got {value}, {_describe_pointer(target)}"
        )
    return _check_is_loadable(value())


def find_target(module: ModuleType, target: cli.Target) -> Any:
    """The definitions object the target names (before conversion to a repository)."""
    from dagster import DagsterInvariantViolationError

    if target.kind == cli.AUTOLOAD_DEFS_MODULE:
        from dagster.components import load_defs

        return load_defs(module)
    if target.attribute:
        return load_attribute(module, target)
    found = scan.loadable_targets(module)
    if len(found) > 1:
        names = ", ".join(f"{module.__name__}.{t.attribute}" for t in found)
        raise DagsterInvariantViolationError(
            f"codeloc serves one repository per location, and {module.__name__} has {len(found)}:"
            f" {names}. Name one with the entry's attribute."
        )
    return found[0].target_definition


def to_repository(definition: Any, target: cli.Target) -> Any:
    """Converts Definitions / a loader function / a job / a graph / a list of assets into a
    ``RepositoryDefinition`` as Dagster's ``repository_def_from_target_def`` does (called when it
    exists; else the same done with public API)."""
    from dagster import (
        DagsterInvariantViolationError,
        Definitions,
        GraphDefinition,
        JobDefinition,
        RepositoryDefinition,
    )

    try:
        from dagster._core.definitions.reconstruct import (  # type: ignore
            repository_def_from_target_def,
        )
    except ImportError:
        repository_def_from_target_def = None

    if repository_def_from_target_def is not None:
        repository = repository_def_from_target_def(definition)
    else:
        if isinstance(definition, scan.lazy_definitions_class() or ()):
            definition = definition()
        if isinstance(definition, Definitions):
            repository = definition.get_repository_def()
        elif isinstance(definition, GraphDefinition):
            repository = Definitions(jobs=[definition.to_job()]).get_repository_def()
        elif isinstance(definition, JobDefinition):
            repository = Definitions(jobs=[definition]).get_repository_def()
        elif _is_list_of_assets(definition):
            repository = Definitions(assets=definition).get_repository_def()
        elif isinstance(definition, RepositoryDefinition):
            repository = definition
        else:
            repository = None
    if repository is None:
        pointer = _describe_pointer(target) if target.attribute else target.name
        raise DagsterInvariantViolationError(
            f"CodePointer ({pointer}) must resolve to a RepositoryDefinition, JobDefinition, or"
            f" JobDefinition. Received a {type(definition)}"
        )
    return repository


def load_repository(target: cli.Target) -> Any:
    """Imports the target and returns its ``RepositoryDefinition``. Raises whatever the user's code
    or Dagster raises (the caller turns it into a load error); DagsterMissing without dagster."""
    prepare_sys_path(target.working_directory)
    import_dagster()
    _begin_definitions_load()
    module = import_target_module(target)
    return to_repository(find_target(module, target), target)
