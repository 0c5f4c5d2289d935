"""What each reader finds in a file: the `structure` part of a digest, one model per kind."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, computed_field

# A cell of a sample row: numbers and NULL as they are, text cut, BLOBs as "<blob N bytes>".
SampleCell = str | int | float | None


class SqliteColumn(BaseModel):
    name: str
    type: str  # the declared type, "" when none was declared
    not_null: bool
    default: str | None  # the default's SQL text
    primary_key: int  # position in the primary key, 0 when not part of it
    unique: bool  # a single-column UNIQUE constraint or unique index
    generated: bool = False


class SqliteForeignKey(BaseModel):
    columns: list[str]
    ref_table: str
    ref_columns: list[str]  # empty: the referenced table's primary key
    on_update: str
    on_delete: str


class SqliteIndex(BaseModel):
    name: str
    table: str
    columns: list[str]  # "<expr>" for an expression column
    unique: bool
    origin: Literal["c", "u", "pk"]  # CREATE INDEX, UNIQUE constraint, PRIMARY KEY
    partial: bool
    ddl: str | None  # None for the indexes SQLite makes for constraints


class SqliteTable(BaseModel):
    name: str
    columns: list[SqliteColumn]
    primary_key: list[str]
    without_rowid: bool
    virtual: bool
    autoincrement: bool
    foreign_keys: list[SqliteForeignKey]
    unique_constraints: list[list[str]]  # multi-column ones; single columns are marked on the column
    row_count: int | None
    row_count_method: Literal["count", "sqlite_stat1", "max_rowid", "unknown"]
    sample_rows: list[dict[str, SampleCell]]
    ddl: str

    @computed_field  # in the JSON too: a reader of the digest sees at once whether the count is exact
    @property
    def row_count_exact(self) -> bool:
        return self.row_count_method == "count"


class SqliteNamedSql(BaseModel):
    """A view or a trigger: a name and its DDL."""

    name: str
    table: str
    ddl: str


class Recommendation(BaseModel):
    rule: Literal[
        "no_primary_key",
        "foreign_key_without_index",
        "not_wal",
        "no_statistics",
        "autoincrement",
        "redundant_index",
        "freelist",
        "foreign_keys_per_connection",
    ]
    target: str | None  # the table or index concerned, None for the whole database
    message: str


class SqliteStructure(BaseModel):
    kind: Literal["sqlite"] = "sqlite"
    pragmas: dict[str, str | int | None]
    tables: list[SqliteTable]
    indexes: list[SqliteIndex]
    views: list[SqliteNamedSql]
    triggers: list[SqliteNamedSql]
    has_statistics: bool  # sqlite_stat1 exists and is not empty
    recommendations: list[Recommendation]


class MarkdownSection(BaseModel):
    level: int = Field(ge=1, le=6)
    title: str
    line: int  # 1-based
    children: list[MarkdownSection] = []


class MarkdownCodeBlock(BaseModel):
    language: str | None  # None: no info string, or an indented block
    line: int
    lines: int


class MarkdownLink(BaseModel):
    target: str
    text: str
    line: int
    kind: Literal["anchor", "relative", "external"]
    # anchors: a heading with that slug exists; relative: the file exists; external: None (not checked)
    resolves: bool | None


class MarkdownImage(BaseModel):
    source: str
    alt: str
    line: int


class MarkdownTable(BaseModel):
    line: int
    columns: list[str]
    rows: int  # body rows


# A digest summarises: past this many entries a Markdown list (sections, links, ...) only counts.
MARKDOWN_MAX_LISTED = 300


class MarkdownStructure(BaseModel):
    kind: Literal["markdown"] = "markdown"
    title: str | None  # the first H1
    sections: list[MarkdownSection]  # a tree: top-level sections, each with its sub-sections
    section_count: int  # every heading, listed or not
    code_blocks: list[MarkdownCodeBlock]
    code_block_count: int
    links: list[MarkdownLink]
    link_count: dict[Literal["anchor", "relative", "external"], int]
    images: list[MarkdownImage]
    image_count: int
    list_count: int  # lists at any depth
    list_items: int
    list_max_depth: int  # 0: no list, 1: flat lists, 2: a list inside a list, ...
    tables: list[MarkdownTable]
    table_count: int
    lines: int
    words: int


class CodeFunction(BaseModel):
    name: str
    signature: str  # one line, as declared
    line: int
    is_async: bool = False
    decorators: list[str] = []


class CodeType(BaseModel):
    name: str  # qualified for nested Python classes: "Outer.Inner"
    kind: str  # class, struct, interface, enum, trait, type, record, table, view, index, trigger, ...
    line: int
    bases: list[str] = []
    decorators: list[str] = []
    methods: list[CodeFunction] = []


class LineCounts(BaseModel):
    total: int
    code: int
    comment: int  # comment lines and docstrings
    blank: int


class CodeStructure(BaseModel):
    kind: Literal["code"] = "code"
    language: str  # "python", "go", "javascript", "typescript", "sql", "rust", "java", or pygments' alias
    method: Literal["ast", "tokens"]  # how the names were found
    module: str | None  # package (Go, Java), module path (Python), crate-relative module (Rust)
    docstring: str | None  # the module docstring's first paragraph (Python)
    imports: list[str]
    exports: list[str] | None  # Python `__all__` when it is a literal
    functions: list[CodeFunction]  # top level (Go methods are listed on their receiver type)
    types: list[CodeType]  # classes and other types, with their methods
    function_count: int  # every function and method, nested ones included
    class_count: int  # every class/type, nested ones included
    lines: LineCounts


class ConfigNode(BaseModel):
    key: str
    type: Literal["object", "array", "string", "integer", "float", "boolean", "null", "date"]
    value: str | None = None  # scalars: a short preview, secrets redacted
    size: int = 0  # objects and arrays: how many entries
    children: list[ConfigNode] = []
    children_omitted: int = 0  # entries not shown (depth or breadth limit)


class ConfigSetting(BaseModel):
    key: str  # dotted path
    value: str  # redacted when secret
    category: Literal["host", "port", "url", "debug", "path"]
    line: int | None


class EnvReference(BaseModel):
    name: str
    syntax: str  # "${VAR}", "$VAR", "os.environ", "os.getenv", "process.env"
    line: int


class SecretFinding(BaseModel):
    location: str  # dotted key path, or "line N" for a match in free text
    line: int | None
    reason: str  # "key name", "AWS access key", "JWT", "PEM private key", "high entropy", ...
    fingerprint: str  # first 8 hex characters of the value's sha256: enough to tell two values apart


class ConfigStructure(BaseModel):
    kind: Literal["config"] = "config"
    format: Literal["json", "yaml", "toml", "env", "ini"]
    documents: int  # YAML may hold several; every other format one (0 when it does not parse)
    parse_error: str | None  # with line and column when the parser gives them
    tree: list[ConfigNode]  # depth- and breadth-limited
    tree_omitted: int = 0  # top-level entries not in `tree` (breadth limit)
    key_count: int  # every key at any depth
    critical: list[ConfigSetting]
    env_references: list[EnvReference]
    secrets: list[SecretFinding]
