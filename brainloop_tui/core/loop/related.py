"""The workspace files a generation target relates to, most relevant first, so that its prompt is grounded in them.

Pure and synchronous: everything comes from a map of the workspace's source files to what they import
(built once with `python_imports`, or by a Go reader), so the caller can feed it from a stored index.
Paths are searched at C speed in one text of them all, and only the import graph looks at every entry:
an index of 20,000 files takes well under 50 ms.

Ranks (a file appears once, with the best of its reasons):

0. named in the prompt (in the order the prompt names them), then imported by the target (import order);
1. tests of the target and the files that import it (by path);
2. the target's siblings in its package or folder (by path; tests of other files last);
3. files whose name shares a word with the target's (most shared words first, then by path).

Python module names follow the file layout: `a/b/c.py` is `a.b.c`, `a/b/__init__.py` is `a.b`, and a
top-level `src/` folder is not part of the name (`src/pkg/m.py` is `pkg.m`). For Go, go.mod is taken to be
at the workspace root: with `module example.com/m`, the import `example.com/m/internal/store` is the folder
`internal/store`. Without a module path, Go imports relate nothing.

The prompt names a file by its path, by the end of its path with an extension (`models.py`,
`shop/models.py`: the nearest to the target of the files it fits), or by a dotted module (`shop.cart`,
`shop.cart.total`); paths with spaces or commas count when written whole.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter

from brainloop_tui.core.loop.testfiles import is_test_file, names_of_tests

PYTHON_SUFFIXES = (".py", ".pyi")
GO_SUFFIX = ".go"
GO_TEST_SUFFIX = "_test.go"
SOURCE_ROOT = "src"  # the src/ layout: this top-level folder is not part of a module name
DEFAULT_LIMIT = 12

NAMED = "named in the prompt"
IMPORTED = "imported by the target"
TEST = "test of the target"
IMPORTER = "imports the target"
SAME_PACKAGE = "same package"
SAME_FOLDER = "same folder"
SIMILAR_NAME = "name like the target"

# Words that every test, package entry point or index file carries: sharing them says nothing.
_COMMON_WORDS = frozenset({"test", "tests", "spec", "init", "main", "index"})
# What can surround a file or module name in prose: `shop/cart.py`, (models.py), shop.cart.
_LEADING_PUNCTUATION = "([{<'\"`"
_TRAILING_PUNCTUATION = ")]}>'\"`.,;:!?("
_PROMPT_TOKEN = re.compile(r"[^\s,]+")
_LINE_NUMBER = re.compile(r":\d+(?::\d+)?$")  # shop/cart.py:12 names shop/cart.py
_NAME_PART = re.compile(r"[^\W_]+")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# A word of a file stem starts after a non-letter, or in camel case at an uppercase letter after a
# lowercase one or after an acronym (HTTPServer); it ends before anything but a lowercase letter or digit.
_WORD_START = r"(?:(?<![^\W_])|(?<=[^\W_A-Z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z]))"
_WORD_END = r"(?![^\W_A-Z])"
_IMPORTS_OF = attrgetter("imports")
_GO_MODULE_DIRECTIVE = re.compile(r"module(?:\s+|(?=\())(.*)")


@dataclass(frozen=True)
class FileImports:
    """What the index knows of one source file.

    `imports`: for Python the absolute dotted modules it imports (see `python_imports`), for Go the
    import paths as written; other languages leave it empty.
    """

    language: str  # "python", "go" or any other language name
    imports: tuple[str, ...] = ()


@dataclass(frozen=True)
class Related:
    """One file worth showing with the target, and why."""

    path: str  # workspace-relative, posix
    reason: str  # short, for people: "imports the target"
    rank: int  # 0 = most relevant group; ties keep the order given


def module_name(path: str) -> str:
    """The dotted Python module of a file: `a/b/c.py` → a.b.c, `a/b/__init__.py` → a.b, `src/p/m.py` → p.m."""
    parts = path.split("/")
    if parts[0] == SOURCE_ROOT and len(parts) > 1:
        parts = parts[1:]
    stem = parts[-1]
    for suffix in PYTHON_SUFFIXES:
        stem = stem.removesuffix(suffix)
    parts[-1] = stem
    if stem == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def python_imports(tree_or_source: ast.Module | str, path: str) -> list[str]:
    """The absolute dotted modules a Python file imports, in source order, without repeats.

    `import a.b` gives a.b; `from a.b import c` gives a.b and a.b.c (c may be a submodule). Relative
    imports are resolved from the package of `path` (workspace-relative), so `from ..util import y` in
    `pkg/sub/m.py` gives pkg.util and pkg.util.y; one that climbs above the top package is left out.
    Imports inside functions, classes and `if`/`try` blocks count. Source that does not parse gives [].
    """
    if isinstance(tree_or_source, str):
        try:
            tree = ast.parse(tree_or_source)
        except (SyntaxError, ValueError):  # ValueError: a NUL byte in the source
            return []
    else:
        tree = tree_or_source
    parts = module_name(path).split(".")
    is_package = path.rpartition("/")[2] in {f"__init__{suffix}" for suffix in PYTHON_SUFFIXES}
    package = parts if is_package else parts[:-1]
    found: dict[str, None] = {}  # ordered, without repeats
    for node in _import_statements(tree.body):
        if isinstance(node, ast.Import):
            found.update((alias.name, None) for alias in node.names)
            continue
        base = _absolute_base(node, package)
        if base is None or base == "__future__":  # a compiler directive, never a workspace file
            continue
        found[base] = None
        found.update((f"{base}.{alias.name}", None) for alias in node.names if alias.name != "*")
    return list(found)


def _absolute_base(node: ast.ImportFrom, package: list[str]) -> str | None:
    """The absolute module a `from … import` reads from, or None when a relative one climbs too high."""
    if node.level == 0:
        return node.module
    kept = len(package) - (node.level - 1)
    if kept < 1:
        return None
    parts = [*package[:kept], *([node.module] if node.module else [])]
    return ".".join(parts)


def _import_statements(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements in source order; only statement lists are walked, since imports appear nowhere else."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
            continue
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                yield from _import_statements(inner)
        for handler in getattr(node, "handlers", ()):
            yield from _import_statements(handler.body)
        for case in getattr(node, "cases", ()):
            yield from _import_statements(case.body)


def go_module_of(go_mod_text: str) -> str | None:
    """The module path a go.mod declares (`module example.com/m`, quoted or in parentheses), or None."""
    lines = [line.split("//", 1)[0].strip() for line in go_mod_text.splitlines()]
    for index, line in enumerate(lines):
        directive = _GO_MODULE_DIRECTIVE.fullmatch(line)
        if directive is None:
            continue
        written = directive.group(1).strip()
        if written == "(":
            written = next((later for later in lines[index + 1 :] if later), "")
        written = written.strip("\"`")
        return written if written and written != ")" else None
    return None


def related_files(
    target: str,
    prompt: str,
    files: Mapping[str, FileImports],
    *,
    go_module: str | None = None,
    target_imports: Sequence[str] | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[Related]:
    """The files `target` relates to, most relevant first, at most `limit` of them (see the module doc).

    `files` maps every source file the index knows (workspace-relative, posix) to its imports; the
    target need not be in it (a new file). `target_imports` are the imports of its current content, or
    guesses for a new file, or None. `go_module` is the module path of the workspace's go.mod.
    """
    if limit < 0:
        raise ValueError(f"limit must be at least 0 (got {limit})")
    if limit == 0:
        return []
    entry = files.get(target)
    folder, _, name = target.rpartition("/")
    language = entry.language if entry is not None else _language_of(name)
    imports = list(target_imports or ())
    index = _PathIndex(files)
    own = _Target(target, folder, name, language, go_module)
    # Each group is only worked out once the groups before it left room.
    groups: list[Callable[[], list[tuple[str, str]]]] = [
        lambda: [*_named(prompt, index, folder), *_imported(own, imports, index)],
        lambda: _tests_and_importers(own, index),
        lambda: _siblings(own, index),
        lambda: _similar(own, index),
    ]
    related: list[Related] = []
    seen = {target}
    for rank, group in enumerate(groups):
        for path, reason in group():
            if path in seen:
                continue
            seen.add(path)
            related.append(Related(path, reason, rank))
            if len(related) == limit:
                return related
    return related


class _PathIndex:
    """The index with all its paths in one newline-framed text, searched with `str.find`.

    A handful of C-level searches over that text replace a Python loop over 20,000 paths for everything
    decided by path alone (folders, names, tests); only the import graph looks at each entry. A path
    holding a newline splits into lines that are no path of the index and is never found by path.
    """

    def __init__(self, files: Mapping[str, FileImports]) -> None:
        self.files = files
        self.text = "\n" + "\n".join(files) + "\n"

    def lines_containing(self, needle: str) -> list[str]:
        """The paths that contain `needle`, where a newline in it stands for the start or end of a path."""
        text, start = self.text, 0
        found: list[str] = []
        while (hit := text.find(needle, start)) != -1:
            line_start = text.rfind("\n", 0, hit + 1) + 1  # a needle's leading newline is the one before the path
            start = text.find("\n", line_start)
            line = text[line_start:start]
            if line in self.files:
                found.append(line)
        return found

    def in_folder(self, folder: str) -> list[str]:
        """The paths directly inside `folder` ('' for the workspace root)."""
        if not folder:
            return [path for path in self.files if "/" not in path]
        inside = len(folder) + 1
        return [path for path in self.lines_containing(f"\n{folder}/") if "/" not in path[inside:]]


class _Target:
    """What the groups need to know of the target, worked out once."""

    def __init__(self, path: str, folder: str, name: str, language: str, go_module: str | None) -> None:
        self.folder = folder
        self.language = language
        self.go_module = go_module
        stem, extension = _split_name(name)
        is_package = language == "python" and stem == "__init__"
        if is_package and folder:
            stem = folder.rpartition("/")[2]  # a package is known by its folder's name
        self.test_names = tuple(sorted(names_of_tests(f"{stem}{extension}")))
        self.words = _name_words(stem)
        self.module = module_name(path) if language == "python" else ""
        # A plain module needs no prefix: whatever imports a name from it imports the module too (see
        # python_imports); names under a package are its own modules.
        self.under_module = f"{self.module}." if self.module and is_package else ""
        self.go_package = ""
        if go_module and language == "go":
            self.go_package = f"{go_module}/{folder}" if folder else go_module


def _language_of(name: str) -> str:
    if name.endswith(PYTHON_SUFFIXES):
        return "python"
    if name.endswith(GO_SUFFIX):
        return "go"
    return "other"


def _split_name(name: str) -> tuple[str, str]:
    """`cart.py` → (cart, .py); a name without a dot, or a dot file, has no extension."""
    stem, dot, extension = name.rpartition(".")
    return (stem, dot + extension) if stem else (name, "")


def _name_words(stem: str) -> set[str]:
    """The lowercase words of a file stem: `UserStore`, `user_store` and `user-store` → {user, store}."""
    words = set()
    for part in _NAME_PART.findall(stem):
        words.update(word.lower() for word in _CAMEL_BOUNDARY.split(part))
    return {word for word in words if len(word) > 1 and not word.isdigit() and word not in _COMMON_WORDS}


def _python_module_paths(dotted: str) -> list[str]:
    """The files a dotted module can be: a module or a package, in the plain or the src/ layout."""
    base = dotted.replace(".", "/")
    shapes = [f"{base}{suffix}" for suffix in PYTHON_SUFFIXES]
    shapes += [f"{base}/__init__{suffix}" for suffix in PYTHON_SUFFIXES]
    return [*shapes, *(f"{SOURCE_ROOT}/{shape}" for shape in shapes)]


def _go_folder(import_path: str, go_module: str) -> str | None:
    """The workspace folder of a Go import path inside the module, or None for another module's package."""
    if import_path == go_module:
        return ""
    if import_path.startswith(f"{go_module}/"):
        return import_path[len(go_module) + 1 :]
    return None


