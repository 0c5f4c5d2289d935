"""Config reader: formats, key tree, critical settings, environment references, redacted secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from reader_fixtures import CONFIG_WITH_SECRETS, PEM_BODY, PLANTED, written_digest

from brainloop_tui.core.readers import ConfigStructure, build_digest
from brainloop_tui.core.readers.config import MAX_TREE_DEPTH


def config_of(workspace: Path, name: str, text: str) -> ConfigStructure:
    structure = written_digest(workspace, name, text).structure
    assert isinstance(structure, ConfigStructure)
    return structure


def test_planted_secrets_are_found_and_never_shown(workspace: Path) -> None:
    path = workspace / "app.yaml"
    path.write_text(CONFIG_WITH_SECRETS, encoding="utf-8")
    digest = build_digest(path, "app.yaml")
    dumped = digest.model_dump_json()
    for value in [*PLANTED.values(), PEM_BODY]:
        assert value not in dumped
    reasons = {finding.location: finding.reason for finding in digest.structure.secrets}
    assert reasons == {
        "doc1.database.url": "password in URL",
        "doc1.database.password": "key name",
        "doc1.cloud.aws_access_key_id": "key name",
        "doc1.cloud.openai": "API key (sk-)",
        "doc1.cloud.session": "JWT",
        "doc1.cloud.signing_blob": "high entropy",
        "doc1.cloud.tls_key": "PEM private key",
    }
    lines = {finding.location: finding.line for finding in digest.structure.secrets}
    assert lines["doc1.database.password"] == 8 and lines["doc1.cloud.openai"] == 12
    assert "postgres://app:[redacted sha256:" in dumped  # only the password part of the URL goes
    assert len([w for w in digest.warnings if w.startswith("potential secret")]) == 7
    # A reference to the environment is the right way to hold a secret: not flagged.
    assert "doc1.token_from_env" not in reasons


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("a.env", f"AWS_ID={PLANTED['aws']}\n", "AWS access key"),
        ("b.json", f'{{"client": {{"key": "{PLANTED["openai"]}"}}}}', "API key (sk-)"),
        ("c.toml", f'[auth]\npassword = "{PLANTED["password"]}"\n', "key name"),
        ("d.ini", f"[tls]\ncert = -----BEGIN PRIVATE KEY----- {PEM_BODY} -----END PRIVATE KEY-----\n", "PEM private key"),
        ("e.yaml", f"# old key, remove: {PLANTED['aws']}\nname: x\n", "AWS access key"),
        ("f.json", f'{{"broken": "{PLANTED["openai"]}", }}', "API key (sk-)"),
    ],
)
def test_secrets_are_found_in_every_format_even_in_comments_and_broken_files(workspace: Path, name: str, text: str, reason: str) -> None:
    digest = written_digest(workspace, name, text)
    assert [finding.reason for finding in digest.structure.secrets] == [reason]
    for value in [*PLANTED.values(), PEM_BODY]:
        assert value not in digest.model_dump_json()


def test_yaml_documents_tree_critical_settings_and_environment(workspace: Path) -> None:
    config = config_of(workspace, "app.yaml", CONFIG_WITH_SECRETS)
    assert (config.format, config.documents, config.parse_error) == ("yaml", 2, None)
    assert [node.key for node in config.tree] == ["doc 1", "doc 2"]
    server = config.tree[0].children[0]
    assert (server.key, server.type, server.size) == ("server", "object", 4)
    assert [(c.key, c.type, c.value) for c in server.children[:2]] == [("host", "string", "0.0.0.0"), ("port", "integer", "8443")]
    critical = {(s.key, s.category, s.value) for s in config.critical}
    assert {
        ("doc1.server.host", "host", "0.0.0.0"),
        ("doc1.server.port", "port", "8443"),
        ("doc1.server.debug", "debug", "true"),
        ("doc1.server.base_url", "url", "https://api.example.com/v1"),
        ("doc1.database.data_dir", "path", "/var/lib/app"),
    } <= critical
    assert [(ref.name, ref.syntax, ref.line) for ref in config.env_references] == [("HOME", "${VAR}", 19), ("API_TOKEN", "${VAR}", 20)]


def test_env_references_in_every_syntax(workspace: Path) -> None:
    text = 'a: $HOME/x\nb: "${DB_URL:-sqlite://}"\nc: os.environ["SECRET_DIR"]\nd: os.getenv("PORT")\ne: process.env.NODE_ENV\n'
    refs = [(r.name, r.syntax) for r in config_of(workspace, "refs.yaml", text).env_references]
    assert refs == [("HOME", "$VAR"), ("DB_URL", "${VAR}"), ("SECRET_DIR", "os.environ"), ("PORT", "os.getenv"), ("NODE_ENV", "process.env")]


def test_json_parse_error_has_line_and_column(workspace: Path) -> None:
    path = workspace / "bad.json"
    path.write_text('{\n  "a": 1,\n  "b": }\n', encoding="utf-8")
    digest = build_digest(path, "bad.json")
    assert digest.structure.parse_error == "invalid JSON at line 3, column 8: Expecting value"
    assert digest.structure.parse_error in digest.warnings and digest.structure.documents == 0
    assert "does not parse" in digest.headline


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("bad.yaml", "a: [1, 2\nb: 3\n", "invalid YAML at line 2, column 2"),
        ("bad.toml", "a = 1\nb = \n", "invalid TOML: Invalid value (at line 2, column 5)"),
        ("bad.ini", "key = value\n[section]\n", "invalid INI at line 1: a key before any [section] header"),
    ],
)
def test_other_parse_errors_say_where(workspace: Path, name: str, text: str, expected: str) -> None:
    assert config_of(workspace, name, text).parse_error.startswith(expected)


def test_toml_env_and_ini(workspace: Path) -> None:
    toml = config_of(workspace, "pyproject.toml", '[project]\nname = "x"\n[tool.ruff]\nline-length = 100\n')
    assert (toml.format, toml.key_count, [n.key for n in toml.tree]) == ("toml", 5, ["project", "tool"])
    env = config_of(workspace, ".env.local", "# comment\nexport HOST=localhost\nPORT=5432\nDEBUG=1\nnot a line\n")
    assert env.format == "env" and [(n.key, n.value) for n in env.tree] == [("HOST", "localhost"), ("PORT", "5432"), ("DEBUG", "1")]
    assert {(s.key, s.category, s.line) for s in env.critical} == {("HOST", "host", 2), ("PORT", "port", 3), ("DEBUG", "debug", 4)}
    digest = build_digest(workspace / ".env.local", ".env.local")
    assert "line 5: not a KEY=VALUE line, skipped" in digest.warnings
    ini = config_of(workspace, "setup.cfg", "[DEFAULT]\nroot = /srv\n[metadata]\nName = demo\nroot = /srv\n")
    assert [(n.key, [c.key for c in n.children]) for n in ini.tree] == [("DEFAULT", ["root"]), ("metadata", ["Name"])]


def test_the_key_tree_is_depth_and_breadth_limited(workspace: Path) -> None:
    deep = '{"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}, "wide": {%s}}' % ", ".join(f'"k{i}": {i}' for i in range(100))
    config = config_of(workspace, "deep.json", deep)
    node, depth = config.tree[0], 1
    while node.children:
        node, depth = node.children[0], depth + 1
    assert depth == MAX_TREE_DEPTH and node.children_omitted == 1
    wide = config.tree[1]
    assert (wide.size, len(wide.children), wide.children_omitted) == (100, 40, 60)
    assert config.key_count == 107


def test_a_file_named_like_nothing_is_sniffed_when_read_as_config(workspace: Path) -> None:
    path = workspace / "settings.conf"
    path.write_text('{"port": 8080}', encoding="utf-8")
    assert build_digest(path, "settings.conf", kind="config").structure.format == "json"


def test_checksums_in_lock_files_are_not_taken_for_secrets(workspace: Path) -> None:
    lock = (
        '{"packages": {"node_modules/a": {"version": "1.0.0", '
        '"resolved": "https://registry.example.org/a/-/a-1.0.0.tgz", '
        '"integrity": "sha512-Q2w3E4r5T6y7U8i9O0pAaSsDdFfGgHhJjKkLlZzXxCcVvBbNnMm1234567890qwertyuiopASDFGHJKL==", '
        '"sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}}'
    )
    config = config_of(workspace, "package-lock.json", lock)
    assert config.secrets == [] and config.key_count == 6
