"""A dict that works out each missing value once, on first use.

For lists of thousands of rows whose inputs repeat (the same day, tag list or score input):
the conversion runs once per distinct key, and every later row is a dict look-up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Memo(dict[K, V], Generic[K, V]):
    """`memo[key]` is `compute(key)`, computed the first time `key` is asked for."""

    def __init__(self, compute: Callable[[K], V]) -> None:
        super().__init__()
        self._compute = compute

    def __missing__(self, key: K) -> V:
        value = self[key] = self._compute(key)
        return value