def _prompt_tokens(prompt: str) -> dict[str, int]:
    """Each word of the prompt that could name a file or module, with where it first appears.

    A word is kept as written and without the punctuation prose puts around it, a line number
    (`:12`) or a leading `./`, since a file's own name may well contain brackets or dots.
    """
    tokens: dict[str, int] = {}
    for match in _PROMPT_TOKEN.finditer(prompt):
        written = match.group()
        stripped = written.lstrip(_LEADING_PUNCTUATION).rstrip(_TRAILING_PUNCTUATION)
        unnumbered = _LINE_NUMBER.sub("", stripped)
        for variant in (written, stripped, unnumbered, unnumbered.removeprefix("./")):
            if variant:
                tokens.setdefault(variant, match.start())
    return tokens


def _shared_folder_depth(path: str, folder: str) -> int:
    """How many leading folders `path` shares with `folder`: nearness to the target."""
    shared = 0
    for mine, theirs in zip(path.split("/")[:-1], folder.split("/") if folder else []):
        if mine != theirs:
            break
        shared += 1
    return shared


def _named(prompt: str, index: _PathIndex, target_folder: str) -> list[tuple[str, str]]:
    """Files the prompt names, in the order it names them: by path, by the end of a path, by module."""
    found: list[tuple[int, str]] = []
    for token, position in _prompt_tokens(prompt).items():
        if token in index.files:
            found.append((position, token))
            continue
        if "." in token:  # a file name (models.py) or its last folders (shop/models.py)
            ends = index.lines_containing(f"/{token}\n")
            if ends:
                # A name several files end with means the nearest of them to the target.
                nearest = max(_shared_folder_depth(path, target_folder) for path in ends)
                found += [(position, path) for path in ends if _shared_folder_depth(path, target_folder) == nearest]
        found += [(position, path) for path in _named_module_paths(token, index.files)]
    # No prompt word holds a path with a space or a comma: such paths are looked for whole.
    for separator in (" ", "\t", ","):
        for path in index.lines_containing(separator):
            if path in prompt:
                match = re.search(rf"(?<![\w/.]){re.escape(path)}(?![\w/])", prompt)
                if match:
                    found.append((match.start(), path))
    return [(path, NAMED) for _, path in sorted(found)]


