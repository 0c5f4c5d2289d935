"""The sandbox every executing check of generated code runs in: a throw-away copy of the workspace with the
candidate files written into it, and a child process that is limited and confined, never Brainloop itself.

What confines the child depends on the machine; `SandboxResult.isolation` names each layer that was applied:

- ``landlock-abiN``: Linux Landlock. The child may write only inside the sandbox folder (the copy, its HOME and
  TMPDIR) and to /dev/null; reading and executing stay allowed everywhere. From ABI 6 on it also cannot signal
  processes outside the sandbox or connect to abstract Unix sockets (an X or D-Bus session, say).
- ``rlimits``: CPU time, address space, size of a written file, no core dumps.
- ``uid N``: run as root, the child becomes a throw-away uid of its own (no passwd entry, no groups), so it
  cannot read root's files (keys, config) and RLIMIT_NPROC holds: Linux never enforces that limit for uid 0.
  Only when the program and every folder on PATH are reachable by other users: below /root (pyenv, pipx,
  cargo) they are not, and the command would fail to start or to find its tools.
- ``no-capabilities``: run as root when the uid cannot be dropped, the child keeps uid 0 without any
  capability: it cannot raise its limits, override permissions, mount, trace or reboot. It still owns what root
  owns: Landlock is what keeps it from writing there.
- ``pids-cgroup``: run as root, a pids cgroup of its own bounds the processes and threads of the run and
  lists every one of them, so none survives the run (a daemon that left the process group included).
- ``nproc``: RLIMIT_NPROC, for an unprivileged uid. The kernel counts every process of that uid, so for a user
  who runs Brainloop unprivileged the limit is the user's current count plus `max_processes`.
- ``process-group``: the child leads a new session; its group is killed at a timeout and at the end.

Without Landlock and without root, a child can write wherever the user can and a process that leaves its
process group (setsid) may outlive the run: the result says so by what `isolation` lacks.
"""

from __future__ import annotations

import ctypes
import math
import os
import resource
import secrets
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath

from brainloop_tui.core import walk
from brainloop_tui.core.walk import VIRTUALENV_MARKER

# What the copy leaves out: Brainloop's state, VCS data, dependencies and caches (a check neither needs them
# nor may change them), files too big to be source, and everything past a total size.
SKIPPED_FOLDERS = walk.SKIPPED_FOLDERS | {".venv", "venv", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox",
                                          ".nox"}
MAX_COPIED_FILE_BYTES = 8 * 1024 * 1024
MAX_COPIED_TOTAL_BYTES = 256 * 1024 * 1024
MAX_COPIED_FILES = 50_000

WRITTEN_FILE_LIMIT_BYTES = 512 * 1024 * 1024  # RLIMIT_FSIZE: a build's biggest output, far below a full disk
READ_CHUNK_BYTES = 65_536
AFTER_EXIT_GRACE_S = 1.0  # how long output is still read once the command ended and the rest was killed
POLL_S = 0.05  # how often the end of the command is looked for while its pipes are quiet
SWEEP_ROUNDS = 50  # kill passes over a run's survivors; each pass kills all that exist, forks included

# The throw-away uids (and gids) of runs as root: far above any distribution's or container's ranges, below
# 2**31 for the tools that still keep a uid in a signed int.
SANDBOX_UID_BASE = 1_900_000_000
SANDBOX_UID_SPAN = 1 << 24

