"""Stopping a run from outside (`mltrack abort RUN`, `POST /mltrack/api/runs/<id>/abort`, the
lab panel): the request sets `runs.abort_requested`; the run's writer reads that flag after
every flush (every `flush_period`, a second by default, not only with the 10 s heartbeat) and
calls `Lifecycle.on_abort` in the writer thread, which ends the run and then calls
`interrupt_main` here unless init_run(interrupt_on_abort=False). So the code running gets its
KeyboardInterrupt about a flush period after the request (bench/bench_abort.py measures it).

Order matters. The run is ended first, as `aborted`, with everything logged so far flushed, and
only then is the main thread interrupted: the KeyboardInterrupt that follows unwinds the
user's code (a `with` block, the client's exit hooks) into a run that is already ended, so it
cannot turn the run into `failed` half-way.

Interrupting: with a Python-level SIGINT handler in place (scripts; a kernel while it executes
a cell) SIGINT is sent to the main thread itself, which, unlike `_thread.interrupt_main()`
alone, also wakes a `time.sleep()` or a blocking read. Where SIGINT is ignored (a script
started in the background by a shell) the KeyboardInterrupt is raised asynchronously in the
main thread instead. An idle kernel has nothing to interrupt and is left alone.
"""

from __future__ import annotations

import _thread
import ctypes
import signal
import sys
import threading


def interrupt_main() -> str:
    """Raise KeyboardInterrupt in the main thread; returns how (or why not), for the notice."""
    main = threading.main_thread()
    if main is threading.current_thread():
        raise KeyboardInterrupt("run aborted on request")
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        if hasattr(signal, "pthread_kill") and main.ident is not None:
            signal.pthread_kill(main.ident, signal.SIGINT)
        else:
            _thread.interrupt_main()
        return "interrupted"
    if "ipykernel" in sys.modules:
        return "kernel idle"
    if main.ident is not None and main.is_alive():
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(main.ident), ctypes.py_object(KeyboardInterrupt)
        )
        return "interrupted"
    return "no main thread"
