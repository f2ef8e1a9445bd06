"""Progress reporting without printing: long work calls a reporter; faces decide how to show it.

Analytics and importers never print. They accept ``progress: ProgressReporter | None`` and call it with a
step name and how far the step is (``done`` of ``total`` units). The CLI passes a Rich progress bar.
"""

from __future__ import annotations

from typing import Protocol


class ProgressReporter(Protocol):
    """Receives ``(step, done, total)``; ``done == total`` ends the step."""

    def __call__(self, step: str, done: int, total: int) -> None: ...


def report(progress: ProgressReporter | None, step: str, done: int, total: int) -> None:
    """Call ``progress`` when one was given; a no-op otherwise."""
    if progress is not None:
        progress(step, done, total)
