"""The kernel's half of the comm target "mltrack": ask the lab frontend to save the notebook
and checkpoint it (DESIGN §6).

A kernel busy running a cell does not read its shell channel, so the frontend's comm answer
cannot arrive while `init_run` waits inside the cell. The answer that matters lands in the
store instead: the frontend POSTs the checkpoint with the run id, the server links the run,
and the kernel polls the store for that link (`wait`). The comm reply ({checkpoint_id} or
{error}) is read later, when the cell ends, and tells this kernel that a frontend with the
extension is listening. Until one has answered, a request that times out (2 s) marks the
frontend absent: later requests only say hello and go straight to the kernel's own snapshot,
so papermill or nbclient pay the wait once per kernel, not per run. Nothing is ever sent into
the kernel from outside: after a restart or a rename the frontend computes the path afresh.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

TARGET = "mltrack"
PROTOCOL = 1
WAIT_SECONDS = 2.0
POLL_SECONDS = 0.03

log = logging.getLogger("jupyter_mltrack")


def _kernel() -> Any:
    """The running ipykernel, or None (plain IPython, a script, a test without a kernel)."""
    import sys

    if "ipykernel" not in sys.modules:
        return None
    try:
        from ipykernel.kernelbase import Kernel
    except ImportError:
        return None
    return Kernel.instance() if Kernel.initialized() else None


class Frontend:
    """What this kernel knows of the lab frontend: "unknown" until it answers or times out."""

    def __init__(self) -> None:
        self.state = "unknown"  # unknown | present | absent
        self.replies: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def connected(self) -> bool:
        return _kernel() is not None

    def _on_msg(self, msg: dict[str, Any]) -> None:
        data = (msg.get("content") or {}).get("data") or {}
        rid = data.get("request_id")
        with self._lock:
            self.state = "present"
            if isinstance(rid, str):
                self.replies[rid] = data
                if len(self.replies) > 100:
                    self.replies.pop(next(iter(self.replies)))
        if data.get("error"):
            log.warning("jupyter-mltrack: the lab could not checkpoint: %s", data["error"])

    def _open(self, data: dict[str, Any]) -> bool:
        try:
            import comm

            c = comm.create_comm(target_name=TARGET, data=data)
            c.on_msg(self._on_msg)
            return True
        except Exception as e:  # no comm support: behave as if nobody listens
            log.debug("jupyter-mltrack: cannot open comm: %s", e)
            return False

    def request(self, action: str, **payload: Any) -> str | None:
        """Ask the frontend; returns the request id to wait for, or None when there is no
        point waiting (no kernel, or the frontend known absent: then only a hello goes out)."""
        if not self.connected():
            return None
        rid = uuid.uuid4().hex
        if self.state == "absent":
            self._open({"action": "hello", "request_id": rid, "protocol": PROTOCOL})
            return None
        body = {"action": action, "request_id": rid, "protocol": PROTOCOL, **payload}
        return rid if self._open(body) else None

    def wait(
        self,
        request_id: str,
        found: Callable[[], str | None],
        timeout: float = WAIT_SECONDS,
    ) -> str | None:
        """Poll `found` (the store) until it names the checkpoint, or the reply arrives (an
        idle or async cell), or `timeout` passes. A timeout with no frontend ever heard
        marks it absent."""
        deadline = time.monotonic() + timeout
        while True:
            reply = self.replies.get(request_id)
            if reply is not None and isinstance(reply.get("checkpoint_id"), str):
                return str(reply["checkpoint_id"])
            if reply is not None and reply.get("error"):
                return None
            value = found()
            if value is not None:
                with self._lock:
                    self.state = "present"
                return value
            if time.monotonic() >= deadline:
                with self._lock:
                    if self.state == "unknown":
                        self.state = "absent"
                return None
            time.sleep(POLL_SECONDS)