# Linux ABI: Landlock (include/uapi/linux/landlock.h), prctl and capabilities.
_SYS_LANDLOCK_CREATE_RULESET = 444
_SYS_LANDLOCK_ADD_RULE = 445
_SYS_LANDLOCK_RESTRICT_SELF = 446
_LANDLOCK_CREATE_RULESET_VERSION = 1 << 0
_LANDLOCK_RULE_PATH_BENEATH = 1
_FS_WRITE_FILE = 1 << 1  # reading (1 << 2, 1 << 3) and executing (1 << 0) are not handled: allowed everywhere
_FS_REMOVE_DIR, _FS_REMOVE_FILE, _FS_MAKE_CHAR, _FS_MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
_FS_MAKE_REG, _FS_MAKE_SOCK, _FS_MAKE_FIFO, _FS_MAKE_BLOCK, _FS_MAKE_SYM = 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12
_FS_REFER = 1 << 13  # ABI 2
_FS_TRUNCATE = 1 << 14  # ABI 3
_FS_WRITES_ABI1 = (_FS_WRITE_FILE | _FS_REMOVE_DIR | _FS_REMOVE_FILE | _FS_MAKE_CHAR | _FS_MAKE_DIR | _FS_MAKE_REG
                   | _FS_MAKE_SOCK | _FS_MAKE_FIFO | _FS_MAKE_BLOCK | _FS_MAKE_SYM)
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6
_PR_SET_SECUREBITS = 28
_PR_CAPBSET_DROP = 24
_PR_SET_NO_NEW_PRIVS = 38
_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
_SECBITS_ROOT_IS_PLAIN = 0x2F  # NOROOT and NO_SETUID_FIXUP, each locked; KEEP_CAPS off and locked
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


@dataclass(frozen=True, slots=True)
class SandboxResult:
    returncode: int | None  # negative: killed by that signal; None: the command never started
    stdout: str
    stderr: str
    timed_out: bool = False
    truncated: bool = False  # stdout or stderr was longer than the limit: its middle is left out, and says so
    duration_s: float = 0.0
    error: str | None = None  # why the command could not start
    isolation: tuple[str, ...] = ()  # the layers applied, as named in the module's docstring
    notes: tuple[str, ...] = ()  # what the copy of the workspace left out beyond the usual folders


@cache
def _libc() -> ctypes.CDLL:
    library = ctypes.CDLL(None, use_errno=True)
    library.syscall.restype = ctypes.c_long
    return library


@cache
def landlock_abi() -> int:
    """The Landlock ABI version the kernel offers, 0 when it offers none (old kernel, disabled, not Linux)."""
    if not sys.platform.startswith("linux"):
        return 0
    version = _libc().syscall(ctypes.c_long(_SYS_LANDLOCK_CREATE_RULESET), None, ctypes.c_size_t(0),
                              ctypes.c_uint32(_LANDLOCK_CREATE_RULESET_VERSION))
    return max(int(version), 0)


