"""Config reader: JSON, YAML (several documents), TOML, `.env` and INI.

A file that does not parse still gets a digest (environment references and shaped secrets come from
the raw text), with the parser's line and column in `parse_error`. Values that look secret are
redacted before anything else sees them.
"""

from __future__ import annotations

import configparser
import datetime
import io
import json
import re
import tomllib
from pathlib import PurePath
from typing import Any, Literal

import yaml
from dotenv.parser import parse_stream

from brainloop_tui.core.readers.models import ReaderOutput
from brainloop_tui.core.readers.redact import Redactor, line_of_offset
from brainloop_tui.core.readers.render import TextBudget, one_line, plural
from brainloop_tui.core.readers.structures import ConfigNode, ConfigSetting, ConfigStructure, EnvReference

ConfigFormat = Literal["json", "yaml", "toml", "env", "ini"]

_BY_SUFFIX: dict[str, ConfigFormat] = {
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".toml": "toml",
    ".ini": "ini",
    ".cfg": "ini",
    ".env": "env",
}
_BY_NAME: dict[str, ConfigFormat] = {
    ".env": "env",
    "pipfile": "toml",
    ".editorconfig": "ini",
    ".flake8": "ini",
    ".pylintrc": "ini",
    ".coveragerc": "ini",
}

MAX_TREE_DEPTH = 4  # levels shown in the key tree
MAX_CHILDREN = 40  # entries shown per object
MAX_ARRAY_ITEMS = 3  # items shown per array
MAX_SCANNED_VALUES = 50_000  # values checked for secrets and critical settings
PREVIEW_CHARS = 80

_ENV_SYNTAXES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("${VAR}", re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}")),
    ("$VAR", re.compile(r"(?<![\w$\\])\$([A-Za-z_][A-Za-z0-9_]*)")),
    ("os.environ", re.compile(r"os\.environ(?:\.get)?\s*[\[(]\s*['\"]([A-Za-z_]\w*)")),
    ("os.getenv", re.compile(r"os\.getenv\(\s*['\"]([A-Za-z_]\w*)")),
    ("process.env", re.compile(r"process\.env\.([A-Za-z_]\w*)")),
)

_CRITICAL_KEYS: tuple[tuple[Literal["host", "port", "url", "debug", "path"], re.Pattern[str]], ...] = (
    ("port", re.compile(r"(^|_)port$")),
    ("url", re.compile(r"(^|_)(url|uri|endpoint|dsn)s?$")),
    ("host", re.compile(r"(^|_)(host|hostname|server|bind|address|addr)$")),
    ("debug", re.compile(r"(^|_)(debug|verbose|trace|testing|dev_?mode|development)$")),
    ("path", re.compile(r"(^|_)(path|dir|directory|folder|file|root)$")),
)
_URL_VALUE = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def config_format(name: str) -> ConfigFormat | None:
    """The format a file name says, None when the name says nothing."""
    lower = name.lower()
    if lower.startswith(".env.") or lower in _BY_NAME:
        return _BY_NAME.get(lower, "env")
    return _BY_SUFFIX.get(PurePath(lower).suffix)


def sniff_format(text: str) -> ConfigFormat:
    """For a file whose name says nothing (read_config was asked for it explicitly)."""
    start = text.lstrip()[:1]
    if start in ("{", "["):
        try:
            json.loads(text)
            return "json"
        except ValueError:
            pass
    if re.search(r"(?m)^\s*\[[^\]\n]+\]\s*$", text):
        try:
            tomllib.loads(text)
            return "toml"
        except tomllib.TOMLDecodeError:
            return "ini"
    if re.search(r"(?m)^(export\s+)?[A-Za-z_][A-Za-z0-9_]*=", text):
        return "env"
    return "yaml"


class _Parsed:
    def __init__(self, documents: list[Any], error: str | None = None, warnings: list[str] | None = None) -> None:
        self.documents = documents
        self.error = error
        self.warnings = warnings or []


