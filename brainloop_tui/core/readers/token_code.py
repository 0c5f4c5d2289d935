"""Languages read through pygments tokens: Go, JavaScript/TypeScript, SQL, Rust, Java, Python that does
not parse, and a generic fallback (pygments' Name.Function / Name.Class) for everything else.

Tokens are not a parser: names come from declaration keywords and brace depth, which is right for
ordinary code and may miss declarations built by macros or unusual formatting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pygments.lexer import Lexer
from pygments.token import Comment, Name, Operator, Punctuation, String, _TokenType

from brainloop_tui.core.readers.render import one_line, split_lines
from brainloop_tui.core.readers.structures import CodeFunction, CodeType, LineCounts

# Preprocessor lines (#include, #define) are code even though pygments files them under Comment.
_CODE_COMMENTS = (Comment.Preproc, Comment.PreprocFile, Comment.Hashbang)


@dataclass(frozen=True)
class Tok:
    kind: _TokenType
    value: str
    line: int


def _is_comment(kind: _TokenType) -> bool:
    return (kind in Comment and not any(kind in code for code in _CODE_COMMENTS)) or kind in String.Doc


def tokenize(lexer: Lexer, text: str) -> tuple[list[Tok], LineCounts]:
    """The significant tokens (no whitespace, no comments) with their lines, and the line counts."""
    lines = split_lines(text)
    code = bytearray(len(lines) + 2)
    comment = bytearray(len(lines) + 2)
    tokens: list[Tok] = []
    line = 1
    for kind, value in lexer.get_tokens(text):
        breaks = value.count("\n")
        if value.strip():
            start = line + value[: len(value) - len(value.lstrip())].count("\n")
            end = line + breaks - value[len(value.rstrip()) :].count("\n")
            flags = comment if _is_comment(kind) else code
            flags[start : end + 1] = b"\x01" * (end + 1 - start)
            if flags is code:
                tokens.append(Tok(kind, value.strip(), start))
        line += breaks
    code_lines = sum(code[1 : len(lines) + 1])
    comment_lines = sum(1 for number in range(1, len(lines) + 1) if comment[number] and not code[number])
    # Every visible character belongs to a token that marked its line: an unmarked line is blank.
    return tokens, LineCounts(
        total=len(lines), code=code_lines, comment=comment_lines, blank=len(lines) - code_lines - comment_lines
    )


@dataclass
class TokenFindings:
    module: str | None = None
    imports: list[str] = field(default_factory=list)
    functions: list[CodeFunction] = field(default_factory=list)
    types: list[CodeType] = field(default_factory=list)
    function_count: int = 0
    class_count: int = 0


class _Scan:
    """Shared state of one language scan: tokens, brace depth, findings."""

    def __init__(self, tokens: list[Tok], lines: list[str]) -> None:
        self.tokens = tokens
        self.lines = lines
        self.found = TokenFindings()
        # Brace depth before each token (braces inside strings are not punctuation tokens).
        self.depth: list[int] = []
        depth = 0
        for token in tokens:
            self.depth.append(depth)
            if token.kind in Punctuation or token.kind in Operator:
                depth += token.value.count("{") - token.value.count("}")

    def value(self, index: int) -> str:
        return self.tokens[index].value if 0 <= index < len(self.tokens) else ""

    def closing(self, index: int, opening: str = "(", closing: str = ")") -> int:
        """Index of the bracket matching the one at `index`."""
        level = 0
        for position in range(index, len(self.tokens)):
            value = self.tokens[position].value
            level += value.count(opening) - value.count(closing)
            if level <= 0:
                return position
        return len(self.tokens) - 1

    def signature(self, line: int) -> str:
        """The declaration's line up to its body: the first "{" outside parentheses."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        depth = 0
        for position, char in enumerate(text):
            depth += (char in "([<") - (char in ")]>")
            if char == "{" and depth <= 0:
                text = text[:position]
                break
        return one_line(text.strip(), 160)

    def function(self, name: str, line: int, owner: CodeType | None = None, *, is_async: bool = False) -> CodeFunction:
        self.found.function_count += 1
        function = CodeFunction(name=name, signature=self.signature(line), line=line, is_async=is_async)
        (owner.methods if owner is not None else self.found.functions).append(function)
        return function

    def type(self, name: str, kind: str, line: int) -> CodeType:
        self.found.class_count += 1
        declared = CodeType(name=name, kind=kind, line=line)
        self.found.types.append(declared)
        return declared

    def add_import(self, name: str) -> None:
        name = name.strip("\"'`")
        if name and name not in self.found.imports:
            self.found.imports.append(name)