def _landlock_ruleset(writable_folder: Path, abi: int) -> int:
    """A Landlock ruleset (its fd) that handles every kind of write and allows them only below
    `writable_folder` and on /dev/null; reads and execution are not handled, so they stay allowed."""
    writes = _FS_WRITES_ABI1 | (_FS_REFER if abi >= 2 else 0) | (_FS_TRUNCATE if abi >= 3 else 0)
    attr = _RulesetAttr(handled_access_fs=writes, handled_access_net=0,
                        scoped=_SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL if abi >= 6 else 0)
    libc = _libc()
    ruleset = libc.syscall(ctypes.c_long(_SYS_LANDLOCK_CREATE_RULESET), ctypes.byref(attr),
                           ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        file_writes = _FS_WRITE_FILE | (_FS_TRUNCATE if abi >= 3 else 0)  # a rule on a file takes file rights only
        for path, allowed in ((writable_folder, writes), (Path(os.devnull), file_writes)):
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                rule = _PathBeneathAttr(allowed_access=allowed, parent_fd=fd)
                if libc.syscall(ctypes.c_long(_SYS_LANDLOCK_ADD_RULE), ctypes.c_int(ruleset),
                                ctypes.c_int(_LANDLOCK_RULE_PATH_BENEATH), ctypes.byref(rule), ctypes.c_uint32(0)):
                    raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
            finally:
                os.close(fd)
    except BaseException:
        os.close(ruleset)
        raise
    return int(ruleset)


def _last_capability() -> int:
    try:
        return int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    except (OSError, ValueError):
        return 40  # CAP_CHECKPOINT_RESTORE, the last one of Linux 5.9 to 6.x


def _pids_cgroup(max_tasks: int) -> Path | None:
    """A new pids cgroup that admits `max_tasks` tasks (processes and threads), or None when this machine
    lets us create none (not root, no pids controller, a read-only cgroup mount in a container)."""
    unified = Path("/sys/fs/cgroup")
    candidates = [unified] if (unified / "cgroup.controllers").exists() else [unified / "pids"]
    for parent in candidates:
        try:
            if parent == unified and "pids" not in (parent / "cgroup.subtree_control").read_text().split():
                continue
            group = parent / f"brainloop-{os.getpid()}-{secrets.token_hex(4)}"
            group.mkdir()
        except OSError:
            continue
        try:
            (group / "pids.max").write_text(str(max_tasks))
        except OSError:
            group.rmdir()
            continue
        return group
    return None


def _tasks_of_uid(uid: int) -> int | None:
    """How many tasks (threads included, as RLIMIT_NPROC counts them) the real uid `uid` has now; None
    without a /proc to count them in (macOS)."""
    if not Path("/proc/self/status").exists():
        return None
    count = 0
    for entry in _proc_entries():
        try:
            fields = dict(line.split(":", 1) for line in (entry / "status").read_text().splitlines() if ":" in line)
            if int(fields["Uid"].split()[0]) == uid:
                count += int(fields["Threads"])
        except (OSError, KeyError, ValueError):
            continue
    return count


def _proc_entries() -> Iterator[Path]:
    try:
        yield from (entry for entry in Path("/proc").iterdir() if entry.name.isdigit())
    except OSError:
        return


def _running(pid: int) -> bool:
    """Whether `pid` is a process not yet dead: a zombie only waits to be reaped, killing it again is moot."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return status[status.rindex(")") + 2:][:1] not in ("Z", "X", "")


def _pids_of_uid(uid: int) -> list[int]:
    found = []
    for entry in _proc_entries():
        try:
            if entry.stat().st_uid == uid and _running(int(entry.name)):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _pids_in_cgroup(group: Path) -> list[int]:
    try:
        return [int(pid) for pid in (group / "cgroup.procs").read_text().split() if _running(int(pid))]
    except (OSError, ValueError):
        return []


def _kill_all(list_pids: Callable[[], list[int]]) -> None:
    """SIGKILL every process `list_pids` names, again until it names none: a process forked while a pass
    ran is killed by the next one, and a killed process forks no more."""
    for _ in range(SWEEP_ROUNDS):
        pids = list_pids()
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                continue
        time.sleep(0.01)


def _searchable_by_others(folder: Path) -> bool:
    try:
        return all(part.stat().st_mode & stat.S_IXOTH for part in (folder.resolve(), *folder.resolve().parents))
    except (OSError, RuntimeError):
        return False


def _usable_by_others(path: Path, owned_root: Path, depth: int = 0) -> bool:
    """Whether a uid that owns nothing outside `owned_root` can execute `path`: every folder on the way
    (as written and as resolved) searchable by others, the file executable by others, and for a script its
    interpreter too; a Python interpreter also needs its prefix (the standard library) readable."""
    try:
        real = path.resolve(strict=True)
        for folder in {*path.absolute().parents, *real.parents}:
            if not folder.is_relative_to(owned_root) and not folder.stat().st_mode & stat.S_IXOTH:
                return False
        if real.is_relative_to(owned_root):
            return True
        mode = real.stat().st_mode
        if not mode & stat.S_IXOTH:
            return False
        with real.open("rb") as handle:
            first_line = handle.readline(256)
    except (OSError, RuntimeError):
        return False
    if first_line.startswith(b"#!"):
        interpreter = first_line[2:].split()
        return bool(mode & stat.S_IROTH) and bool(interpreter) and depth < 2 and _usable_by_others(
            Path(os.fsdecode(interpreter[0])), owned_root, depth + 1)
    if real.name.startswith("python"):
        library = real.parent.parent / "lib"  # the prefix's lib/, where the standard library is
        return _searchable_by_others(library) and os.access(library, os.R_OK) and bool(
            library.stat().st_mode & stat.S_IROTH)
    return True


def _copy_workspace(source: Path, destination: Path) -> tuple[str, ...]:
    """Copy what a check may need from `source` into the existing folder `destination`; returns notes on
    what was left out beyond the usual folders. Symbolic links are copied as links, special files skipped."""
    budget = {"bytes": MAX_COPIED_TOTAL_BYTES, "files": MAX_COPIED_FILES}
    too_big: list[str] = []
    cut: list[str] = []

    def copy_folder(folder: Path, target: Path, rel: PurePosixPath) -> None:
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            return
        if rel.parts and any(entry.name == VIRTUALENV_MARKER for entry in entries):
            return
        for entry in entries:
            if cut:
                return
            entry_rel = rel / entry.name
            destination_path = target / entry.name
            try:
                if entry.is_symlink():
                    os.symlink(os.readlink(entry.path), destination_path)
                elif entry.is_dir():
                    if entry.name not in SKIPPED_FOLDERS:
                        destination_path.mkdir()
                        copy_folder(Path(entry.path), destination_path, entry_rel)
                elif entry.is_file():
                    size = entry.stat().st_size
                    if size > MAX_COPIED_FILE_BYTES:
                        too_big.append(str(entry_rel))
                    elif size > budget["bytes"] or budget["files"] == 0:
                        cut.append(str(entry_rel))
                    else:
                        shutil.copy2(entry.path, destination_path)
                        budget["bytes"] -= size
                        budget["files"] -= 1
            except OSError:
                continue  # unreadable or vanished meanwhile: the copy goes on without it

    copy_folder(source, destination, PurePosixPath())
    notes = []
    if too_big:
        notes.append(f"{len(too_big)} file(s) over {MAX_COPIED_FILE_BYTES // (1024 * 1024)} MB left out of the "
                     f"copy, e.g. {too_big[0]}")
    if cut:
        notes.append(f"the copy of the workspace stopped at {cut[0]}: more than "
                     f"{MAX_COPIED_TOTAL_BYTES // (1024 * 1024)} MB or {MAX_COPIED_FILES} files")
    return tuple(notes)


def _inside(root: Path, relative: str, what: str) -> Path:
    """`root / relative`, refused (ValueError) when it is absolute or leads out of `root`, links followed."""
    if not relative or "\x00" in relative or PurePosixPath(relative).is_absolute():
        raise ValueError(f"{what} must be a relative path inside the workspace: {relative!r}")
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise ValueError(f"{what} leads out of the workspace: {relative!r}")
    return path


def _write_overlay(copy_root: Path, overlay: Mapping[str, str]) -> None:
    for relative, text in overlay.items():
        path = _inside(copy_root, relative, "an overlay path")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    os.lchown(root, uid, gid)
    for folder, folder_names, file_names in os.walk(root):
        for name in (*folder_names, *file_names):
            os.lchown(os.path.join(folder, name), uid, gid)


def _resolve_program(program: str, path_variable: str, cwd: Path) -> Path | None:
    if "/" in program:
        return cwd / program
    found = shutil.which(program, path=path_variable)
    return Path(found) if found else None


def _prctl(option: int, argument: int) -> int:
    zero = ctypes.c_ulong(0)
    return int(_libc().prctl(ctypes.c_int(option), ctypes.c_ulong(argument), zero, zero, zero))


@dataclass(frozen=True, slots=True)
class _Confinement:
    """What the child applies to itself between fork and exec, every fd and number prepared by the parent
    (the parent has threads: the child must only make system calls, not take locks or allocate much)."""

    limits: tuple[tuple[int, int], ...]
    landlock_ruleset: int | None
    cgroup_procs: int | None  # an fd open for writing on the cgroup's member list
    uid: int | None  # drop to this uid (and gid) from root
    last_capability: int | None  # stay uid 0 without any capability (0 to this one), when uid is None

    def __call__(self) -> None:
        libc = _libc()
        if self.cgroup_procs is not None:
            os.write(self.cgroup_procs, str(os.getpid()).encode())
        # No setuid or file-capability program gives anything back (Landlock requires it too).
        if _prctl(_PR_SET_NO_NEW_PRIVS, 1):
            raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
        if self.landlock_ruleset is not None and libc.syscall(
                ctypes.c_long(_SYS_LANDLOCK_RESTRICT_SELF), ctypes.c_int(self.landlock_ruleset), ctypes.c_uint32(0)):
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
        if self.uid is not None:
            os.setgroups([])
            os.setresgid(self.uid, self.uid, self.uid)
            os.setresuid(self.uid, self.uid, self.uid)  # from root to another uid: every capability goes
        elif self.last_capability is not None:
            # Root's execve grants the bounding set (plus the inheritable set): empty both, and lock the
            # securebits so that uid 0 is an ordinary uid from here on.
            if _prctl(_PR_SET_SECUREBITS, _SECBITS_ROOT_IS_PLAIN):
                raise OSError(ctypes.get_errno(), "PR_SET_SECUREBITS failed")
            for capability in range(self.last_capability + 1):
                _prctl(_PR_CAPBSET_DROP, capability)
            _prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL)
            header = _CapHeader(version=_LINUX_CAPABILITY_VERSION_3, pid=0)
            if libc.capset(ctypes.byref(header), ctypes.byref((_CapData * 2)())):
                raise OSError(ctypes.get_errno(), "capset failed")
        # The limits come last: the address-space limit may be below what this fork of Brainloop maps
        # already, which only matters until exec, as long as nothing allocates after it.
        for limit, value in self.limits:
            resource.setrlimit(limit, (value, value))

    def close(self) -> None:
        """Close the parent's fds, once the child has its copies."""
        for fd in (self.landlock_ruleset, self.cgroup_procs):
            if fd is not None:
                os.close(fd)


def _limits(timeout_s: float, memory_mb: int, nproc: int | None) -> tuple[tuple[int, int], ...]:
    # The wall clock is the real bound on time; the CPU limit stops, each on its own, the spinning processes
    # that the kill at the timeout could miss.
    limits = [
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_CPU, math.ceil(timeout_s) + 1),
        (resource.RLIMIT_AS, memory_mb * 1024 * 1024),
        (resource.RLIMIT_FSIZE, WRITTEN_FILE_LIMIT_BYTES),
    ]
    if nproc is not None:
        limits.append((resource.RLIMIT_NPROC, nproc))
    # A limit is only ever lowered: an unprivileged parent cannot raise a hard limit it was given.
    return tuple((kind, min(value, _hard_limit(kind))) for kind, value in limits)


