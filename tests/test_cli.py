"""The `brainloop` command, run as a real subprocess the way a person runs it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from brainloop_tui.core.config import workspace_config_path


def brainloop(*args: str, stdin: str | None = None, cwd: Path | None = None, env: dict[str, str] | None = None,
              prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    command = [*prefix, sys.executable, "-m", "brainloop_tui", *args]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=60)


def test_init_creates_then_changes_nothing(workspace: Path) -> None:
    first = brainloop("init", "--workspace", str(workspace))
    assert first.returncode == 0, first.stderr
    assert "lifecycle.db: created" in first.stdout
    second = brainloop("--workspace", str(workspace), "init")  # the option also goes before the command
    assert second.returncode == 0
    assert "already initialised: nothing changed" in second.stdout


def test_workspace_comes_from_the_environment_then_the_current_folder(workspace: Path, tmp_path: Path) -> None:
    assert brainloop("init", env={"BRAINLOOP_WORKSPACE": str(workspace)}, cwd=tmp_path).returncode == 0
    assert (workspace / ".brainloop" / "lifecycle.db").exists()
    assert brainloop("init", cwd=workspace).stdout.endswith("nothing changed\n")


def test_missing_workspace_is_a_clear_error(tmp_path: Path) -> None:
    result = brainloop("init", "-w", str(tmp_path / "nope"))
    assert result.returncode == 1
    assert result.stderr == f"brainloop: workspace {tmp_path / 'nope'} does not exist\n"


def read_only_prefix(folder: Path) -> tuple[str, ...]:
    """A command prefix that runs with `folder` read-only: a private read-only bind mount when root
    (root ignores file modes), plain file modes otherwise."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return ()
    if not shutil.which("unshare"):
        pytest.skip("running as root without unshare: cannot make a read-only folder")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("cannot create a mount namespace here")
    return ("unshare", "-m", "sh", "-c", f'mount --bind -o ro "{folder}" "{folder}" && exec "$0" "$@"')


def test_read_only_workspace_is_a_clear_error(workspace: Path) -> None:
    result = brainloop("init", "-w", str(workspace), prefix=read_only_prefix(workspace))
    workspace.chmod(0o755)
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith(f"brainloop: cannot create {workspace / '.brainloop'}: Read-only file system") or \
        "Permission denied" in result.stderr
    assert not (workspace / ".brainloop").exists()


def test_config_shows_values_and_sources_with_the_key_masked(workspace: Path) -> None:
    workspace_config_path(workspace).parent.mkdir()
    workspace_config_path(workspace).write_text('model = "from-file"\n')
    result = brainloop("config", "-w", str(workspace), "--base-url", "http://127.0.0.1:9",
                       env={"BRAINLOOP_API_KEY": "sk-never-shown"})
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert lines["model"].endswith(f"from-file  [{workspace_config_path(workspace)}]")
    assert lines["base_url"].endswith("http://127.0.0.1:9  [command line]")
    assert lines["api_key"].endswith("******** (hidden)  [environment]")
    assert lines["provider"].endswith("auto  [default]")
    assert "sk-never-shown" not in result.stdout + result.stderr


def test_bad_config_is_reported_with_file_and_line(workspace: Path) -> None:
    workspace_config_path(workspace).parent.mkdir()
    workspace_config_path(workspace).write_text("model = [\n")
    result = brainloop("config", "-w", str(workspace))
    assert result.returncode == 1
    assert f"{workspace_config_path(workspace)}:1: invalid TOML" in result.stderr


def test_unknown_config_key_is_reported(workspace: Path) -> None:
    workspace_config_path(workspace).parent.mkdir()
    workspace_config_path(workspace).write_text("colour = 'blue'\n")
    result = brainloop("doctor", "-w", str(workspace))
    assert result.returncode == 1
    assert "unknown setting 'colour'" in result.stderr and "valid settings are" in result.stderr


