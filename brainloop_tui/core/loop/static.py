"""Static checks of generated Python that compiles: pyflakes' findings (undefined names, redefinitions,
unused imports) and imports of workspace modules or names that do not exist.

Only the workspace modules the code imports are looked at, each parsed at most once per call, so the
check stays fast in large workspaces. Whenever a module cannot be inspected (too big, unreadable, not
valid Python, outside the workspace, compiled) its names are accepted: a false error would send the
model chasing a mistake it did not make."""

from __future__ import annotations

import ast
import difflib
import os
import sys
from dataclasses import dataclass
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

from pyflakes import checker as pyflakes_checker
from pyflakes import messages as pyflakes_messages

from brainloop_tui.core.loop.validators import Diagnostic
from brainloop_tui.core.workspace import PathError, resolve_in_workspace

MAX_MODULE_BYTES = 1_000_000  # bigger workspace modules are not parsed; their names are accepted

# What pyflakes finds that makes the code fail when it runs; everything else it reports is a warning.
PYFLAKES_ERRORS: tuple[type[pyflakes_messages.Message], ...] = (
    pyflakes_messages.UndefinedName,
    pyflakes_messages.UndefinedLocal,
    pyflakes_messages.UndefinedExport,
    pyflakes_messages.RedefinedWhileUnused,
)

# Handlers that mean "this import may fail": imports they guard are optional and never flagged.
_IMPORT_FAILURES = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


def check_python_static(code: str, path: str, workspace: Path | None) -> list[Diagnostic]:
    """pyflakes' findings on `code` (the new content of `path`) and, when a workspace is given, its
    imports of workspace modules or names that do not exist; sorted by line."""
    try:
        tree = ast.parse(code, filename=path)
    except (SyntaxError, ValueError):  # check_python reports code that does not compile
        return []
    found = _pyflakes(tree, path)
    if workspace is not None:
        found += _Imports(workspace, path, tree).check()
    return sorted(found, key=lambda d: (d.line or 0, d.column or 0))


def _pyflakes(tree: ast.Module, path: str) -> list[Diagnostic]:
    # withDoctest is fixed so that an environment variable of the user's cannot change what is reported.
    flakes = pyflakes_checker.Checker(tree, filename=path, withDoctest=False)
    return [
        Diagnostic(severity="error" if isinstance(m, PYFLAKES_ERRORS) else "warning", source="pyflakes",
                   message=m.message % m.message_args, line=m.lineno, column=m.col + 1)
        for m in flakes.messages
    ]


@dataclass(frozen=True)
class _Module:
    shown: str  # how messages name it: its file (or a namespace package's folder), relative to the workspace
    source: Path | None  # the file defining its names; None for a namespace package or an opaque module
    folders: tuple[Path, ...] = ()  # where a package's submodules live; empty for a plain module
    opaque: bool = False  # cannot be inspected (outside the workspace, compiled): any name or submodule goes


