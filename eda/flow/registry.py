"""Step registry: decorator registration and a resolver that lists valid names on a miss."""

from __future__ import annotations

import difflib
import importlib
import importlib.util
from importlib.metadata import entry_points

from eda.errors import FlowError
from eda.flow.step import Step

__all__ = ["register", "resolve", "registered_steps", "load_builtin_steps", "load_plugins", "close_match",
           "area_modules"]

_REGISTRY: dict[str, type[Step]] = {}

#: area packages whose ``steps`` module and ``*_steps`` modules define the built-in steps
STEP_AREAS: tuple[str, ...] = ("eda.flow", "eda.pdn", "eda.acim", "eda.irdrop", "eda.workloads", "eda.signoff",
                               "eda.report", "eda.macro")
_loaded = False


def area_modules(suffix: str) -> list[str]:
    """Modules named ``<suffix>`` or ``*_<suffix>`` in every area package that exists (sorted)."""
    import pkgutil

    found: list[str] = []
    for area in STEP_AREAS:
        spec = importlib.util.find_spec(area)
        if spec is None or not spec.submodule_search_locations:
            continue
        for info in pkgutil.iter_modules(spec.submodule_search_locations):
            if info.name == suffix or info.name.endswith(f"_{suffix}"):
                found.append(f"{area}.{info.name}")
    return sorted(found)


def register(cls: type[Step]) -> type[Step]:
    """Class decorator: add a :class:`Step` subclass to the registry under ``cls.name``."""
    if not cls.name or "." not in cls.name:
        raise ValueError(f"step class {cls.__qualname__} needs a name like 'area.verb', got {cls.name!r}")
    existing = _REGISTRY.get(cls.name)
    if existing is not None and existing.__qualname__ != cls.__qualname__:
        raise ValueError(f"step name {cls.name!r} registered twice ({existing.__qualname__}, {cls.__qualname__})")
    _REGISTRY[cls.name] = cls
    return cls


def close_match(word: str, choices: list[str] | set[str] | tuple[str, ...]) -> str | None:
    """The closest of ``choices`` to ``word`` (for 'did you mean' hints), or None."""
    matches = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def load_builtin_steps() -> None:
    """Import every built-in step module that exists, then installed plugins (entry point ``eda.steps``)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in area_modules("steps"):
        importlib.import_module(module)
    for entry in entry_points(group="eda.steps"):
        entry.load()


def load_plugins(modules: list[str]) -> None:
    """Import user step modules named in a flow's ``plugins:`` list (or ``EDA_PLUGINS``)."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise FlowError(f"cannot import plugin module '{module}': {exc}",
                            hint="check the module name and that it is on PYTHONPATH") from None


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
        guess = close_match(str(step), names)
        hint = f"did you mean '{guess}'? " if guess else ""
        raise FlowError(f"unknown step '{step}'", where=where,
                        hint=f"{hint}valid steps: {', '.join(names)} (see `eda steps`)") from None
