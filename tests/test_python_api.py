"""`import entas` exposes the verbs of the command as functions, loaded on first use."""

from __future__ import annotations

import pytest

import entas
import entas.pockets
import entas.target


@pytest.mark.parametrize("module", [entas, entas.pockets, entas.target])
def test_every_exported_name_is_a_function_or_value(module: object) -> None:
    for name in module.__all__:  # type: ignore[attr-defined]
        value = getattr(module, name)
        assert value is not None
        if name.islower() and not name.startswith("__"):
            assert callable(value), name


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        entas.nothing  # noqa: B018
