"""A `%mltrack show` output redrawn while its run is running, from a background thread
(display updates by display_id, so it works while the notebook is idle)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class Refresher:
    """Redraws one output every `every` seconds until its run ends, or until a newer
    `%mltrack show` of the same run takes over (`live` holds one per run)."""

    def __init__(
        self,
        key: str,
        handle: Any,
        render: Callable[[], tuple[str, bool]],
        every: float,
        live: dict[str, Refresher],
    ) -> None:
        self.key, self.handle, self.render, self.every = key, handle, render, max(0.2, every)
        self.live = live
        self._stop = threading.Event()
        self.updates = 0
        old = live.pop(key, None)
        if old is not None:
            old.stop()
        live[key] = self
        self.thread = threading.Thread(target=self._loop, name="mltrack-show", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        from .plain import bundle

        while not self._stop.wait(self.every):
            try:
                markup, running = self.render()
                self.handle.update(bundle(markup), raw=True)
                self.updates += 1
            except Exception:
                break
            if not running:
                break
        if self.live.get(self.key) is self:
            self.live.pop(self.key, None)
