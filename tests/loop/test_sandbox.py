"""The sandbox of executing checks: a copy of the workspace with the candidate in place, limits that hold
against endless loops, fork bombs, unbounded allocation and floods of output, and no write outside it."""

from __future__ import annotations

import os
import secrets
import sys
import textwrap
import tracemalloc
from pathlib import Path

import pytest

from brainloop_tui.core.loop import sandbox
from brainloop_tui.core.loop.sandbox import landlock_abi, run_sandboxed

PYTHON = sys.executable
# Run as root, `sh` with this PATH runs as a throw-away uid; the interpreter (below /root here) keeps uid 0
# without capabilities: the tests that take both ways cover both.
SYSTEM_PATH = {"PATH": "/usr/bin:/bin"}
CONFINED = landlock_abi() > 0 or os.geteuid() == 0  # something on this machine stops writes outside


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def survivors(token: str) -> list[int]:
    """Processes whose command line carries `token`: what a run left behind."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            try:
                if token.encode() in (entry / "cmdline").read_bytes() and sandbox._running(int(entry.name)):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def python(code: str) -> list[str]:
    return [PYTHON, "-c", textwrap.dedent(code)]


@pytest.fixture
def project(workspace: Path) -> Path:
    (workspace / "pkg").mkdir()
    (workspace / "pkg" / "__init__.py").write_text("")
    (workspace / "pkg" / "units.py").write_text("def parse():\n    return 'on disk'\n")
    (workspace / "helper.py").write_text("VALUE = 42\n")
    return workspace


def test_the_candidate_replaces_the_target_in_a_copy_and_the_workspace_modules_import(project: Path) -> None:
    before = snapshot(project)
    result = run_sandboxed(project, {"pkg/units.py": "def parse():\n    return 'candidate'\n"}, python("""
        import helper, pkg.units
        print(helper.VALUE, pkg.units.parse())
        open("pkg/units.py", "a").write("# changed in the copy")
    """))
    assert result.error is None and result.returncode == 0, result.stderr
    assert result.stdout == "42 candidate\n"
    assert snapshot(project) == before


def test_state_vcs_dependencies_and_big_files_are_not_copied(project: Path) -> None:
    for folder in (".brainloop", ".git", "node_modules", "env", "pkg/__pycache__"):
        (project / folder).mkdir(parents=True)
        (project / folder / "marker.txt").write_text("x")
    (project / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    with (project / "big.bin").open("wb") as handle:
        handle.truncate(sandbox.MAX_COPIED_FILE_BYTES + 1)
    result = run_sandboxed(project, {}, python("""
        from pathlib import Path
        print(sorted(str(p) for p in Path('.').rglob('*') if p.is_file()))
    """))
    assert result.stdout.strip() == str(sorted(["helper.py", "pkg/__init__.py", "pkg/units.py"]))
    assert result.notes and "big.bin" in result.notes[0]


def test_a_workspace_bigger_than_the_bound_is_copied_in_part_and_says_so(project: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "MAX_COPIED_TOTAL_BYTES", 30)
    result = run_sandboxed(project, {}, python("print('ran')"))
    assert result.stdout == "ran\n"
    assert any("stopped" in note for note in result.notes)


def test_the_environment_is_minimal_and_home_and_tmpdir_are_inside_the_sandbox(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAINLOOP_SECRET_FOR_TEST", "leak")
    result = run_sandboxed(project, {}, python("""
        import json, os
        print(json.dumps({"env": dict(os.environ), "cwd": os.getcwd()}))
    """), env={"EXTRA": "yes"})
    import json

    seen = json.loads(result.stdout)
    environment, cwd = seen["env"], seen["cwd"]
    assert "BRAINLOOP_SECRET_FOR_TEST" not in environment
    assert environment["EXTRA"] == "yes" and environment["PYTHONDONTWRITEBYTECODE"] == "1"
    sandbox_root = Path(cwd).parent
    assert Path(environment["HOME"]).parent == sandbox_root and Path(environment["TMPDIR"]).parent == sandbox_root
    assert environment["PYTHONPATH"] == cwd
    assert not sandbox_root.exists()  # always removed


def test_a_command_that_cannot_start_is_a_result_not_an_exception(project: Path) -> None:
    missing = run_sandboxed(project, {}, ["brainloop-no-such-command"])
    assert missing.returncode is None and "brainloop-no-such-command" in (missing.error or "")
    (project / "script.sh").write_text("#!/bin/sh\necho hi\n")  # not executable
    denied = run_sandboxed(project, {}, ["./script.sh"])
    assert denied.returncode is None and "Permission denied" in (denied.error or "")
    assert run_sandboxed(project, {}, []).error


def test_overlay_paths_and_cwd_cannot_lead_out_of_the_workspace(project: Path) -> None:
    for overlay in ({"../outside.py": ""}, {"/etc/x.py": ""}):
        with pytest.raises(ValueError):
            run_sandboxed(project, overlay, ["true"])
    with pytest.raises(ValueError):
        run_sandboxed(project, {}, ["true"], cwd="../..")
    assert not (project.parent / "outside.py").exists()


@pytest.mark.skipif(not CONFINED, reason="neither Landlock nor root on this machine: writes are not confined")
@pytest.mark.parametrize("shell", [False, True], ids=["python", "sh"])  # as root: uid 0 without capabilities, a uid
def test_no_write_reaches_outside_the_sandbox(project: Path, shell: bool) -> None:
    beside = project.parent / "beside"
    beside.mkdir()
    before = snapshot(project)
    targets = [project / "helper.py", project / "new.txt", beside / "new.txt", Path("/tmp") / secrets.token_hex(8)]
    if shell:
        script = "; ".join(f"echo x > {target}" for target in targets) + f"; rm -f {project / 'helper.py'}"
        script += f"; mkdir {project / 'made'}; echo inside > inside.txt && echo wrote-inside"
        result = run_sandboxed(project, {}, ["sh", "-c", script], env=SYSTEM_PATH)
    else:
        result = run_sandboxed(project, {}, python(f"""
            import os
            for target in {[str(target) for target in targets]!r}:
                try:
                    open(target, "w").write("x")
                    print("WROTE", target)
                except OSError as exc:
                    print("refused", exc.errno)
            for action in (lambda: os.remove({str(project / 'helper.py')!r}),
                           lambda: os.mkdir({str(project / 'made')!r})):
                try:
                    action()
                    print("CHANGED")
                except OSError:
                    pass
            open("inside.txt", "w").write("inside")
            print("wrote-inside")
        """))
    assert "wrote-inside" in result.stdout and "WROTE" not in result.stdout and "CHANGED" not in result.stdout
    assert snapshot(project) == before and not any(beside.iterdir()) and not targets[-1].exists()
    assert not (project / "made").exists()


@pytest.mark.skipif(landlock_abi() < 6, reason="Landlock scopes signals from ABI 6 on")
def test_sandboxed_code_cannot_signal_brainloop(project: Path) -> None:
    result = run_sandboxed(project, {}, python(f"""
        import os, signal
        try:
            os.kill({os.getpid()}, signal.SIGTERM)
        except PermissionError:
            print("refused")
    """))
    assert result.stdout == "refused\n"


def test_isolation_names_what_was_applied(project: Path) -> None:
    result = run_sandboxed(project, {}, ["true"], env=SYSTEM_PATH)
    abi = landlock_abi()
    assert (f"landlock-abi{abi}" in result.isolation) == (abi > 0)
    assert {"rlimits", "process-group", "nproc"} <= set(result.isolation)
    if os.geteuid() == 0:
        assert any(layer.startswith("uid ") for layer in result.isolation)  # /bin/true: reachable by anyone
        unreachable = project.parent / "private"
        unreachable.mkdir(mode=0o700)
        kept = run_sandboxed(project, {}, ["true"], env={"PATH": f"{unreachable}:/usr/bin:/bin"})
        assert "no-capabilities" in kept.isolation and kept.returncode == 0


def test_an_endless_loop_is_killed_at_the_timeout(project: Path) -> None:
    token = secrets.token_hex(6)
    result = run_sandboxed(project, {}, python(f"# {token}\nwhile True:\n    pass\n"), timeout_s=1)
    assert result.timed_out and result.returncode is not None and result.returncode < 0
    assert result.duration_s < 15
    assert survivors(token) == []


@pytest.mark.parametrize("shell", [False, True], ids=["python", "sh"])
def test_a_fork_bomb_is_bounded_and_nothing_survives(project: Path, shell: bool) -> None:
    token = secrets.token_hex(6)
    if shell:
        argv = ["sh", "-c", f"t={token}; bomb() {{ bomb | bomb & }}; bomb; sleep 30"]
        environment = SYSTEM_PATH
    else:
        argv = python(f"""
            # {token}
            import os
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
        """)
        environment = {}
    result = run_sandboxed(project, {}, argv, timeout_s=2, max_processes=32, env=environment)
    assert result.timed_out and result.duration_s < 20
    assert survivors(token) == []


def test_the_process_bound_holds(project: Path) -> None:
    result = run_sandboxed(project, {}, python("""
        import os, time
        made = 0
        for _ in range(100):
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                time.sleep(30)
                os._exit(0)
            made += 1
        print(made)
    """), max_processes=16, timeout_s=10)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) < 16
    assert not result.timed_out  # the sleeping children were killed when the command ended


def test_the_end_is_the_commands_exit_not_its_pipes_closing(project: Path) -> None:
    result = run_sandboxed(project, {}, python("""
        import os, time
        print("bye", flush=True)
        os.close(1)
        os.close(2)
        time.sleep(0.5)
        os._exit(7)
    """), timeout_s=20)
    assert (result.returncode, result.stdout, result.timed_out) == (7, "bye\n", False)


def test_a_background_child_does_not_outlive_the_run(project: Path) -> None:
    token = secrets.token_hex(6)
    result = run_sandboxed(project, {}, ["sh", "-c", f"sleep 30 & echo {token} started"], timeout_s=5, env=SYSTEM_PATH)
    assert result.returncode == 0 and not result.timed_out and result.duration_s < 5
    assert survivors(token) == [] and not [pid for pid in survivors("sleep 30")
                                           if Path(f"/proc/{pid}/cwd").resolve().name == "workspace"]


@pytest.mark.skipif(os.geteuid() != 0, reason="unprivileged, a process that leaves its session cannot be traced")
def test_a_daemon_that_left_the_session_does_not_outlive_the_run(project: Path) -> None:
    token = secrets.token_hex(6)
    result = run_sandboxed(project, {}, python(f"""
        import subprocess, sys
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "{token}"], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print("started")
    """), timeout_s=10)
    assert result.stdout == "started\n" and result.duration_s < 10
    assert survivors(token) == []


def test_unbounded_allocation_fails_inside_the_limit(project: Path) -> None:
    result = run_sandboxed(project, {}, python("""
        chunks = []
        while True:
            chunks.append(bytearray(16 * 1024 * 1024))
    """), memory_mb=256, timeout_s=10)
    assert not result.timed_out and result.returncode != 0
    assert "MemoryError" in result.stderr


def test_megabytes_of_output_are_cut_and_never_held(project: Path) -> None:
    code = python("""
        import sys
        line = "x" * 1023 + "\\n"
        for _ in range(20 * 1024):  # 20 MB on each stream
            sys.stdout.write(line)
            sys.stderr.write(line)
    """)
    tracemalloc.start()
    try:
        result = run_sandboxed(project, {}, code, output_limit=10_000, timeout_s=20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.truncated and not result.timed_out and result.returncode == 0
    for output in (result.stdout, result.stderr):
        head, cut, tail = output.partition(f"\n[… {40 * 1024 * 1024 // 2 - 10_000} bytes left out …]\n")
        assert cut and len(head) == len(tail) == 5_000 and set(head + tail) == {"x", "\n"}
    assert peak < 2 * 1024 * 1024  # while 40 MB went through


def test_no_cgroup_or_temporary_folder_is_left_behind(project: Path) -> None:
    before = {path.name for path in Path(sandbox.tempfile.gettempdir()).glob("brainloop-sandbox-*")}
    run_sandboxed(project, {}, python("import os; os.mkdir('locked'); os.chmod('locked', 0)"))
    after = {path.name for path in Path(sandbox.tempfile.gettempdir()).glob("brainloop-sandbox-*")}
    assert after <= before
    assert not list(Path("/sys/fs/cgroup/pids").glob(f"brainloop-{os.getpid()}-*"))
    assert not list(Path("/sys/fs/cgroup").glob(f"brainloop-{os.getpid()}-*"))