def _hard_limit(kind: int) -> int:
    hard = resource.getrlimit(kind)[1]
    return sys.maxsize if hard == resource.RLIM_INFINITY else hard


def sandbox_environment(sandbox: Path, copy_root: Path, extra: Mapping[str, str] | None) -> dict[str, str]:
    """The child's whole environment: nothing of Brainloop's own (no keys), HOME and TMPDIR in the sandbox,
    the copy importable."""
    home, temp = sandbox / "home", sandbox / "tmp"
    # USER and LOGNAME: getpass (pytest's tmp_path) asks them first, and a throw-away uid has no passwd entry.
    environment = {
        "PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8", "HOME": str(home), "TMPDIR": str(temp),
        "USER": "sandbox", "LOGNAME": "sandbox", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(copy_root),
    }
    environment.update(extra or {})
    return environment


def _linux_root() -> bool:
    """Whether Brainloop runs as root on Linux, where uids, capabilities and cgroups are the barriers."""
    return os.geteuid() == 0 and sys.platform.startswith("linux")


def _confinement(sandbox: Path, program: Path | None, path_variable: str, group: Path | None, timeout_s: float,
                 memory_mb: int, max_processes: int) -> tuple[_Confinement, tuple[str, ...]]:
    """What the child will apply to itself on this machine, and the names of those layers."""
    isolation: list[str] = []
    uid = None
    nproc: int | None = max_processes
    if _linux_root():
        # A throw-away uid only when whatever the command may run is within its reach: the program, and
        # every folder on PATH (`sh -c 'pytest'` reaches a pytest below /root through PATH).
        if program is not None and _usable_by_others(program, sandbox) and all(
                _searchable_by_others(Path(folder)) for folder in path_variable.split(os.pathsep)
                if folder and os.path.isdir(folder)):
            uid = SANDBOX_UID_BASE + secrets.randbelow(SANDBOX_UID_SPAN)
            _chown_tree(sandbox, uid, uid)
            isolation.append(f"uid {uid}")
        else:
            nproc = None  # uid 0 is exempt from RLIMIT_NPROC: only the cgroup bounds its processes
            isolation.append("no-capabilities")
        if group is not None:
            isolation.append("pids-cgroup")
    else:
        tasks = _tasks_of_uid(os.getuid())
        nproc = None if tasks is None else tasks + max_processes
    if nproc is not None:
        isolation.append("nproc")
    isolation.extend(("rlimits", "process-group"))
    abi = landlock_abi()
    ruleset = _landlock_ruleset(sandbox, abi) if abi else None
    if ruleset is not None:
        isolation.insert(0, f"landlock-abi{abi}")
    cgroup_procs = os.open(group / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC) if group is not None else None
    confinement = _Confinement(limits=_limits(timeout_s, memory_mb, nproc), landlock_ruleset=ruleset,
                               cgroup_procs=cgroup_procs, uid=uid,
                               last_capability=_last_capability() if "no-capabilities" in isolation else None)
    return confinement, tuple(isolation)