def _named_module_paths(token: str, files: Mapping[str, FileImports]) -> list[str]:
    """The files a dotted Python name in the prompt stands for: `shop.cart`, or `shop.cart.total` inside it."""
    parts = token.split(".")
    if len(parts) < 2 or not all(part.isidentifier() for part in parts):
        return []
    for dotted in (token, ".".join(parts[:-1]) if len(parts) > 2 else None):
        if dotted is not None:
            found = [path for path in _python_module_paths(dotted) if path in files]
            if found:
                return found
    return []


def _imported(own: _Target, imports: list[str], index: _PathIndex) -> list[tuple[str, str]]:
    """The files the target imports, in import order; for Go the files of each imported workspace package."""
    if own.language == "python":
        return [(path, IMPORTED) for dotted in imports for path in _python_module_paths(dotted) if path in index.files]
    if own.language != "go" or not own.go_module:
        return []
    found: list[tuple[str, str]] = []
    for written in imports:
        folder = _go_folder(written, own.go_module)
        if folder is not None:
            package = [path for path in index.in_folder(folder) if path.endswith(GO_SUFFIX)]
            # A package's _test.go files are not compiled into what its importers get.
            found += [(path, IMPORTED) for path in sorted(package) if not path.endswith(GO_TEST_SUFFIX)]
    return found