class _Bodies:
    """Declarations whose `{ … }` body encloses the current token: classes, impls, traits."""

    def __init__(self, scan: _Scan) -> None:
        self.scan = scan
        self.open: list[tuple[CodeType, int, int]] = []  # (owner, index of its "{", depth inside)

    def push(self, owner: CodeType, index: int) -> None:
        """`owner` declared at `index`: its body is the next "{" (none before a ";": no body)."""
        tokens = self.scan.tokens
        for position in range(index, len(tokens)):
            token = tokens[position]
            if token.kind in Punctuation or token.kind in Operator:
                if "{" in token.value:
                    self.open.append((owner, position, self.scan.depth[position] + 1))
                    return
                if ";" in token.value:
                    return

    def owner(self, index: int) -> CodeType | None:
        """The declaration whose body directly holds the token at `index`."""
        depth = self.scan.depth[index]
        while self.open and index > self.open[-1][1] and depth < self.open[-1][2]:
            self.open.pop()
        if self.open and index > self.open[-1][1] and depth == self.open[-1][2]:
            return self.open[-1][0]
        return None


def _scan_go(scan: _Scan) -> None:
    receivers: list[tuple[str, CodeFunction]] = []
    for index, token in enumerate(scan.tokens):
        if scan.depth[index]:
            continue
        value = token.value
        if value == "package":
            scan.found.module = scan.value(index + 1)
        elif value == "import":
            if scan.value(index + 1) == "(":
                end = scan.closing(index + 1)
                for inner in scan.tokens[index + 2 : end]:
                    if inner.kind in String:
                        scan.add_import(inner.value)
            else:
                scan.add_import(next((t.value for t in scan.tokens[index + 1 : index + 3] if t.kind in String), ""))
        elif value == "func":
            position, receiver = index + 1, None
            if scan.value(position) == "(":
                end = scan.closing(position)
                names = [t.value for t in scan.tokens[position + 1 : end] if t.kind in Name]
                # (s *Server), (Server), (s *Stack[T]): the type is the second name, or the only one
                receiver = names[1] if len(names) > 1 else (names[0] if names else None)
                position = end + 1
            name = scan.value(position)
            if name and name != "(":  # not a function literal
                if receiver:
                    scan.found.function_count += 1
                    receivers.append((receiver, CodeFunction(name=name, signature=scan.signature(token.line), line=token.line)))
                else:
                    scan.function(name, token.line)
        elif value == "type":
            if scan.value(index + 1) == "(":
                end = scan.closing(index + 1)
                first_on_line: dict[int, int] = {}
                for position in range(index + 2, end):
                    first_on_line.setdefault(scan.tokens[position].line, position)
                for position in first_on_line.values():
                    scan.type(scan.value(position), _go_type_kind(scan, position), scan.tokens[position].line)
            else:
                scan.type(scan.value(index + 1), _go_type_kind(scan, index + 1), token.line)
    by_name = {declared.name: declared for declared in scan.found.types}
    for receiver, method in receivers:
        if receiver in by_name:
            by_name[receiver].methods.append(method)
        else:  # the type is declared in another file of the package
            scan.found.functions.append(method.model_copy(update={"name": f"{receiver}.{method.name}"}))


def _go_type_kind(scan: _Scan, name_index: int) -> str:
    """struct, interface or type, for the type named at `name_index` (generic parameters skipped)."""
    following = name_index + 1
    if scan.value(following) == "[":
        following = scan.closing(following, "[", "]") + 1
    value = scan.value(following)
    return value if value in ("struct", "interface") else "type"


_JS_NOT_METHODS = frozenset({"if", "for", "while", "switch", "catch", "return", "function", "super", "with", "new", "typeof"})


