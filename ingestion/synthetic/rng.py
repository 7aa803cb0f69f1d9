"""Per-key random generators: every payload depends only on (seed, key), never on request order."""

from __future__ import annotations

import hashlib

import numpy as np


def key_rng(seed: int, *parts: object) -> np.random.Generator:
    """A generator from ``seed`` and a stable hash of ``parts`` (not Python's salted hash)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=16).digest()
    words = np.frombuffer(digest, dtype=np.uint32).tolist()
    return np.random.default_rng(np.random.SeedSequence([seed, *words]))


def student_t(rng: np.random.Generator, df: float, size: int | tuple[int, ...]) -> np.ndarray:
    """Student-t draws scaled to unit variance (fat tails without changing the volatility)."""
    return rng.standard_t(df, size) / np.sqrt(df / (df - 2.0))
