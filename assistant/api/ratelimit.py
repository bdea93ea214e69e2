"""A per-client sliding-window rate limit (feedback posts); one instance lives on the app state."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class RateLimiter:
    """At most ``per_window`` events per key in any ``window`` seconds.  Keys are client addresses;
    the least recently seen are forgotten beyond ``max_keys``, so memory stays bounded."""

    def __init__(self, per_window: int, window: float = 60.0, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic):
        self.per_window = per_window
        self.window = window
        self.max_keys = max_keys
        self.clock = clock
        self._events: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> int | None:
        """None if the event is allowed (and counted); otherwise whole seconds until it would be."""
        now = self.clock()
        with self._lock:
            events = self._events.pop(key, None) or deque()
            while events and events[0] <= now - self.window:
                events.popleft()
            self._events[key] = events
            while len(self._events) > self.max_keys:
                self._events.popitem(last=False)
            if len(events) >= self.per_window:
                return max(1, math.ceil(events[0] + self.window - now))
            events.append(now)
            return None
