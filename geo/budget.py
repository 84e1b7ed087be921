"""Heavy work on a user's file with a time budget, in a worker process.

A file that takes long to read must not hold anyone else: in a web app every session's script
runs in one interpreter, so a parse that holds it for a minute freezes every visitor's page. The
work runs in a child process (forked: it inherits the loaded boundaries and modules, so nothing
is loaded twice) while the caller only waits on a pipe, and the child is ended when the budget is
spent, with one line that names the file.
"""
from __future__ import annotations

import multiprocessing
import pickle
import resource
import traceback
from typing import Any, Callable

from .errors import AssetError, DataError, GeoError, InputError


def _child(conn, fn: Callable, args: tuple, kwargs: dict, cpu_seconds: int) -> None:
    # The CPU limit is a second fence: the parent ends the child at the wall-clock budget, the
    # kernel at the CPU budget if the parent cannot (it is itself stuck or gone).
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    limit = cpu_seconds if hard == resource.RLIM_INFINITY else min(cpu_seconds, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (limit, hard))
    try:
        answer = ("ok", fn(*args, **kwargs))
    except GeoError as e:  # the user's file: its one-line message, re-raised in the caller
        answer = ("refused", type(e).__name__, str(e))
    except BaseException as e:  # noqa: BLE001  a bug: the caller reports it as one
        answer = ("bug", f"{type(e).__name__}: {e}", traceback.format_exc())
    try:
        conn.send_bytes(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception as e:  # noqa: BLE001  an answer that cannot be pickled is a bug too
        conn.send_bytes(pickle.dumps(("bug", f"unpicklable answer: {e}", "")))
    conn.close()


def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def within_budget(fn: Callable[..., Any], *args, file: str, seconds: float, **kwargs) -> Any:
    """fn(*args, **kwargs) in a worker process; its answer, or InputError naming `file` when it
    needs more than `seconds` (the worker is ended then). An InputError of the work is raised as
    one with the same message; anything else is raised as a RuntimeError (a bug)."""
    ctx = _context()
    receive, send = ctx.Pipe(duplex=False)
    worker = ctx.Process(target=_child, args=(send, fn, args, kwargs, int(seconds) + 2), daemon=True)
    worker.start()
    send.close()  # the child holds its end: EOF here once it exits
    try:
        if not receive.poll(seconds):
            raise InputError(f"this file needs more than {seconds:g} s to read; use the command line for it "
                             "(python -m geo), which has no time limit", file=file)
        try:
            answer = pickle.loads(receive.recv_bytes())
        except EOFError:  # the worker died without answering (killed, out of memory, CPU limit)
            raise InputError(f"this file could not be read within the limits of the app (the reader "
                             f"stopped, exit code {worker.exitcode}); use the command line for it",
                             file=file) from None
    finally:
        receive.close()
        if worker.is_alive():
            worker.kill()
        worker.join(5)
    if answer[0] == "ok":
        return answer[1]
    if answer[0] == "refused":
        # The message already names the file, row and column: keep it exactly, and the kind.
        raise {"DataError": DataError, "AssetError": AssetError}.get(answer[1], InputError)(answer[2])
    raise RuntimeError(f"reading {file} failed: {answer[1]}\n{answer[2]}")
