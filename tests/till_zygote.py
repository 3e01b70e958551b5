"""Tills started by forking a Python that has imported the till once (issue 18: the
suite's time is its CPU, and a till's imports are a third of a till's start).

``python -m tests.till_zygote FD`` imports the modules ``python -m pos`` imports, then waits
on the Unix socket ``FD`` for requests: a till's arguments, environment and folder, with
its pty's slave end passed along (``SCM_RIGHTS``). For each it forks; the child takes a
session of its own, the pty as its standard streams, the environment and the arguments,
and runs ``pos`` as ``python -m pos`` does, through the interpreter's normal exit
(``atexit``, threads, exit status). The zygote answers with the child's pid, and says when
each child ends and how (its exit status, or the signal that killed it), since only it can
wait for them.

The start-up benchmark (``tests/benchmarks/bench_startup.py``) starts its tills cold, as a
shop does: what it measures is the imports.
"""

from __future__ import annotations

import array
import io
import json
import os
import random
import runpy
import select
import signal
import socket
import sys
from typing import Any


def _warm() -> None:
    """What ``python -m pos`` imports before the till's first screen, imported once."""
    import pos.app  # noqa: F401
    import pos.cli  # noqa: F401
    import pos.factory  # noqa: F401
    import pos.screens.login  # noqa: F401
    import pos.screens.scan  # noqa: F401


def _send(sock: socket.socket, message: dict[str, Any]) -> None:
    sock.sendall(json.dumps(message).encode() + b"\n")


def _receive(sock: socket.socket) -> tuple[dict[str, Any], int] | None:
    """One request and the pty slave passed with it; None when the test process is gone."""
    fds = array.array("i")
    data = b""
    slave = -1
    while not data.endswith(b"\n"):
        chunk, ancillary, _, _ = sock.recvmsg(65536, socket.CMSG_SPACE(fds.itemsize))
        if not chunk:
            return None
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(payload[: len(payload) - (len(payload) % fds.itemsize)])
                slave = fds[0]
        data += chunk
    return json.loads(data), slave


def _report_exits(sock: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _send(sock, {"exit": pid, "code": os.waitstatus_to_exitcode(status)})


def _serve(sock: socket.socket) -> dict[str, Any] | None:
    """Fork a till per request; returns in a child only (its request), None when done."""
    while True:
        ready, _, _ = select.select([sock], [], [], 0.05)
        _report_exits(sock)
        if not ready:
            continue
        got = _receive(sock)
        if got is None:
            return None
        request, slave = got
        pid = os.fork()
        if pid == 0:
            sock.close()
            _become_till(request, slave)
            return request
        os.close(slave)
        _send(sock, {"pid": pid})


def _become_till(request: dict[str, Any], slave: int) -> None:
    """In the child: a session of its own with the pty as the standard streams (as
    ``subprocess.Popen(..., start_new_session=True)`` starts a cold till: the pty is not
    made the session's controlling terminal, so closing it sends no SIGHUP), the
    request's folder, environment and arguments, a random state of its own."""
    os.setsid()
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    if slave > 2:
        os.close(slave)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = request["argv"]
    random.seed()
    # the standard streams as Python makes them on a terminal (line-buffered text)
    streams = {"stdin": io.TextIOWrapper(io.FileIO(0, "r", closefd=False))}
    for fd, name in ((1, "stdout"), (2, "stderr")):
        streams[name] = io.TextIOWrapper(
            io.FileIO(fd, "w", closefd=False), line_buffering=True, write_through=True
        )
    for name, stream in streams.items():
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def main() -> None:
    _warm()
    sock = socket.socket(fileno=int(sys.argv[1]))
    request = _serve(sock)
    if request is None:
        return
    runpy.run_module("pos", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
