"""Finding a module's definitions without an ``attribute``, with Dagster's rules and texts.

Dagster's rule (``dagster._core.workspace.autodiscovery.loadable_targets_from_loaded_module``), in
order: the one ``@definitions``-decorated loader function (``LazyDefinitions``); else the one
``Definitions`` object at module scope; else the repositories; else the one job; else the one
graph; else all assets in the module; else an error. More than one of a kind is an error.

That helper is private, so it is called when it exists (the location's Dagster then decides
exactly as it would itself) and ``builtin_loadable_targets`` below, a copy of the rule as of
dagster 1.13, is used otherwise. ``tests/python`` checks that the two agree.
"""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any, List, NamedTuple, Sequence, Tuple, Type, Union

# Dagster's marker attribute for "all assets in the module".
LOAD_ALL_ASSETS = "<<LOAD_ALL_ASSETS>>"


class LoadableTarget(NamedTuple):
    """A definition found at module scope: its attribute name and the object."""

    attribute: str
    target_definition: Any


def loadable_targets(module: ModuleType) -> List[LoadableTarget]:
    """The module's loadable targets by Dagster's own rule where available, else the copy.

    Raises Dagster's ``DagsterInvariantViolationError`` with Dagster's text when the module has
    more than one ``Definitions`` object (or loader function, job, graph) or none at all."""
    try:
        from dagster._core.workspace.autodiscovery import (  # type: ignore[import-not-found]
            loadable_targets_from_loaded_module,
        )
    except ImportError:
        return builtin_loadable_targets(module)
    return [LoadableTarget(t.attribute, t.target_definition) for t in loadable_targets_from_loaded_module(module)]


def _of_type(module: ModuleType, klass: Union[Type, Tuple[Type, ...]]) -> List[LoadableTarget]:
    return [
        LoadableTarget(name, value)
        for name, value in inspect.getmembers(module)
        if isinstance(value, klass)
    ]


def _names(module: ModuleType, targets: Sequence[LoadableTarget]) -> str:
    return ", ".join(f"{module.__name__}.{t.attribute}" for t in targets)


def lazy_definitions_class() -> Tuple[Type, ...]:
    """The class of ``@dagster.definitions``-decorated functions, or () on a Dagster without it."""
    try:
        from dagster.components.definitions import LazyDefinitions  # type: ignore[import-not-found]
    except ImportError:
        return ()
    return (LazyDefinitions,)


def builtin_loadable_targets(module: ModuleType) -> List[LoadableTarget]:
    """Dagster 1.13's ``loadable_targets_from_loaded_module``, using public names where possible."""
    import dagster
    from dagster import (
        DagsterInvariantViolationError,
        Definitions,
        GraphDefinition,
        JobDefinition,
        RepositoryDefinition,
    )

    loaders = _of_type(module, lazy_definitions_class()) if lazy_definitions_class() else []
    if loaders:
        if len(loaders) > 1:
            raise DagsterInvariantViolationError(
                "Cannot have more than one function decorated with @lazy_definitions defined in"
                " module scope"
            )
        return loaders

    defs = _of_type(module, Definitions)
    if defs:
        if len(defs) > 1:
            raise DagsterInvariantViolationError(
                "Cannot have more than one Definitions object defined at module scope."
                f" Found Definitions objects: {_names(module, defs)}"
            )
        return defs

    repos = _of_type(module, RepositoryDefinition)
    if repos:
        return repos

    jobs = _of_type(module, JobDefinition)
    if len(jobs) == 1:
        return jobs
    if len(jobs) > 1:
        raise DagsterInvariantViolationError(
            f'No repository and more than one job found in "{module.__name__}". If you'
            " load a file or module directly it must have only one job in scope."
            " Found jobs defined in variables or decorated functions:"
            f" {[t.attribute for t in jobs]!r}."
        )

    graphs = _of_type(module, GraphDefinition)
    if len(graphs) == 1:
        return graphs
    if len(graphs) > 1:
        raise DagsterInvariantViolationError(
            f'More than one graph found in "{module.__name__}". '
            "If you load a file or module directly and it has no repositories, jobs, or "
            "pipelines in scope, it must have no more than one graph in scope. "
            f"Found graphs defined in variables or decorated functions: {[t.attribute for t in graphs]!r}."
        )

    assets = dagster.load_assets_from_modules([module])
    if len(assets) > 0:
        return [LoadableTarget(LOAD_ALL_ASSETS, assets)]

    raise DagsterInvariantViolationError(
        "No Definitions, RepositoryDefinition, Job, Pipeline, Graph, or AssetsDefinition found in "
        f'"{module.__name__}".'
    )