def run_sandboxed(
    workspace: Path,
    overlay: Mapping[str, str],
    argv: Sequence[str],
    *,
    cwd: str = ".",
    timeout_s: float = 10,
    memory_mb: int = 1024,
    max_processes: int = 64,
    output_limit: int = 64_000,
    env: Mapping[str, str] | None = None,
) -> SandboxResult:
    """Run `argv` in a temporary copy of `workspace` with the `overlay` files (workspace-relative path → text)
    written in, confined as the module's docstring says. `cwd` is relative to the copy's root; `env` adds to
    the minimal environment. Of an output longer than `output_limit` bytes, its first and last halves are
    kept. Blocking: the async core calls it in a thread. An `overlay` path or `cwd` that leads out of the
    workspace raises ValueError; a command that cannot start gives a result with `error`."""
    if not argv:
        return SandboxResult(returncode=None, stdout="", stderr="", error="no command to run")
    sandbox = Path(tempfile.mkdtemp(prefix="brainloop-sandbox-")).resolve()
    group: Path | None = None
    try:
        copy_root = sandbox / "workspace"
        for folder in (copy_root, sandbox / "home", sandbox / "tmp"):
            folder.mkdir()
        notes = _copy_workspace(workspace, copy_root)
        _write_overlay(copy_root, overlay)
        child_cwd = copy_root if cwd in ("", ".") else _inside(copy_root, cwd, "cwd")
        child_cwd.mkdir(parents=True, exist_ok=True)
        environment = sandbox_environment(sandbox, copy_root, env)
        program = _resolve_program(argv[0], environment["PATH"], child_cwd)
        group = _pids_cgroup(max_processes) if _linux_root() else None
        confinement, isolation = _confinement(sandbox, program, environment["PATH"], group, timeout_s, memory_mb,
                                              max_processes)
        try:
            return _run(argv, child_cwd, environment, confinement, timeout_s, output_limit, group, isolation, notes)
        finally:
            confinement.close()
    finally:
        if group is not None:
            _remove_cgroup(group)
        _remove_tree(sandbox)


