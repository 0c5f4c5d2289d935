"""Python through `ast`: exact names, signatures and counts, without running or importing anything.

Only statement lists are walked (a `def` or `class` can appear nowhere else), which keeps the cost
well below a full `ast.walk`.
"""

from __future__ import annotations

import ast
import copy

from brainloop_tui.core.readers.redact import is_secret_key
from brainloop_tui.core.readers.render import one_line, split_lines
from brainloop_tui.core.readers.structures import CodeFunction, CodeStructure, CodeType, LineCounts

_BLOCK_FIELDS = ("body", "orelse", "finalbody")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def module_name(rel_path: str) -> str:
    dotted = rel_path.removesuffix(".pyi").removesuffix(".py").replace("/", ".")
    return dotted.removesuffix(".__init__")


def _unparse(node: ast.AST, limit: int = 120) -> str:
    return one_line(ast.unparse(node), limit)


def _scrubbed(args: ast.arguments) -> ast.arguments:
    """`args` with the string default of every secret-named parameter (`password="…"`) redacted: a
    signature goes into digests and prompts."""
    positional = [*args.posonlyargs, *args.args]
    defaulted = positional[len(positional) - len(args.defaults):]
    named = [*zip(defaulted, args.defaults, strict=True),
             *((arg, d) for arg, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d)]
    if not any(_is_secret_default(arg, default) for arg, default in named):
        return args
    scrubbed = copy.copy(args)
    scrubbed.defaults = [_redacted(arg, d) for arg, d in zip(defaulted, args.defaults, strict=True)]
    scrubbed.kw_defaults = [d and _redacted(arg, d) for arg, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    return scrubbed


def _is_secret_default(arg: ast.arg, default: ast.expr) -> bool:
    return isinstance(default, ast.Constant) and isinstance(default.value, str) and bool(default.value) \
        and is_secret_key(arg.arg)


def _redacted(arg: ast.arg, default: ast.expr) -> ast.expr:
    return ast.Constant("[redacted]") if _is_secret_default(arg, default) else default


def _docstring_node(body: list[ast.stmt]) -> ast.Expr | None:
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first
    return None


def _string_list(node: ast.expr | None) -> list[str] | None:
    if isinstance(node, (ast.List, ast.Tuple)) and all(
        isinstance(item, ast.Constant) and isinstance(item.value, str) for item in node.elts
    ):
        return [item.value for item in node.elts]  # type: ignore[attr-defined]
    return None


class _Walker:
    def __init__(self, line_total: int) -> None:
        self.functions: list[CodeFunction] = []
        self.types: list[CodeType] = []
        self.imports: dict[str, None] = {}  # ordered, without repeats
        self.exports: list[str] | None = None
        self.function_count = 0
        self.class_count = 0
        self.docstring_lines = bytearray(line_total + 2)

    def block(self, body: list[ast.stmt], scope: str | None, owner: CodeType | None) -> None:
        """One statement list. `scope` is the enclosing qualified name (None: module level);
        `owner` the class whose body this is (its functions are methods)."""
        docstring = _docstring_node(body)
        if docstring is not None:
            end = docstring.end_lineno or docstring.lineno
            self.docstring_lines[docstring.lineno : end + 1] = b"\x01" * (end + 1 - docstring.lineno)
        for node in body:
            if isinstance(node, _FUNCTIONS):
                self.function(node, scope, owner)
            elif isinstance(node, ast.ClassDef):
                self.klass(node, scope)
            elif isinstance(node, ast.Import):
                self.imports.update((alias.name, None) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                dots = "." * node.level
                names = [node.module] if node.module else [alias.name for alias in node.names]
                self.imports.update((dots + name, None) for name in names)
            elif scope is None and isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                self.exports_from(node)
            else:
                self.nested(node, scope, owner)

    def nested(self, node: ast.stmt, scope: str | None, owner: CodeType | None) -> None:
        """if/for/while/with/try/match: their bodies belong to the same scope."""
        for field in _BLOCK_FIELDS:
            inner = getattr(node, field, None)
            if inner:
                self.block(inner, scope, owner)
        for handler in getattr(node, "handlers", ()):
            self.block(handler.body, scope, owner)
        for case in getattr(node, "cases", ()):
            self.block(case.body, scope, owner)

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: str | None, owner: CodeType | None) -> None:
        self.function_count += 1
        is_async = isinstance(node, ast.AsyncFunctionDef)
        if owner is not None or scope is None:
            signature = f"{'async ' if is_async else ''}def {node.name}({_unparse(_scrubbed(node.args), 400)})"
            if node.returns is not None:
                signature += f" -> {_unparse(node.returns)}"
            listed = CodeFunction(
                name=node.name,
                signature=one_line(signature, 200),
                line=node.lineno,
                is_async=is_async,
                decorators=[_unparse(decorator, 80) for decorator in node.decorator_list],
            )
            (owner.methods if owner is not None else self.functions).append(listed)
        self.block(node.body, f"{scope}.{node.name}" if scope else node.name, None)

    def klass(self, node: ast.ClassDef, scope: str | None) -> None:
        self.class_count += 1
        name = f"{scope}.{node.name}" if scope else node.name
        listed = CodeType(
            name=name,
            kind="class",
            line=node.lineno,
            bases=[_unparse(base, 80) for base in node.bases]
            + [f"{keyword.arg}={_unparse(keyword.value, 60)}" for keyword in node.keywords if keyword.arg],
            decorators=[_unparse(decorator, 80) for decorator in node.decorator_list],
        )
        self.types.append(listed)
        self.block(node.body, name, listed)

    def exports_from(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if not any(isinstance(target, ast.Name) and target.id == "__all__" for target in targets):
            return
        names = _string_list(node.value)
        if names is None:
            return  # built at run time: not knowable without running the module
        self.exports = (self.exports or []) + names if isinstance(node, ast.AugAssign) else names


def count_lines(lines: list[str], docstring_lines: bytearray) -> LineCounts:
    """Blank, comment (and docstring) and code lines. Lines inside other multi-line strings are
    classed by how they look: a tokenizer would be exact, and would cost more than the parse."""
    blank = comment = 0
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if docstring_lines[number]:
            comment += 1
        elif not stripped:
            blank += 1
        elif stripped[0] == "#":
            comment += 1
    return LineCounts(total=len(lines), code=len(lines) - blank - comment, comment=comment, blank=blank)


def read_python(text: str, rel_path: str) -> CodeStructure:
    """Raises SyntaxError (or ValueError, RecursionError) when the text does not parse."""
    tree = ast.parse(text)
    lines = split_lines(text)
    walker = _Walker(len(lines))
    walker.block(tree.body, None, None)
    docstring = ast.get_docstring(tree)
    return CodeStructure(
        language="python",
        method="ast",
        module=module_name(rel_path),
        docstring=one_line(docstring.split("\n\n")[0], 300) if docstring else None,
        imports=list(walker.imports),
        exports=walker.exports,
        functions=walker.functions,
        types=walker.types,
        function_count=walker.function_count,
        class_count=walker.class_count,
        lines=count_lines(lines, walker.docstring_lines),
    )