def _tests_and_importers(own: _Target, index: _PathIndex) -> list[tuple[str, str]]:
    files = index.files
    if own.language == "go":  # Go tests live in their package's folder
        tests = [path for path in (f"{own.folder}/{name}" if own.folder else name for name in own.test_names)
                 if path in files]
    else:
        tests = [path for name in own.test_names for path in index.lines_containing(f"{name}\n")
                 if path == name or path.endswith(f"/{name}")]
    reasons = dict.fromkeys(_importers(own, files), IMPORTER)
    reasons.update(dict.fromkeys(tests, TEST))  # a test that imports the target is its test first
    return sorted(reasons.items())


def _importers(own: _Target, files: Mapping[str, FileImports]) -> list[str]:
    """The files that import the target: the one look at every entry of the index, kept to C-level work."""
    if own.go_package:
        package, folder = own.go_package, own.folder
        return [
            path for path, info in files.items()
            if package in info.imports and info.language == "go" and path.rpartition("/")[0] != folder
        ]
    if not own.module:
        return []
    module, under = own.module, own.under_module
    importers = [path for path, info in files.items() if module in info.imports and info.language == "python"]
    if under:
        # Names under a package: each file's imports joined into one text, where a C search finds the prefix
        # (faster than a startswith per import).
        joined_imports = map("\n".join, map(_IMPORTS_OF, files.values()))
        after_newline = f"\n{under}"
        importers += [
            path for (path, info), joined in zip(files.items(), joined_imports)
            if (joined.startswith(under) or after_newline in joined) and info.language == "python"
        ]
    return importers


def _siblings(own: _Target, index: _PathIndex) -> list[tuple[str, str]]:
    reason = SAME_PACKAGE if own.language in {"python", "go"} else SAME_FOLDER
    ordered = sorted(index.in_folder(own.folder), key=lambda path: (is_test_file(path), path))
    return [(path, reason) for path in ordered]


def _similar(own: _Target, index: _PathIndex) -> list[tuple[str, str]]:
    """Files whose stem shares a word with the target's, most shared words first."""
    if not own.words:
        return []
    spellings = {spelling for word in own.words for spelling in (word, word.capitalize(), word.upper())}
    whole_words = re.compile(rf"{_WORD_START}(?:{'|'.join(map(re.escape, sorted(spellings)))}){_WORD_END}")
    # Finding the spellings anywhere is fast; the few paths found are then read word by word.
    candidates = dict.fromkeys(path for spelling in spellings for path in index.lines_containing(spelling))
    shared_by_name: dict[str, int] = {}  # names repeat across folders (models.py, utils.go): count once
    ranked: list[tuple[int, str]] = []
    for path in candidates:
        name = path.rpartition("/")[2]
        shared = shared_by_name.get(name)
        if shared is None:
            stem = _split_name(name)[0]
            shared = shared_by_name[name] = len(set(map(str.lower, whole_words.findall(stem))))
        if shared:  # a spelling may have been found in a folder, inside a longer word or in the extension
            ranked.append((-shared, path))
    return [(path, SIMILAR_NAME) for _, path in sorted(ranked)]
