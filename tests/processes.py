"""Child processes for the tests, which none may leave behind.

Each child runs in a session (and so a process group) of its own, and the whole group is killed
when the test is done with it, whether the test passed or failed: a server started with
:func:`orbitctl_process` never outlives its test, nor does a grandchild of a script run with
:func:`run_process`.

A child inherits an ignored SIGINT: the shell ignores SIGINT in every background job, so the
suite run in the background (``pytest &``, ``nohup``, some CI runners) would start children that
Ctrl-C cannot stop. :func:`orbitctl_process` sets SIGINT to Python's default handler (Ctrl-C
raises KeyboardInterrupt) in the child before orbitctl starts, whatever the suite inherited.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence

#: Runs ``python -m orbitctl ARGS`` with SIGINT handled as in a foreground terminal.
_CTRL_C_STOPS = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'orbitctl'; runpy.run_module('orbitctl', run_name='__main__', alter_sys=True)"
)

def orbitctl_command(*args: str) -> list[str]:
    """The command line of ``orbitctl ARGS`` in a child whose SIGINT stops it (see above)."""
    return [sys.executable, "-c", _CTRL_C_STOPS, *args]


def _kill_group(process: subprocess.Popen) -> None:
    """Kill the child's process group (the child and anything it started), then reap the child."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@contextlib.contextmanager
def orbitctl_process(*args: str, **popen) -> Iterator[subprocess.Popen]:
    """``orbitctl ARGS`` as a child process (text pipes for stdout and stderr unless ``popen``
    says otherwise); when the block ends, its group is killed. Within the block the test may
    signal it, ``communicate()`` with it and read its exit code."""
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    popen.setdefault("text", True)
    process = subprocess.Popen(orbitctl_command(*args), start_new_session=True, **popen)
    try:
        yield process
    finally:
        _kill_group(process)
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def run_process(command: Sequence[str], *, timeout: float, **popen) -> subprocess.CompletedProcess:
    """``subprocess.run(command, capture_output=True, text=True)``, in a session of its own: on a
    timeout (or any other failure) the whole group is killed, grandchildren included, before the
    exception reaches the test."""
    popen.setdefault("text", True)
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, **popen
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        _kill_group(process)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
