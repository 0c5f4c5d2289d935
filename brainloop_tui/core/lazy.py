"""Names of a package imported from their submodules on first use (PEP 562).

The workbench's first frame and the MCP server's first answer need few of the core's modules; the
readers (markdown-it, PyYAML, pygments lexers), the pattern extractors (pathspec) and the HTTP client
(httpx) cost hundreds of milliseconds to import. A package declares its public names here; each is
imported when it is first used, then kept in the package like any other name.

    __getattr__, __dir__ = lazy_exports(__name__, {"read_digest": ".cache", ...})
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`exports` maps each public name to the submodule (relative to `package`) that defines it."""

    def __getattr__(name: str) -> Any:
        try:
            module = exports[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)  # the next lookup is an ordinary one
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__
