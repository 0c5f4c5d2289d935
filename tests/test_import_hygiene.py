"""The core and the MCP face never load Textual (headless start-up time depends on it), the core never
loads the MCP SDK, nothing loads llama_cpp until the embedded model is used, and the workbench starts
without the libraries only later work needs (its first frame depends on it)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import brainloop_tui.core


def loaded_after_importing(modules: list[str]) -> set[str]:
    code = (
        "import sys\n"
        + "".join(f"import {name}\n" for name in modules)
        + "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(result.stdout.split())


def core_modules() -> list[str]:
    return sorted(
        info.name for info in pkgutil.walk_packages(brainloop_tui.core.__path__, "brainloop_tui.core.")
    )


def test_core_loads_neither_face_library() -> None:
    loaded = loaded_after_importing(["brainloop_tui.cli", *core_modules()])
    assert not loaded & {"textual", "mcp", "llama_cpp"}


def test_headless_face_does_not_load_textual() -> None:
    loaded = loaded_after_importing(["brainloop_tui.core", "brainloop_tui.headless"])
    assert "textual" not in loaded


def test_the_workbench_starts_without_what_only_later_work_needs() -> None:
    # The readers' parsers, the pattern extractors' .gitignore matcher, explore's process pool and the
    # HTTP client are imported by the first digest, generation, map or model call: ~0.35 s kept off the
    # first frame (benchmarks/tui_startup.py).
    loaded = loaded_after_importing(["brainloop_tui.tui.app"])
    assert not loaded & {"httpx", "markdown_it", "yaml", "pathspec", "multiprocessing", "llama_cpp", "mcp"}


def test_lazy_package_names_resolve() -> None:
    from brainloop_tui.core import llm, patterns, readers

    for package in (llm, patterns, readers):
        assert sorted(package.__all__) == package.__all__ and set(package.__all__) <= set(dir(package))
        for name in package.__all__:
            assert getattr(package, name) is not None, f"{package.__name__}.{name}"
    with pytest.raises(AttributeError, match="'brainloop_tui.core.readers' has no attribute 'no_such_name'"):
        readers.no_such_name  # noqa: B018 (the lookup is the test)


def test_the_faces_never_import_each_other() -> None:
    from pathlib import Path

    package = Path(brainloop_tui.core.__file__).parent.parent
    for face, other in (("headless", "tui"), ("tui", "headless")):
        for source in (package / face).rglob("*.py"):
            assert f"brainloop_tui.{other}" not in source.read_text(encoding="utf-8"), source
    for source in (package / "core").rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        assert "brainloop_tui.tui" not in text and "brainloop_tui.headless" not in text, source
