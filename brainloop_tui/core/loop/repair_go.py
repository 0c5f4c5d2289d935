"""Repairs made to a Go answer before it is checked: its imports, then its layout (gofmt's, which is every
Go project's). Go refuses to build a file that imports a package it does not use, and a small model
shown a project that logs with a context in every call imports `context`, `fmt` and `errors` out of
habit, then writes a function that uses none of them; or it calls `unicode.IsLetter` and imports only `strings`. Either way `go vet` fails on the first line and
the refine that follows rarely fixes it. The imports are fixed here instead, and said so.

Only what is certain is changed. An import is removed when the name it binds (its alias, or the last
element of a standard-library path) is never the head of a selector in the code (a package can be used
in no other way). One is added when a name is used only as the head of selectors of exported names and
is the name of exactly one standard-library package; a name declared in the file (a variable, a
parameter, a field) appears in other forms too and is left to the compiler."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache

from brainloop_tui.core.loop.validators import Diagnostic, run_gofmt

GO_LIST_TIMEOUT_S = 30
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_LITERAL = re.compile(r"\"(?:\\.|[^\"\\\n])*\"|`[^`]*`|'(?:\\.|[^'\\\n])*'")
_IMPORT_DECL = re.compile(r"^import[ \t]*(?:\((?P<block>.*?)\)|(?P<single>[^\n]*))", re.S | re.M)
_SPEC = re.compile(r"(?:(?P<alias>[A-Za-z_]\w*|\.)[ \t]+)?\"(?P<path>[^\"]+)\"")
_PACKAGE_CLAUSE = re.compile(r"^package[ \t]+\w+[^\n]*\n?", re.M)
_VERSION = re.compile(r"v\d+")


@dataclass(frozen=True)
class _Spec:
    name: str | None  # the name the import binds; None when it cannot be known from the path alone
    path: str
    start: int  # the span of the spec's whole line(s) in the code
    end: int


def repair_go(code: str) -> tuple[str, list[Diagnostic]]:
    """`code` with its imports fixed and formatted by gofmt, with an info diagnostic per change."""
    code, diagnostics = fix_go_imports(code)
    formatted = _gofmt(code)
    if formatted is not None and formatted != code:
        code = formatted
        diagnostics.append(Diagnostic(severity="info", source="gofmt", message="formatted with gofmt"))
    return code, diagnostics


def _gofmt(code: str) -> str | None:
    """`code` as gofmt lays it out; None when it does not parse (the check says why) or gofmt is missing."""
    try:
        result = run_gofmt(code)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout if result is not None and result.returncode == 0 else None


def fix_go_imports(code: str) -> tuple[str, list[Diagnostic]]:
    """`code` without the standard-library (or aliased) imports it does not use and with those of the
    standard library it uses without importing, and an info diagnostic per change. Code without a
    package clause comes back unchanged; without go installed nothing is added (the standard library's
    package names are go's to tell)."""
    masked = _COMMENT.sub(_blank, code)
    package = _PACKAGE_CLAUSE.search(masked)
    if package is None:
        return code, []
    decls = list(_IMPORT_DECL.finditer(masked, package.end()))
    body_start = decls[-1].end() if decls else package.end()
    body = _LITERAL.sub(_blank, masked[body_start:])
    heads = _selector_heads(body)
    specs = [spec for decl in decls for spec in _specs(masked, decl)]
    unused = [spec for spec in specs if spec.name is not None and spec.name not in heads]
    bound = {spec.name for spec in specs if spec.name is not None} | {_default_name(s.path) for s in specs}
    missing = sorted({name for name in heads - bound if _only_selectors(body, name)} & set(_unique_packages()))
    if not unused and not missing:
        return code, []
    repaired = _remove(code, masked, decls, unused)
    paths = [_unique_packages()[name] for name in missing]
    repaired = _add(repaired, paths)
    diagnostics = [Diagnostic(severity="info", source="imports",
                              message=f'removed the import of "{spec.path}": the code does not use it')
                   for spec in unused]
    diagnostics += [Diagnostic(severity="info", source="imports", line=_line_of(repaired, f'"{path}"'),
                               message=f'added the import of "{path}": the code used `{name}` without importing it')
                    for name, path in zip(missing, paths, strict=True)]
    return repaired, diagnostics


def _blank(match: re.Match[str]) -> str:
    """The match as spaces, its newlines kept: offsets and line numbers stay those of the code."""
    return re.sub(r"[^\n]", " ", match.group())


def _selector_heads(body: str) -> set[str]:
    """The names `x` of every `x.Y` that is not itself a selector's tail (`a.x.Y`)."""
    return {m.group(1) for m in re.finditer(r"(?<![\w.])([A-Za-z_]\w*)[ \t]*\.[ \t]*[A-Za-z_]", body)}


def _only_selectors(body: str, name: str) -> bool:
    """Whether every use of `name` is `name.Exported`: a package's way, and nothing declared's."""
    uses = list(re.finditer(rf"(?<![\w.]){re.escape(name)}\b", body))
    return bool(uses) and all(re.match(r"[ \t]*\.[ \t]*[A-Z]", body[m.end():]) for m in uses)


def _specs(masked: str, decl: re.Match[str]) -> list[_Spec]:
    group = "block" if decl.group("block") is not None else "single"
    if group == "single":
        found = _SPEC.search(decl.group("single"))
        if found is None:
            return []
        return [_spec(found, decl.start(), _line_end(masked, decl.end()))]
    specs = []
    for found in _SPEC.finditer(decl.group("block")):
        at = decl.start("block") + found.start()
        specs.append(_spec(found, masked.rfind("\n", 0, at) + 1, _line_end(masked, decl.start("block") + found.end())))
    return specs


def _spec(found: re.Match[str], start: int, end: int) -> _Spec:
    alias, path = found.group("alias"), found.group("path")
    if alias in {".", "_"}:
        name = None  # a dot or blank import binds no name a selector shows
    elif alias:
        name = alias
    else:
        name = _default_name(path) if _is_standard(path) else None
    return _Spec(name=name, path=path, start=start, end=end)


def _line_end(text: str, at: int) -> int:
    end = text.find("\n", at)
    return len(text) if end < 0 else end + 1


def _default_name(path: str) -> str:
    """The name a standard-library import binds: its last element (`math/rand/v2` binds `rand`)."""
    parts = path.split("/")
    return parts[-2] if len(parts) > 1 and _VERSION.fullmatch(parts[-1]) else parts[-1]


def _is_standard(path: str) -> bool:
    return "." not in path.split("/")[0] and path != "C"


def _remove(code: str, masked: str, decls: list[re.Match[str]], unused: list[_Spec]) -> str:
    """`code` without the lines of `unused`, and without an import block left empty by that."""
    cuts = [(spec.start, spec.end) for spec in unused]
    for decl in decls:
        inside = [s for s in unused if decl.start() <= s.start < decl.end()]
        if inside and len(inside) == len(_specs(masked, decl)):
            cuts = [c for c in cuts if not decl.start() <= c[0] < decl.end()]
            cuts.append((decl.start(), _line_end(masked, decl.end() - 1)))
    for start, end in sorted(cuts, reverse=True):
        code = code[:start] + code[end:]
    return re.sub(r"\n{3,}", "\n\n", code)


def _add(code: str, paths: list[str]) -> str:
    """`code` with `paths` imported: sorted into the standard library's group of its first import block
    (a group of their own before the first when that one is not the standard library's), else in a block
    of their own after the package clause."""
    if not paths:
        return code
    masked = _COMMENT.sub(_blank, code)
    decl = next((d for d in _IMPORT_DECL.finditer(masked) if d.group("block") is not None), None)
    if decl is None:
        package = _PACKAGE_CLAUSE.search(masked)
        at = package.end() if package else 0
        return code[:at] + "\nimport (\n" + "".join(f'\t"{path}"\n' for path in paths) + ")\n" + code[at:]
    lines = code[decl.start("block"):decl.end("block")].split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if not filled:  # `import ()`
        lines = ["", *(f'\t"{path}"' for path in paths), ""]
    else:
        start = end = filled[0]
        while end < len(lines) and lines[end].strip():
            end += 1
        indent = lines[start][:len(lines[start]) - len(lines[start].lstrip())]
        added = [f'{indent}"{path}"' for path in paths]
        first = _SPEC.search(lines[start])
        if first is not None and _is_standard(first.group("path")):
            lines[start:end] = sorted([*lines[start:end], *added], key=_path_of)
        else:
            lines[start:start] = [*added, ""]
    return code[:decl.start("block")] + "\n".join(lines) + code[decl.end("block"):]


def _path_of(line: str) -> str:
    found = _SPEC.search(line)
    return found.group("path") if found else line.strip()


def _line_of(code: str, text: str) -> int | None:
    at = code.find(text)
    return None if at < 0 else code.count("\n", 0, at) + 1


@cache
def _unique_packages() -> dict[str, str]:
    """name -> path of each public standard-library package whose name no other one has (so not `rand`:
    math/rand and crypto/rand); empty when go is not installed."""
    go = shutil.which("go")
    if go is None:
        return {}
    try:
        listed = subprocess.run([go, "list", "std"], capture_output=True, text=True, timeout=GO_LIST_TIMEOUT_S,
                                env={**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": ""}, check=True)
    except (OSError, subprocess.SubprocessError):
        return {}
    paths = [p for p in listed.stdout.split() if not {"internal", "vendor"} & set(p.split("/"))]
    by_name: dict[str, list[str]] = {}
    for path in paths:
        by_name.setdefault(_default_name(path), []).append(path)
    return {name: found[0] for name, found in by_name.items() if len(found) == 1}
