"""An engine that follows its index on disk, for long-running servers.

`qa add`, `qa remove` or `qa index` in another process (or an upload in the
chat) make a new generation of the index; the chat notices at its next question
(one small file read) and loads it, without a restart.
"""

from __future__ import annotations

import logging
import threading

from .config import Settings
from .engine import Engine
from .store import generation_name

log = logging.getLogger(__name__)


class LiveEngine:
    """Hands out the engine over the newest index of `settings.index_dir`
    (`settings` None: always the engine it was given)."""

    def __init__(self, engine: Engine, settings: Settings | None = None):
        self._engine = engine
        self.settings = settings
        self._lock = threading.Lock()
        self._unloadable: str | None = None  # a generation that failed to load; not retried

    @property
    def current(self) -> Engine:
        if self.settings is None:
            return self._engine
        name = generation_name(self.settings.index_dir)
        if name and name != self._engine.manifest.get("generation") and name != self._unloadable:
            with self._lock:  # one thread loads; the others wait for it
                if name != self._engine.manifest.get("generation") and name != self._unloadable:
                    self._reload(name)
        return self._engine

    def _reload(self, name: str) -> None:
        try:
            self._engine = Engine.open(self.settings, rebuild="never", embedder=self._engine.embedder)
        except Exception as why:  # half-way through someone's update, or broken: keep answering
            self._unloadable = name
            log.warning("the index changed but cannot be loaded yet (%s); answering from the one loaded", why)
            return
        log.info("loaded the new index: %d letters, %d passages", len(self._engine.letters), len(self._engine.passages))