def test_secret_values_are_read_from_stdin_and_never_printed(workspace: Path) -> None:
    set_result = brainloop("secret", "set", "api_key", "-w", str(workspace), stdin="sk-stdin-secret\n")
    assert set_result.returncode == 0, set_result.stderr
    listing = brainloop("secret", "list", "-w", str(workspace))
    assert listing.stdout == "api_key\n"
    for result in (set_result, listing):
        assert "sk-stdin-secret" not in result.stdout + result.stderr
    assert brainloop("secret", "delete", "api_key", "-w", str(workspace)).returncode == 0
    missing = brainloop("secret", "delete", "api_key", "-w", str(workspace))
    assert (missing.returncode, missing.stderr) == (1, "brainloop: no secret named 'api_key'\n")


def test_doctor_reports_healthy_databases(workspace: Path) -> None:
    brainloop("init", "-w", str(workspace))
    result = brainloop("doctor", "-w", str(workspace))
    assert result.returncode == (1 if "[FAIL]" in result.stdout else 0), result.stdout
    assert "] provider: " in result.stdout and "] embedded model: " in result.stdout
    for name in ("input", "lifecycle", "output", "metadata"):
        version = 4 if name == "lifecycle" else 1  # sql/migrations/lifecycle/0004_hand_edits.sql
        assert f"[ok  ] {name}.db: integrity ok, journal wal, schema version {version}" in result.stdout


def test_doctor_and_commands_name_a_corrupt_database(workspace: Path) -> None:
    brainloop("init", "-w", str(workspace))
    broken = workspace / ".brainloop" / "output.db"
    for suffix in ("-wal", "-shm"):
        Path(f"{broken}{suffix}").unlink(missing_ok=True)
    broken.write_bytes(b"\x00garbage" * 512)
    doctor = brainloop("doctor", "-w", str(workspace))
    assert doctor.returncode == 1
    assert f"[FAIL] output.db: {broken} is not a usable SQLite database" in doctor.stdout
    stop = brainloop("stop", "-w", str(workspace))
    assert stop.returncode == 1
    assert str(broken) in stop.stderr and "brainloop doctor" in stop.stderr


def test_version_and_help() -> None:
    assert brainloop("--version").stdout.startswith("brainloop ")
    assert "doctor" in brainloop("--help").stdout


def test_doctor_suggests_a_check_command_for_pytest_and_go(workspace: Path) -> None:
    brainloop("init", "-w", str(workspace))
    assert "[ok  ] check_command: not set (no pytest or go.mod seen)" in brainloop("doctor", "-w", str(workspace)).stdout
    (workspace / "pyproject.toml").write_text("[tool.pytest.ini_options]\ntestpaths = ['tests']\n")
    (workspace / "go.mod").write_text("module example.com/x\n")
    shown = brainloop("doctor", "-w", str(workspace)).stdout
    assert ("[warn] check_command: not set: put check_command = 'python -m pytest -q -x {tests}' or "
            "check_command = 'go test ./{package}' in .brainloop/config.toml") in shown
    (workspace / ".brainloop" / "config.toml").write_text('check_command = "python -m pytest -q {tests}"\n')
    assert "[ok  ] check_command: 'python -m pytest -q {tests}' runs on every answer" in brainloop(
        "doctor", "-w", str(workspace)).stdout


def test_doctor_says_a_provider_that_never_accepts_the_connection_is_unreachable(workspace: Path) -> None:
    # A listening socket whose accept queue is full: the kernel drops further connection attempts, so
    # the client's connect times out (a real connect timeout, on the loopback interface).
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        queued = [socket.socket() for _ in range(4)]
        for client in queued:
            client.setblocking(False)
            client.connect_ex(("127.0.0.1", port))
        try:
            result = brainloop("doctor", "-w", str(workspace), env={
                "BRAINLOOP_PROVIDER": "http", "BRAINLOOP_BASE_URL": f"http://127.0.0.1:{port}/v1",
                "BRAINLOOP_MODEL": "m", "BRAINLOOP_REQUEST_TIMEOUT": "0.5"})
        finally:
            for client in queued:
                client.close()
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"[FAIL] provider: cannot reach http://127.0.0.1:{port}/v1 (ConnectTimeout)" in result.stdout