def _module_names(tree: ast.Module) -> frozenset[str] | None:
    """The names a module defines at its top level, or None when it accepts any name (a module-level
    `__getattr__` or a star import). Blocks (if, try, with, for...) count; function and class bodies
    do not, except for the names they declare `global`."""
    names: set[str] = set()
    pending: list[tuple[ast.AST, bool]] = [(child, True) for child in ast.iter_child_nodes(tree)]
    while pending:
        node, top = pending.pop()
        if isinstance(node, ast.Global):
            names.update(node.names)
        elif top:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Import):
                names.update((alias.asname or alias.name).partition(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if any(alias.name == "*" for alias in node.names):
                    return None
                names.update(alias.asname or alias.name for alias in node.names)
            elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
                names.add(node.name)
            elif isinstance(node, ast.MatchMapping) and node.rest:
                names.add(node.rest)
            if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
                names.update(_exported(node))
        inner = top and not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda)
        pending.extend((child, inner) for child in ast.iter_child_nodes(node))
    return None if "__getattr__" in names else frozenset(names)


def _exported(node: ast.Assign | ast.AugAssign | ast.AnnAssign) -> list[str]:
    """The names an assignment to `__all__` lists: a module may create them dynamically."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if not any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
        return []
    if not isinstance(node.value, ast.List | ast.Tuple):
        return []
    return [e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]


def _guarded_imports(tree: ast.Module) -> set[int]:
    """ids of the imports inside a `try` that handles their failure: those are optional on purpose."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try | ast.TryStar) and any(_catches_import_failure(h) for h in node.handlers):
            guarded.update(id(inner) for stmt in node.body for inner in ast.walk(stmt)
                           if isinstance(inner, ast.Import | ast.ImportFrom))
    return guarded


def _catches_import_failure(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any((isinstance(c, ast.Name) and c.id in _IMPORT_FAILURES)
               or (isinstance(c, ast.Attribute) and c.attr in _IMPORT_FAILURES) for c in caught)


class _Imports:
    """One call's check of the target's imports against the workspace; caches parsed modules."""

    def __init__(self, workspace: Path, path: str, tree: ast.Module) -> None:
        self.root = workspace.resolve()
        self.tree = tree
        try:
            self.target: Path | None = resolve_in_workspace(self.root, path)
        except PathError:  # a target outside the workspace: its relative imports cannot be resolved
            self.target = None
        src = self.root / "src"
        self.roots: tuple[Path, ...] = (self.root, src) if self._inside(src) and src.is_dir() else (self.root,)
        self.names: dict[Path, frozenset[str] | None] = {}

    def check(self) -> list[Diagnostic]:
        guarded = _guarded_imports(self.tree)
        found: list[Diagnostic] = []
        for node in ast.walk(self.tree):
            if id(node) in guarded:
                continue
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if self._is_workspace(alias.name):
                        self._resolve(alias.name.split("."), None, "", alias, found)
            elif isinstance(node, ast.ImportFrom):
                self._check_from(node, found)
        return found

    def _check_from(self, node: ast.ImportFrom, found: list[Diagnostic]) -> None:
        parts = node.module.split(".") if node.module else []
        if node.level == 0:
            if not self._is_workspace(node.module or ""):
                return
            module = self._resolve(parts, None, "", node, found)
        else:
            base = self._relative_base(node.level)
            if base is None:
                return
            module = self._package_at(base)
            if parts:
                module = self._resolve(parts, module, "." * node.level, node, found)
        if module is None or module.opaque or self._names_of(module) is None:
            return
        for alias in node.names:
            if alias.name != "*" and not self._defines(module, alias.name):
                candidates = sorted((self._names_of(module) or frozenset()) | self._submodules(module))
                found.append(_error(alias, f"{alias.name!r} is not defined in {module.shown}"
                                    + _suggestion(alias.name, candidates)))

    def _resolve(self, parts: list[str], parent: _Module | None, prefix: str, node: ast.AST,
                 found: list[Diagnostic]) -> _Module | None:
        """The module `parts` names inside `parent` (None: at the top level), or None after reporting the
        first part that does not exist."""
        module = parent
        for depth, part in enumerate(parts):
            if module is not None and module.opaque:
                return module
            step = self._find(part, self.roots if module is None else module.folders)
            if step is None:
                name = prefix + ".".join(parts[:depth + 1])
                known = sorted(prefix + ".".join([*parts[:depth], s]) for s in self._submodules(module))
                found.append(_error(node, f"module {name!r} does not exist in the workspace"
                                    + _suggestion(name, known)))
                return None
            module = step
        return module

    def _is_workspace(self, dotted: str) -> bool:
        """Whether the top-level name of `dotted` is a module or package of the workspace."""
        top = dotted.partition(".")[0]
        if not top or top in sys.stdlib_module_names:  # the standard library is never flagged
            return False
        module = self._find(top, self.roots)
        if module is None:
            return False
        # A bare folder is a namespace package only if it holds Python: `data/` or `docs/` are not modules.
        return module.source is not None or module.opaque or any(map(self._holds_python, module.folders))

    def _relative_base(self, level: int) -> Path | None:
        """The package folder a relative import of `level` dots starts from, if inside the workspace."""
        if self.target is None:
            return None
        base = self.target.parent
        for _ in range(level - 1):
            base = base.parent
        return base if base.is_relative_to(self.root) else None

    def _find(self, name: str, folders: tuple[Path, ...]) -> _Module | None:
        """Module `name` as the import system finds it in `folders`: a regular package or a module in the
        first folder that has one, else a namespace package of every folder named so."""
        portions: list[Path] = []
        for folder in folders:
            package = folder / name
            real = self._real(package)
            if real is not None:
                if not self._inside(real):
                    return _Module(shown=self._shown(package), source=None, opaque=True)
                if real.is_dir():
                    if self._real(package / "__init__.py") is not None:
                        return self._module_at(package / "__init__.py", folders=(package,))
                    portions.append(package)
            if self._real(folder / f"{name}.py") is not None:
                return self._module_at(folder / f"{name}.py")
            if any(os.path.lexists(folder / f"{name}{suffix}") for suffix in EXTENSION_SUFFIXES):
                return _Module(shown=self._shown(folder / name), source=None, opaque=True)
        if portions:
            return _Module(shown=self._shown(portions[0]) + "/", source=None, folders=tuple(portions))
        return None

    def _package_at(self, folder: Path) -> _Module:
        init = folder / "__init__.py"
        if self._real(init) is not None:
            return self._module_at(init, folders=(folder,))
        return _Module(shown=self._shown(folder) + "/", source=None, folders=(folder,))

    def _module_at(self, file: Path, folders: tuple[Path, ...] = ()) -> _Module:
        real = Path(os.path.realpath(file))
        if not self._inside(real):  # a symlink leaving the workspace is never followed
            return _Module(shown=self._shown(file), source=None, folders=folders, opaque=True)
        return _Module(shown=self._shown(file), source=real, folders=folders)

    def _defines(self, module: _Module, name: str) -> bool:
        names = self._names_of(module) or frozenset()
        return name in names or bool(module.folders) and self._find(name, module.folders) is not None

    def _names_of(self, module: _Module) -> frozenset[str] | None:
        """The module's top-level names (None: any name goes); parsed once per call."""
        if module.source is None:
            return frozenset()  # a namespace package defines nothing but its submodules
        if module.source not in self.names:
            self.names[module.source] = self._parse(module.source)
        return self.names[module.source]

    def _parse(self, file: Path) -> frozenset[str] | None:
        if file == self.target:  # its new content is the code being checked, not what is on disk
            return _module_names(self.tree)
        try:
            if file.stat().st_size > MAX_MODULE_BYTES:
                return None
            return _module_names(ast.parse(file.read_bytes(), filename=str(file)))
        except (OSError, SyntaxError, ValueError, RecursionError):  # cannot tell what it defines
            return None

    def _submodules(self, module: _Module | None) -> set[str]:
        """Names of the modules and packages in a package's folders (for suggestions)."""
        found: set[str] = set()
        for folder in module.folders if module is not None else ():
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        stem = entry.name.removesuffix(".py")
                        if stem.isidentifier() and (stem != entry.name or entry.is_dir()):
                            found.add(stem)
            except OSError:
                continue
        found.discard("__init__")
        return found

    def _holds_python(self, folder: Path) -> bool:
        """Whether a folder directly holds a .py file or a regular package."""
        try:
            with os.scandir(folder) as entries:
                return any(entry.name.endswith(".py") or os.path.lexists(Path(entry.path) / "__init__.py")
                           for entry in entries)
        except OSError:
            return False

    def _real(self, path: Path) -> Path | None:
        """Where `path` really is when something is there; the target counts even before it is written."""
        real = Path(os.path.realpath(path))
        return real if real == self.target or os.path.lexists(path) else None

    def _inside(self, path: Path) -> bool:
        return Path(os.path.realpath(path)).is_relative_to(self.root)

    def _shown(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


def _error(node: ast.AST, message: str) -> Diagnostic:
    line, column = getattr(node, "lineno", None), getattr(node, "col_offset", None)
    return Diagnostic(severity="error", source="imports", message=message, line=line,
                      column=column + 1 if column is not None else None)


def _suggestion(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""
