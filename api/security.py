"""Who is calling (API key or JWT), whether the route needs it, and per-caller rate limits."""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import jwt
import redis
from pyrate_limiter import Duration, InMemoryBucket, Rate, RateItem, RedisBucket

from api.errors import ApiError
from api.keys import ApiKey, KeyStore
from factor_mart.settings import Settings


@dataclass(frozen=True)
class Principal:
    """The caller: a key id, a JWT subject, or an anonymous client address."""

    id: str
    kind: str  # "key", "jwt" or "anonymous"
    rate_limit_per_minute: int


def token_from(headers, query_params) -> str | None:
    """The credential from `X-API-Key`, `Authorization: Bearer`, or `api_key` (streams only)."""
    if key := headers.get("x-api-key"):
        return key
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return query_params.get("api_key")


class KeyCache:
    """Verified API keys (and rejected tokens) remembered for `seconds`, so a request does not
    open the key store each time. A revoked key therefore keeps working for at most `seconds`
    in each server process; 0 turns the cache off. Entries are keyed by the token's SHA-256,
    not the secret itself, and the cache is bounded (least recently used out first)."""

    def __init__(self, keys: KeyStore, seconds: float, size: int = 10_000) -> None:
        self.keys, self.seconds, self.size = keys, seconds, size
        self._entries: OrderedDict[str, tuple[float, ApiKey | None]] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, token: str) -> ApiKey | None:
        if self.seconds <= 0:
            return self.keys.verify(token)
        digest = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(digest)
            if entry is not None and entry[0] > now:
                self._entries.move_to_end(digest)
                return entry[1]
        key = self.keys.verify(token)
        with self._lock:
            self._entries[digest] = (now + self.seconds, key)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return key


class Authenticator:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.keys = KeyCache(KeyStore(settings), settings.api_key_cache_seconds)

    def identify(self, token: str | None, client: str) -> Principal | None:
        """The principal a token proves, anonymous without one; None for a bad token."""
        default = self.settings.api_rate_limit_per_minute
        if not token:
            return Principal(f"anon:{client}", "anonymous", default)
        key = self.keys.verify(token)
        if key is not None:
            return Principal(f"key:{key.key_id}", "key", key.rate_limit_per_minute or default)
        if self.settings.api_jwt_secret and token.count(".") == 2:
            try:
                claims = jwt.decode(token, self.settings.api_jwt_secret, algorithms=["HS256"],
                                    options={"require": ["sub", "exp"]})
            except jwt.PyJWTError:
                return None
            limit = claims.get("rate_limit_per_minute")
            return Principal(f"jwt:{claims['sub']}", "jwt",
                             int(limit) if isinstance(limit, int) and limit > 0 else default)
        return None

    def authorise(self, group: str, token: str | None, client: str) -> Principal:
        """The caller if allowed on a route of `group`; 401 otherwise."""
        principal = self.identify(token, client)
        if principal is None:
            raise ApiError(401, "invalid_credentials",
                           "the API key or token is unknown, revoked, expired or malformed",
                           headers={"WWW-Authenticate": "Bearer"})
        needs_key = self.settings.api_auth and group not in self.settings.api_public_routes
        if needs_key and principal.kind == "anonymous":
            raise ApiError(401, "missing_credentials",
                           f"{group} routes need an API key (X-API-Key header) or a bearer token",
                           headers={"WWW-Authenticate": "Bearer"})
        return principal


class RateLimiter:
    """A sliding one-minute window per principal (pyrate-limiter buckets).

    In memory per process by default; in Redis (shared by every worker) when `redis_url` is set.
    """

    def __init__(self, redis_url: str | None = None) -> None:
        self._buckets: dict[str, InMemoryBucket | RedisBucket] = {}
        self._lock = threading.Lock()
        self._redis = redis.Redis.from_url(redis_url) if redis_url else None

    def _bucket(self, principal: Principal) -> InMemoryBucket | RedisBucket:
        rates = [Rate(principal.rate_limit_per_minute, Duration.MINUTE)]
        if self._redis is None:
            return InMemoryBucket(rates)
        return RedisBucket.init(rates, self._redis, f"factor_mart:rate:{principal.id}")

    def check(self, principal: Principal) -> None:
        """Count one request; 429 with Retry-After when the caller is over its limit."""
        now = int(time.time() * 1000)
        item = RateItem(principal.id, now)
        with self._lock:
            bucket = self._buckets.get(principal.id)
            if bucket is None or bucket.rates[0].limit != principal.rate_limit_per_minute:
                bucket = self._bucket(principal)
                self._buckets[principal.id] = bucket
            bucket.leak(now)
            if bucket.put(item):
                return
            wait_ms = bucket.waiting(item)
        retry_after = max(1, math.ceil(wait_ms / 1000))
        raise ApiError(429, "rate_limited",
                       f"more than {principal.rate_limit_per_minute} requests a minute; "
                       f"retry in {retry_after} s", headers={"Retry-After": str(retry_after)})
