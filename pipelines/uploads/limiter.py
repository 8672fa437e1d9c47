"""Repeated wrong upload tokens from one browser session or one address: slowed down, then refused for a while.

    attempts 1-3 in 15 minutes    checked at once
    attempts 4-6                  each waits 1, 2, then 4 s before it is checked
    after 6 wrong tokens          refused for 15 minutes, whatever the token ("try again after HH:MM UTC")

Counted per browser session and per client address (either reaching the limit is enough); a correct token
clears its session's count. Each wrong token and each lockout is logged (logger `sps.uploads`) with the city,
the address and the count, never the token. The state lives in the dashboard process (a restart clears it):
the secret's 192 random bits make guessing hopeless anyway; this stops a script from trying, and says so.

The upload page reaches it through `pipelines.uploads.api.verify_upload_token_limited`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipelines.errors import SpsError
from pipelines.uploads.tokens import TokenRejected, token_city, verify_upload_token

log = logging.getLogger("sps.uploads")

FREE_ATTEMPTS = 3
LOCK_AFTER = 6
WINDOW_S = 15 * 60
LOCKOUT_S = 15 * 60
MAX_DELAY_S = 4.0


class TooManyWrongTokens(SpsError):
    def __init__(self, until: datetime) -> None:
        self.until = until
        self.hint = "If you lost your token, ask the secretariat for a new one."
        super().__init__(
            f"too many wrong upload tokens from this browser or address: uploads are refused until {until:%H:%M} UTC."
        )


@dataclass
class _Record:
    failures: deque = field(default_factory=deque)  # monotonic times of wrong tokens within the window
    locked_until: float = 0.0


class TokenLimiter:
    def __init__(self, clock=time.monotonic, sleep=time.sleep) -> None:
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()
        self._clock, self._sleep = clock, sleep

    def _record(self, key: str, now: float) -> _Record:
        record = self._records.setdefault(key, _Record())
        while record.failures and now - record.failures[0] > WINDOW_S:
            record.failures.popleft()
        return record

    def delay_for(self, keys: list[str]) -> tuple[float, float]:
        """(seconds to wait before checking, monotonic time the lockout ends or 0)."""
        now = self._clock()
        with self._lock:
            records = [self._record(key, now) for key in keys]
            locked = max((r.locked_until for r in records if r.locked_until > now), default=0.0)
            count = max((len(r.failures) for r in records), default=0)
        if locked:
            return 0.0, locked
        if count < FREE_ATTEMPTS:
            return 0.0, 0.0
        return min(MAX_DELAY_S, 2.0 ** (count - FREE_ATTEMPTS)), 0.0

    def failed(self, keys: list[str]) -> tuple[int, float]:
        """Count a wrong token; (the largest count, monotonic time a lockout it started ends, or 0)."""
        now = self._clock()
        with self._lock:
            locked, count = 0.0, 0
            for key in keys:
                record = self._record(key, now)
                record.failures.append(now)
                count = max(count, len(record.failures))
                if len(record.failures) >= LOCK_AFTER:
                    record.locked_until = now + LOCKOUT_S
                    record.failures.clear()
                    locked = record.locked_until
        return count, locked

    def succeeded(self, session_key: str) -> None:
        with self._lock:
            self._records.pop(session_key, None)

    def _wall(self, monotonic_at: float) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=monotonic_at - self._clock())

    def verify(self, data_dir: Path, token: str, city: str, session: str, address: str | None) -> str:
        """`verify_upload_token`, slowed down and then refused for a session or address that keeps failing."""
        return self.guarded(lambda: verify_upload_token(data_dir, token, city), city, session, address)

    def city_of(self, data_dir: Path, token: str, session: str, address: str | None) -> str:
        """`token_city` (the city a token may write, which the upload page offers), limited the same way: asking
        which city a token belongs to is a token check too."""
        return self.guarded(lambda: token_city(data_dir, token), "an unknown city", session, address)

    def guarded(self, check, city: str, session: str, address: str | None) -> str:
        """Run the token `check`; slowed down and then refused for a session or address that keeps failing."""
        keys = [f"session:{session}"] + ([f"address:{address}"] if address else [])
        delay, locked = self.delay_for(keys)
        where = f"address {address or 'local'}, session {session[:8]}"
        if locked:
            until = self._wall(locked)
            log.warning("upload token attempt refused (locked out until %s) for %s: %s", until, city, where)
            raise TooManyWrongTokens(self._wall(locked))
        if delay:
            self._sleep(delay)
        try:
            answer = check()
        except TokenRejected as exc:
            count, locked = self.failed(keys)
            log.warning("upload token rejected for %s (%s): %s wrong token(s) in 15 min; %s", city, exc, count, where)
            if locked:
                log.warning("upload tokens locked out until %s for %s", self._wall(locked), where)
                raise TooManyWrongTokens(self._wall(locked)) from None
            raise
        self.succeeded(keys[0])
        return answer


LIMITER = TokenLimiter()


def verify_upload_token_limited(data_dir: Path, token: str, city: str, session: str, address: str | None) -> str:
    return LIMITER.verify(data_dir, token, city, session, address)


def token_city_limited(data_dir: Path, token: str, session: str, address: str | None) -> str:
    return LIMITER.city_of(data_dir, token, session, address)