def _run(argv: Sequence[str], cwd: Path, environment: dict[str, str], confinement: _Confinement, timeout_s: float,
         output_limit: int, group: Path | None, isolation: tuple[str, ...], notes: tuple[str, ...]) -> SandboxResult:
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            list(argv), cwd=cwd, env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True, preexec_fn=confinement,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return SandboxResult(returncode=None, stdout="", stderr="", duration_s=time.monotonic() - started,
                             error=f"cannot start {argv[0]!r}: {reason}", isolation=isolation, notes=notes)

    sandbox_uid = confinement.uid

    def kill_everything() -> None:
        # The process stays unreaped (a zombie) until the end, so its pid, the group's id, is not reused.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except OSError:
            pass
        if group is not None:
            _kill_all(lambda: _pids_in_cgroup(group))
        if sandbox_uid is not None:
            _kill_all(lambda: _pids_of_uid(sandbox_uid))

    try:
        stdout, stderr, timed_out = _collect(process, started + timeout_s, output_limit, kill_everything)
    finally:
        kill_everything()
        process.stdout.close()  # type: ignore[union-attr]
        process.stderr.close()  # type: ignore[union-attr]
        returncode = process.wait()
    return SandboxResult(
        returncode=returncode, stdout=stdout.text(), stderr=stderr.text(), timed_out=timed_out,
        truncated=bool(stdout.left_out or stderr.left_out), duration_s=time.monotonic() - started, isolation=isolation,
        notes=notes,
    )


