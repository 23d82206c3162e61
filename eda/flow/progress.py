"""Progress reporting: a rich progress bar on a terminal, plain log lines elsewhere (CI, pipes, files)."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["track", "is_interactive"]

T = TypeVar("T")
_LOG = logging.getLogger("eda.progress")


def is_interactive() -> bool:
    """True when stderr is a terminal (so a live bar can redraw in place)."""
    return sys.stderr.isatty()


def track(
    items: Iterable[T],
    *,
    total: int | None = None,
    description: str = "working",
    log: logging.Logger | None = None,
    enabled: bool = True,
    every_percent: float = 10.0,
) -> Iterator[T]:
    """Yield ``items`` while showing progress.

    On a terminal a rich bar is drawn; otherwise a log line is written every ``every_percent`` percent
    (and at the end) with the count and the elapsed time in seconds.
    """
    if total is None:
        try:
            total = len(items)  # type: ignore[arg-type]
        except TypeError:
            total = None
    if not enabled:
        yield from items
        return
    if is_interactive():
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task(description, total=total)
            for item in items:
                yield item
                bar.advance(task)
        return
    logger = log or _LOG
    start = time.perf_counter()
    step = max(1, int((total or 0) * every_percent / 100)) if total else 100
    done = 0
    for item in items:
        yield item
        done += 1
        if done % step == 0 or (total is not None and done == total):
            of = f"/{total}" if total else ""
            logger.info("%s: %d%s done (%.1f s)", description, done, of, time.perf_counter() - start)
