"""Step registry: decorator registration and a resolver that lists valid names on a miss.

Step modules are found through the ``eda.steps`` entry-point group: the toolkit's own steps are declared
there in ``pyproject.toml`` exactly as a plugin package declares its steps, so the flow engine names no
domain package. Loading the group imports each module, whose ``@register`` classes then join the
registry. A flow can also name modules to import under ``plugins:`` (:func:`load_plugins`).
"""

from __future__ import annotations

import difflib
import importlib
from importlib.metadata import entry_points

from eda.errors import FlowError
from eda.flow.step import Step

__all__ = [
    "register",
    "resolve",
    "registered_steps",
    "load_builtin_steps",
    "load_plugins",
    "close_match",
    "did_you_mean",
    "STEP_ENTRY_POINTS",
]

_REGISTRY: dict[str, type[Step]] = {}

#: the entry-point group whose modules define steps (the toolkit's own and installed plugins')
STEP_ENTRY_POINTS = "eda.steps"
_loaded = False


def register(cls: type[Step]) -> type[Step]:
    """Class decorator: add a :class:`Step` subclass to the registry under ``cls.name``."""
    if not cls.name or "." not in cls.name:
        raise ValueError(f"step class {cls.__qualname__} needs a name like 'area.verb', got {cls.name!r}")
    existing = _REGISTRY.get(cls.name)
    if existing is not None and existing.__qualname__ != cls.__qualname__:
        raise ValueError(
            f"step name {cls.name!r} registered twice ({existing.__qualname__}, {cls.__qualname__})"
        )
    _REGISTRY[cls.name] = cls
    return cls


def close_match(word: str, choices: list[str] | set[str] | tuple[str, ...]) -> str | None:
    """The closest of ``choices`` to ``word`` (for 'did you mean' hints), or None."""
    matches = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: str, choices: list[str] | set[str] | tuple[str, ...], listing: str) -> str:
    """The hint for an unknown ``word``: ``did you mean '<closest of choices>'? `` (when one is close)
    followed by ``listing`` (what the valid names are)."""
    guess = close_match(word, choices)
    return (f"did you mean '{guess}'? " if guess else "") + listing


def load_builtin_steps() -> None:
    """Import every step module of the ``eda.steps`` entry-point group (built-in and installed plugins).

    Raises :class:`~eda.errors.FlowError` when the group is empty: the package's metadata is missing
    (a source tree that was never installed) or predates the entry points.
    """
    global _loaded
    if _loaded:
        return
    found = entry_points(group=STEP_ENTRY_POINTS)
    if not found:
        raise FlowError(
            f"no step modules are registered (entry-point group '{STEP_ENTRY_POINTS}' is empty)",
            hint="install the toolkit so its entry points are recorded (pip install -e . or make "
            "install in the checkout); an eda.egg-info beside pyproject.toml from an older "
            "build shadows the installed metadata when the checkout is on sys.path: "
            "rebuild (make wheel) or delete it",
        )
    _loaded = True
    for entry in sorted(found, key=lambda e: e.name):
        entry.load()


def load_plugins(modules: list[str]) -> None:
    """Import user step modules named in a flow's ``plugins:`` list (or ``EDA_PLUGINS``)."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise FlowError(
                f"cannot import plugin module '{module}': {exc}",
                hint="check the module name and that it is on PYTHONPATH",
            ) from None


def registered_steps() -> dict[str, type[Step]]:
    """All registered steps by name (built-ins loaded)."""
    load_builtin_steps()
    return dict(sorted(_REGISTRY.items()))


def resolve(step: str | type[Step], *, where: str | None = None) -> type[Step]:
    """Return the step class for a registered name (or pass a class through)."""
    if isinstance(step, type) and issubclass(step, Step):
        return step
    load_builtin_steps()
    try:
        return _REGISTRY[step]
    except KeyError:
        names = sorted(_REGISTRY)
        raise FlowError(
            f"unknown step '{step}'",
            where=where,
            hint=did_you_mean(str(step), names, f"valid steps: {', '.join(names)} (see `eda steps`)"),
        ) from None