def _scan_javascript(scan: _Scan) -> None:
    bodies = _Bodies(scan)
    for index, token in enumerate(scan.tokens):
        depth, value = scan.depth[index], token.value
        owner = bodies.owner(index)
        if value == "from" and scan.tokens[index + 1 : index + 2] and scan.tokens[index + 1].kind in String:
            scan.add_import(scan.value(index + 1))
        elif value in ("require", "import") and scan.value(index + 1) == "(" and scan.tokens[index + 2 : index + 3]:
            if scan.tokens[index + 2].kind in String:
                scan.add_import(scan.value(index + 2))
        elif value == "import" and scan.tokens[index + 1 : index + 2] and scan.tokens[index + 1].kind in String:
            scan.add_import(scan.value(index + 1))  # import "./side-effect"
        elif value == "function":
            position = index + 2 if scan.value(index + 1) == "*" else index + 1
            if scan.value(position) != "(" and depth == 0:
                scan.function(scan.value(position), token.line, is_async=scan.value(index - 1) == "async")
            else:
                scan.found.function_count += 1  # nested or anonymous: counted, not listed
        elif value in ("const", "let", "var") and depth == 0 and scan.value(index + 2) == "=":
            position = index + 3
            is_async = scan.value(position) == "async"
            position += is_async
            if scan.value(position) == "function" or _arrow_follows(scan, position):
                scan.function(scan.value(index + 1), token.line, is_async=is_async)
        elif value == "class" and scan.value(index + 1) not in ("{", "extends"):
            bodies.push(scan.type(scan.value(index + 1), "class", token.line), index)
        elif value in ("interface", "enum") and depth == 0 and token.kind not in Name:
            scan.type(scan.value(index + 1), value, token.line)
        elif value == "type" and depth == 0 and scan.value(index + 2) in ("=", "<"):
            scan.type(scan.value(index + 1), "type", token.line)
        elif owner is not None and scan.value(index + 1) == "(" and value not in _JS_NOT_METHODS:
            if (scan.value(index - 1) != "." and token.kind in Name) or value == "constructor":
                end = scan.closing(index + 1)
                if "{" in scan.value(end + 1) or scan.value(end + 1) == ":":
                    scan.function(value, token.line, owner, is_async=scan.value(index - 1) == "async")


def _arrow_follows(scan: _Scan, position: int) -> bool:
    """`(a, b) =>` or `a =>` at `position`."""
    if scan.value(position) == "(":
        end = scan.closing(position)
        following = scan.value(end + 1)
        if following == ":":  # a TypeScript return type: find the arrow on the same line
            line = scan.tokens[end].line
            return any(t.value == "=>" for t in scan.tokens[end + 1 : end + 40] if t.line == line)
        return following == "=>"
    return scan.value(position + 1) == "=>"


def _scan_rust(scan: _Scan) -> None:
    bodies = _Bodies(scan)
    by_name: dict[str, CodeType] = {}
    for index, token in enumerate(scan.tokens):
        depth, value = scan.depth[index], token.value
        owner = bodies.owner(index)
        if value == "use" and depth == 0:
            end = next((i for i in range(index, len(scan.tokens)) if scan.value(i) == ";"), len(scan.tokens))
            scan.add_import("".join(t.value for t in scan.tokens[index + 1 : end]))
        elif value == "mod" and scan.value(index + 2) == ";":
            scan.add_import(f"mod {scan.value(index + 1)}")
        elif value == "fn" and scan.value(index + 1) != "(":
            if owner is not None or depth == 0:
                scan.function(scan.value(index + 1), token.line, owner, is_async=scan.value(index - 1) == "async")
            else:
                scan.found.function_count += 1  # nested function: counted, not listed
        elif value in ("struct", "enum", "trait", "union") or (value == "type" and depth == 0):
            declared = scan.type(scan.value(index + 1), value, token.line)
            by_name.setdefault(declared.name, declared)
            if value == "trait":
                bodies.push(declared, index)
        elif value == "impl":
            # impl<T> Type<T> { or impl<T> Trait for Type<T> {: the type is the first name after
            # the generic parameters, or after `for`.
            start = scan.closing(index + 1, "<", ">") + 1 if scan.value(index + 1) == "<" else index + 1
            end = next((i for i in range(start, len(scan.tokens)) if "{" in scan.value(i)), len(scan.tokens))
            header = scan.tokens[start:end]
            values = [t.value for t in header]
            after = header[values.index("for") + 1 :] if "for" in values else header
            target = next((t.value for t in after if t.kind in Name), "")
            implemented = by_name.get(target) or CodeType(name=target, kind="impl", line=token.line)
            if target not in by_name:
                by_name[target] = implemented
                scan.found.types.append(implemented)  # an impl of a type declared elsewhere: listed, not counted
            bodies.push(implemented, index)


