"""Package attributes imported on first use (PEP 562), for pos.screens and pos.widgets:
``from pos.screens import ScanScreen`` still works, and the login path does not import
the screens and widgets it never shows."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(
    package: str, modules: Mapping[str, str], namespace: dict[str, Any]
) -> Callable[[str], object]:
    """The ``__getattr__`` of ``package``: each name in ``modules`` is imported from its
    module the first time it is asked for, then kept in the package's ``namespace``."""

    def __getattr__(name: str) -> object:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