def _parse(fmt: ConfigFormat, text: str) -> _Parsed:
    """Error messages carry the position, never the offending text (it might be a secret)."""
    if fmt == "json":
        try:
            return _Parsed([json.loads(text)])
        except json.JSONDecodeError as exc:
            return _Parsed([], f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
    if fmt == "yaml":
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            return _Parsed(list(yaml.load_all(text, Loader=loader)))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            return _Parsed([], f"invalid YAML{where}: {getattr(exc, 'problem', None) or exc.__class__.__name__}")
    if fmt == "toml":
        try:
            return _Parsed([tomllib.loads(text)])
        except tomllib.TOMLDecodeError as exc:
            return _Parsed([], f"invalid TOML: {exc}")
    if fmt == "env":
        data, bad = {}, []
        for binding in parse_stream(io.StringIO(text)):
            if binding.error:
                bad.append(binding.original.line)
            elif binding.key is not None:
                data[binding.key] = binding.value
        return _Parsed([data], warnings=[f"line {line}: not a KEY=VALUE line, skipped" for line in bad[:20]])
    return _parse_ini(text)


def _parse_ini(text: str) -> _Parsed:
    parser = configparser.ConfigParser(interpolation=None, strict=False, allow_no_value=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep the keys' case
    try:
        parser.read_string(text)
    except configparser.MissingSectionHeaderError as exc:
        return _Parsed([], f"invalid INI at line {exc.lineno}: a key before any [section] header")
    except configparser.ParsingError as exc:
        lines = ", ".join(str(line) for line, _ in exc.errors[:5])
        return _Parsed([], f"invalid INI at line {lines}: not a key = value line")
    except configparser.Error as exc:
        return _Parsed([], f"invalid INI: {exc.__class__.__name__}")
    defaults = dict(parser.defaults())
    data: dict[str, Any] = {"DEFAULT": defaults} if defaults else {}
    for section in parser.sections():
        data[section] = {k: v for k, v in parser.items(section, raw=True) if k not in defaults or defaults[k] != v}
    return _Parsed([data])


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if value is None:
        return "null"
    if isinstance(value, (datetime.date, datetime.time)):
        return "date"
    return "string"


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


class _Walker:
    """Builds the (limited) key tree and checks every value (unlimited, up to a budget)."""

    def __init__(self, text: str, fmt: ConfigFormat, redactor: Redactor) -> None:
        self.text = text
        self.fmt = fmt
        self.redactor = redactor
        self.key_count = 0
        self.scanned = 0
        self.critical: list[ConfigSetting] = []
        self._lines: dict[str, int | None] = {}

    def line_of(self, key: str) -> int | None:
        """Where a key first appears: good enough to find it, not a parser's exact position."""
        if key not in self._lines:
            name = re.escape(key)
            pattern = rf'"{name}"\s*:' if self.fmt == "json" else rf"(?m)^\s*(export\s+)?[\"']?{name}[\"']?\s*[:=]"
            match = re.search(pattern, self.text)
            self._lines[key] = line_of_offset(self.text, match.start()) if match else None
        return self._lines[key]

    def node(self, key: str, value: Any, path: str, depth: int, shown: bool) -> ConfigNode | None:
        self.scanned += 1
        if self.scanned > MAX_SCANNED_VALUES:
            return None
        if isinstance(value, dict):
            self.key_count += len(value)
            items = [(str(k), v, f"{path}.{k}" if path else str(k)) for k, v in value.items()]
            return self.container(key, "object", items, depth, shown, MAX_CHILDREN)
        if isinstance(value, (list, tuple, set)):
            items = [(f"[{i}]", v, f"{path}[{i}]") for i, v in enumerate(value)]
            return self.container(key, "array", items, depth, shown, MAX_ARRAY_ITEMS)
        display = self.scalar(key, value, path)
        return ConfigNode(key=key, type=_type_of(value), value=one_line(display, PREVIEW_CHARS)) if shown else None

    def container(self, key: str, kind: Literal["object", "array"], items: list[tuple[str, Any, str]], depth: int, shown: bool, breadth: int) -> ConfigNode | None:
        children = []
        for index, (child_key, child, child_path) in enumerate(items):
            child_shown = shown and depth < MAX_TREE_DEPTH and index < breadth
            node = self.node(child_key, child, child_path, depth + 1, child_shown)
            if node is not None:
                children.append(node)
        if not shown:
            return None
        return ConfigNode(key=key, type=kind, size=len(items), children=children, children_omitted=len(items) - len(children))

    def scalar(self, key: str, value: Any, path: str) -> str:
        text = _scalar_text(value)
        if value is None or isinstance(value, bool):
            display = text
        else:
            before = len(self.redactor.findings)
            display = self.redactor.value(key, text, path, None)
            for finding in self.redactor.findings[before:]:
                finding.line = self.line_of(key)
        category = _critical_category(key, text)
        if category:
            self.critical.append(ConfigSetting(key=path, value=one_line(display, 120), category=category, line=self.line_of(key)))
        return display


def _critical_category(key: str, value: str) -> Literal["host", "port", "url", "debug", "path"] | None:
    normalized = key.lower().replace("-", "_").replace(".", "_")
    for category, pattern in _CRITICAL_KEYS:
        if pattern.search(normalized):
            return category
    return "url" if _URL_VALUE.match(value) else None


def env_references(text: str) -> list[EnvReference]:
    found: dict[tuple[str, str, int], EnvReference] = {}
    for syntax, pattern in _ENV_SYNTAXES:
        for match in pattern.finditer(text):
            line = line_of_offset(text, match.start())
            found.setdefault((match.group(1), syntax, line), EnvReference(name=match.group(1), syntax=syntax, line=line))
    return sorted(found.values(), key=lambda ref: (ref.line, ref.name))


def read_config(text: str, rel_path: str, redactor: Redactor) -> ReaderOutput:
    fmt = config_format(PurePath(rel_path).name) or sniff_format(text)
    parsed = _parse(fmt, text)
    walker = _Walker(text, fmt, redactor)
    if len(parsed.documents) == 1:
        root = walker.node("(document)", parsed.documents[0], "", 0, True)
    else:
        root = walker.container("", "array", [(f"doc {i + 1}", doc, f"doc{i + 1}") for i, doc in enumerate(parsed.documents)], -1, True, MAX_CHILDREN)
    redactor.text(text)  # shaped secrets anywhere else: comments, unparsed files
    warnings = ([parsed.error] if parsed.error else []) + parsed.warnings
    if walker.scanned > MAX_SCANNED_VALUES:
        warnings.append(f"only the first {MAX_SCANNED_VALUES:,} values were checked for secrets and critical settings")
    tree = root.children if root is not None and root.type in ("object", "array") else ([root] if root else [])
    structure = ConfigStructure(
        format=fmt,
        documents=len(parsed.documents),
        parse_error=parsed.error,
        tree=tree,
        tree_omitted=root.children_omitted if root is not None and tree is root.children else 0,
        key_count=walker.key_count,
        critical=walker.critical,
        env_references=env_references(text),
        secrets=redactor.findings,
    )
    return ReaderOutput(
        structure=structure,
        headline=_headline(structure),
        symbols=[node.key for node in tree][:30],
        text=render(structure),
        warnings=warnings,
    )


def _headline(structure: ConfigStructure) -> str:
    if structure.parse_error:
        return one_line(f"{structure.format.upper()} config that does not parse: {structure.parse_error}", 100)
    documents = f", {plural(structure.documents, 'document')}" if structure.documents > 1 else ""
    top = ", ".join(node.key for node in structure.tree[:6])
    secrets = f"; {plural(len(structure.secrets), 'secret')} redacted" if structure.secrets else ""
    return one_line(f"{structure.format.upper()} config{documents}, {plural(structure.key_count, 'key')}: {top}{secrets}", 100)


def _render_node(budget: TextBudget, node: ConfigNode, depth: int) -> None:
    indent = "  " * depth
    if node.type in ("object", "array"):
        more = f", {node.children_omitted} not shown" if node.children_omitted else ""
        budget.add(f"{indent}{node.key}: {node.type} ({node.size}{more})")
        for child in node.children:
            _render_node(budget, child, depth + 1)
    else:
        budget.add(f"{indent}{node.key}: {node.value}")


def render(structure: ConfigStructure) -> str:
    budget = TextBudget()
    budget.add(
        f"config {structure.format}: {plural(structure.documents, 'document')}, {plural(structure.key_count, 'key')}"
        + (f"; {structure.parse_error}" if structure.parse_error else "")
    )
    for setting in structure.critical[:30]:
        budget.add(f"critical {setting.category}: {setting.key} = {setting.value}")
    if structure.env_references:
        names = sorted({f"{ref.name}" for ref in structure.env_references})
        budget.add("environment: " + one_line(", ".join(names), 400))
    for finding in structure.secrets[:30]:
        budget.add(f"secret ({finding.reason}) at {finding.location}: redacted, sha256 {finding.fingerprint}")
    for node in structure.tree:
        _render_node(budget, node, 0)
    if structure.tree_omitted:
        budget.add(f"… {plural(structure.tree_omitted, 'more top-level entry', 'more top-level entries')} not listed")
    return budget.render()