def _scan_java(scan: _Scan) -> None:
    bodies = _Bodies(scan)
    for index, token in enumerate(scan.tokens):
        value = token.value
        owner = bodies.owner(index)
        if value == "package":
            scan.found.module = scan.value(index + 1)
        elif value in ("import", "import static"):
            scan.add_import(scan.value(index + 1))
        elif value in ("class", "interface", "enum", "record") and scan.value(index - 1) != "@" and index + 1 < len(scan.tokens):
            if scan.tokens[index + 1].kind in Name:
                bodies.push(scan.type(scan.value(index + 1), value, token.line), index)
        elif token.kind in Name.Function:
            scan.function(value, token.line, owner)


_SQL_OBJECTS = {"TABLE": "table", "VIEW": "view", "INDEX": "index", "TRIGGER": "trigger", "TYPE": "type", "SEQUENCE": "sequence"}
_SQL_ROUTINES = ("FUNCTION", "PROCEDURE")
_SQL_MODIFIERS = frozenset({"OR", "REPLACE", "TEMP", "TEMPORARY", "UNIQUE", "VIRTUAL", "MATERIALIZED", "UNLOGGED", "GLOBAL", "LOCAL"})


def _scan_sql(scan: _Scan) -> None:
    for index, token in enumerate(scan.tokens):
        if token.value.upper() != "CREATE":
            continue
        position = index + 1
        while scan.value(position).upper() in _SQL_MODIFIERS:
            position += 1
        what = scan.value(position).upper()
        position += 1
        if [scan.value(position + k).upper() for k in range(3)] == ["IF", "NOT", "EXISTS"]:
            position += 3
        name = scan.value(position).strip('"`[]')
        while scan.value(position + 1) == ".":  # schema.name
            position += 2
            name += "." + scan.value(position).strip('"`[]')
        if what in _SQL_OBJECTS:
            scan.type(name, _SQL_OBJECTS[what], token.line)
        elif what in _SQL_ROUTINES:
            scan.function(name, token.line)


def _scan_python(scan: _Scan) -> None:
    """Python that does not parse: declarations by keyword, nesting by indentation."""
    classes: list[tuple[CodeType, int]] = []
    for index, token in enumerate(scan.tokens):
        value = token.value
        source = scan.lines[token.line - 1] if token.line <= len(scan.lines) else ""
        indent = len(source) - len(source.lstrip())
        if value in ("import", "from") and source.lstrip().startswith(value):
            scan.add_import(scan.value(index + 1))
        elif token.kind in Name.Function or token.kind in Name.Class:
            while classes and indent <= classes[-1][1]:
                classes.pop()
            if token.kind in Name.Class:
                classes.append((scan.type(value, "class", token.line), indent))
            elif classes or indent == 0:
                scan.function(value, token.line, classes[-1][0] if classes else None, is_async="async def" in source)
            else:
                scan.found.function_count += 1


def _scan_generic(scan: _Scan) -> None:
    for token in scan.tokens:
        if token.kind in Name.Function:
            scan.function(token.value, token.line)
        elif token.kind in Name.Class:
            scan.type(token.value, "class", token.line)
        elif token.kind in Name.Namespace or token.kind in Comment.PreprocFile:
            scan.add_import(token.value.strip("<>"))


SCANNERS: dict[str, Callable[[_Scan], None]] = {
    "go": _scan_go,
    "javascript": _scan_javascript,
    "typescript": _scan_javascript,
    "rust": _scan_rust,
    "java": _scan_java,
    "sql": _scan_sql,
    "python": _scan_python,
}


def read_tokens(lexer: Lexer, language: str, text: str) -> tuple[TokenFindings, LineCounts]:
    tokens, counts = tokenize(lexer, text)
    scan = _Scan(tokens, split_lines(text))
    SCANNERS.get(language, _scan_generic)(scan)
    return scan.found, counts