class _Capture:
    """What is kept of one output stream: its first and its last half of `limit` bytes, never more."""

    def __init__(self, limit: int) -> None:
        self._head_limit, self._tail_limit = limit - limit // 2, limit // 2
        self._head, self._tail = bytearray(), bytearray()
        self.left_out = 0

    def add(self, chunk: bytes) -> None:
        room = self._head_limit - len(self._head)
        if room > 0:
            self._head += chunk[:room]
            chunk = chunk[room:]
        self._tail += chunk
        excess = len(self._tail) - self._tail_limit
        if excess > 0:
            del self._tail[:excess]
            self.left_out += excess

    def text(self) -> str:
        cut = f"\n[… {self.left_out} bytes left out …]\n".encode() if self.left_out else b""
        return bytes(self._head + cut + self._tail).decode("utf-8", "replace")


def _collect(process: subprocess.Popen[bytes], deadline: float, limit: int,
             kill_everything: Callable[[], None]) -> tuple[_Capture, _Capture, bool]:
    """Read stdout and stderr as they come into a `_Capture` each (so the child never blocks on a full pipe
    and the parent never holds more than the limit). Ends at the deadline (the last value: True), or once the
    command ended: then whatever it left running is killed and the pipes drain."""
    captures = {process.stdout: _Capture(limit), process.stderr: _Capture(limit)}
    timed_out = False
    ended_at: float | None = None
    with selectors.DefaultSelector() as selector:
        for stream in captures:
            selector.register(stream, selectors.EVENT_READ)  # type: ignore[arg-type]
        while True:
            now = time.monotonic()
            # Its end is what the process itself does, not its pipes closing: a program may close them first.
            if ended_at is None and os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
                ended_at = now
                kill_everything()
            if ended_at is not None and (not selector.get_map() or now >= ended_at + AFTER_EXIT_GRACE_S):
                break  # drained, or something that escaped the kill still holds a pipe open
            if ended_at is None and now >= deadline:
                timed_out = True
                break
            wait_s = min(POLL_S, max(deadline - now, 0.0))
            if not selector.get_map():
                time.sleep(wait_s)
                continue
            for key, _ in selector.select(timeout=wait_s):
                chunk = os.read(key.fd, READ_CHUNK_BYTES)
                if chunk:
                    captures[key.fileobj].add(chunk)  # type: ignore[index]
                else:
                    selector.unregister(key.fileobj)
    return captures[process.stdout], captures[process.stderr], timed_out  # type: ignore[index]


def _remove_cgroup(group: Path) -> None:
    # A killed process leaves the cgroup once its parent (or init) has reaped it: wait a little for that.
    for _ in range(100):
        _kill_all(lambda: _pids_in_cgroup(group))
        try:
            group.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)


def _remove_tree(root: Path) -> None:
    try:
        shutil.rmtree(root)
    except OSError:
        # An unprivileged child may have taken the permissions off folders it made: give them back, folder by
        # folder before entering it (never through a link), and remove what can be.
        os.chmod(root, stat.S_IRWXU)
        for folder, folder_names, _ in os.walk(root):
            for name in folder_names:
                path = os.path.join(folder, name)
                if not os.path.islink(path):
                    try:
                        os.chmod(path, stat.S_IRWXU)
                    except OSError:
                        continue
        shutil.rmtree(root, ignore_errors=True)
