"""The project's own checks on a candidate: which tests exercise a target, `check_command` with its
placeholders (passing, failing, running nothing, hanging, not starting, flooding), and `go vet`."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

import pytest

from brainloop_tui.core.loop.checks import check_go_package, command_argv, module_name, run_check_command
from brainloop_tui.core.loop import testfiles

# testfiles.tests_for is used through its module: imported by name, pytest would collect it as a test.
# The plugins installed beside pytest (Textual snapshots, hypothesis...) take two seconds to load, and no
# workspace here needs them.
PYTEST = f"env PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {shlex.quote(sys.executable)} -m pytest -q -x -p no:cacheprovider"
GO_INSTALLED = shutil.which("go") is not None


def write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)


def test_tests_for_finds_the_targets_tests_most_likely_first(workspace: Path) -> None:
    write(workspace, {name: "" for name in [
        "pkg/units.py", "pkg/test_units.py", "tests/pkg/test_units.py", "tests/test_units.py", "other/units_test.py",
        "tests/test_other.py", "env/lib/test_units.py", ".brainloop/test_units.py", ".git/test_units.py",
        "node_modules/x/test_units.py", "ignored/test_units.py",
    ]})
    write(workspace, {"env/pyvenv.cfg": "home = /usr/bin\n", ".gitignore": "ignored/\n"})
    assert testfiles.tests_for(workspace, "pkg/units.py") == [
        "pkg/test_units.py", "tests/pkg/test_units.py", "tests/test_units.py", "other/units_test.py"]
    assert testfiles.tests_for(workspace, "tests/test_units.py") == ["tests/test_units.py"]
    assert testfiles.tests_for(workspace, "pkg/absent.py") == []


def test_a_go_targets_test_is_in_its_package_folder(workspace: Path) -> None:
    write(workspace, {"calc/add.go": "", "calc/add_test.go": "", "other/add_test.go": "", "main_test.go": ""})
    assert testfiles.tests_for(workspace, "calc/add.go") == ["calc/add_test.go"]
    assert testfiles.tests_for(workspace, "main.go") == ["main_test.go"]
    assert testfiles.tests_for(workspace, "other/sub.go") == []


def test_placeholders_are_filled_in_word_by_word(workspace: Path) -> None:
    write(workspace, {"src/app/__init__.py": "", "src/app/units.py": "", "tests/test_units.py": "",
                      "tests/app/test_units.py": ""})
    argv = command_argv(workspace, "src/app/units.py", "pytest -k 'a b' {tests} --target={target} {package} {module}")
    assert argv == ["pytest", "-k", "a b", "tests/app/test_units.py", "tests/test_units.py",
                    "--target=src/app/units.py", "src/app", "app.units"]
    assert command_argv(workspace, "lone.py", "pytest {tests} {package} {module}") == [
        "pytest", "lone.py", ".", "lone"]  # no test file: the target itself, not the whole repository
    assert module_name(workspace, "src/app/__init__.py") == "app"


@pytest.fixture
def project(workspace: Path) -> Path:
    write(workspace, {
        "units.py": "def parse(text):\n    return int(text)\n",
        "tests/test_units.py": "from units import parse\n\n\ndef test_parse():\n    assert parse('12') == 12\n\n\n"
                               "def test_parse_minutes():\n    assert parse('2m') == 120\n",
    })
    return workspace


CORRECT = "def parse(text):\n    if text.endswith('m'):\n        return int(text[:-1]) * 60\n    return int(text)\n"


def test_a_passing_check_has_no_diagnostic(project: Path) -> None:
    outcome = run_check_command(project, "units.py", CORRECT, f"{PYTEST} {{tests}}", timeout_s=60)
    assert outcome.diagnostics == [] and outcome.summary.startswith("passed: 2 passed")
    assert (project / "units.py").read_text() == "def parse(text):\n    return int(text)\n"


def test_a_failing_check_is_an_error_with_the_summary_and_the_targets_line(project: Path) -> None:
    outcome = run_check_command(project, "units.py", "def parse(text):\n    return int(text)\n",
                                f"{PYTEST} {{tests}}", timeout_s=60)
    [diagnostic] = outcome.diagnostics
    assert diagnostic.severity == "error" and diagnostic.source == "check" and diagnostic.line == 2
    assert "FAILED tests/test_units.py::test_parse_minutes" in diagnostic.message
    assert "E       ValueError: invalid literal for int() with base 10: '2m'" in diagnostic.message
    assert "=====" not in diagnostic.message and outcome.summary.startswith("failed: 1 failed, 1 passed in ")


def test_a_check_that_runs_no_test_is_a_warning(project: Path) -> None:
    outcome = run_check_command(project, "other.py", "X = 1\n", f"{PYTEST} {{tests}}", timeout_s=60)
    assert [(d.severity, d.message) for d in outcome.diagnostics] == [("warning", "the check ran no test")]
    go_like = run_check_command(project, "units.py", CORRECT, "echo '?   example/calc [no test files]'",
                                timeout_s=10)
    assert [d.severity for d in go_like.diagnostics] == ["warning"] and go_like.summary == "ran no test", go_like
    other_ran = run_check_command(project, "units.py", CORRECT,
                                  "printf 'ok  example/a 0.1s\\n?   example/b [no test files]\\n'", timeout_s=10)
    assert other_ran.diagnostics == []


def test_a_check_that_hangs_times_out(project: Path) -> None:
    outcome = run_check_command(project, "units.py", CORRECT, f"{shlex.quote(sys.executable)} -c "
                                "'import time; time.sleep(60)'", timeout_s=1)
    assert [(d.severity, d.message) for d in outcome.diagnostics] == [
        ("error", "check_command timed out after 1 s")]


def test_a_check_that_cannot_start_says_which_command(project: Path) -> None:
    outcome = run_check_command(project, "units.py", CORRECT, "brainloop-no-such-tool {tests}", timeout_s=10)
    [diagnostic] = outcome.diagnostics
    assert diagnostic.severity == "error" and "brainloop-no-such-tool" in diagnostic.message
    assert "No such file or directory" in diagnostic.message and outcome.summary == "cannot start"
    unclosed = run_check_command(project, "units.py", CORRECT, "pytest 'unclosed", timeout_s=10)
    assert "cannot be split" in unclosed.diagnostics[0].message


def test_megabytes_of_output_are_trimmed_to_the_end(project: Path) -> None:
    code = "import sys\nfor n in range(200_000):\n    print('line', n)\nprint('the real problem', file=sys.stderr)\n" \
           "sys.exit(3)\n"
    outcome = run_check_command(project, "units.py", CORRECT, f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}",
                                timeout_s=30)
    [diagnostic] = outcome.diagnostics
    assert diagnostic.message.startswith("check_command failed (exit code 3):")
    assert diagnostic.message.endswith("the real problem") and len(diagnostic.message) < 2_100
    assert "line 199999" in diagnostic.message


GO_MOD = "module example.com/calc\n\ngo 1.19\n"
GOOD_GO = "package calc\n\n// Add adds.\nfunc Add(a, b int) int {\n\treturn a + b\n}\n"
BAD_GO = 'package calc\n\nimport "fmt"\n\nfunc Add(a, b int) int {\n\tfmt.Printf("%d\\n", "x")\n\treturn a + b\n}\n'


@pytest.mark.skipif(not GO_INSTALLED, reason="go is not installed")
def test_go_vet_reports_the_targets_lines(workspace: Path) -> None:
    write(workspace, {"go.mod": GO_MOD, "calc/add.go": GOOD_GO, "calc/sub.go": "package calc\n\n"
                      "func Sub(a, b int) int {\n\treturn Add(a, -b)\n}\n"})
    assert check_go_package(workspace, "calc/add.go", GOOD_GO, timeout_s=120) == []
    diagnostics = check_go_package(workspace, "calc/add.go", BAD_GO, timeout_s=120)
    assert [(d.severity, d.source, d.line, d.column) for d in diagnostics] == [("error", "go", 6, 2)]
    assert "wrong type string" in diagnostics[0].message
    undefined = check_go_package(workspace, "calc/add.go", GOOD_GO.replace("a + b", "a + c"), timeout_s=120)
    assert [(d.line, d.message) for d in undefined] == [(5, "undeclared name: c")]
    assert (workspace / "calc" / "add.go").read_text() == GOOD_GO


@pytest.mark.skipif(not GO_INSTALLED, reason="go is not installed")
def test_go_test_without_test_files_is_a_warning_and_a_file_outside_a_module_is_vetted(workspace: Path) -> None:
    write(workspace, {"go.mod": GO_MOD, "calc/add.go": GOOD_GO})
    outcome = run_check_command(workspace, "calc/add.go", GOOD_GO, "go test ./{package}", timeout_s=120)
    assert [d.message for d in outcome.diagnostics] == ["the check ran no test"]
    loose = workspace / "loose"
    write(loose, {"main.go": BAD_GO.replace("package calc", "package main")})
    diagnostics = check_go_package(loose, "main.go", BAD_GO.replace("package calc", "package main"), timeout_s=120)
    assert [(d.line, d.source) for d in diagnostics] == [(6, "go")]


def test_go_vet_is_skipped_when_go_is_not_installed(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(workspace / "no-go-here"))
    assert [(d.severity, d.message) for d in check_go_package(workspace, "main.go", GOOD_GO, timeout_s=10)] == [
        ("info", "skipped: go is not installed")]
