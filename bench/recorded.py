"""What the replay benches share (first_sync.py, pull_replay.py): which tree's code runs, and
how a recorded server answer is found again.

Import this before anything of the project: `use_code` puts the chosen tree first on the path.
"""

from __future__ import annotations

import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
ANSWERS = "answers.pickle"
Key = tuple[str, str, tuple[tuple[str, str], ...]]


def use_code(argv: list[str]) -> Path:
    """Put the tree whose code runs first on the path: `--code TREE` if given (an old checkout
    measured against this one on the same recording), else this one."""
    tree = Path(argv[argv.index("--code") + 1]).resolve() if "--code" in argv else ROOT
    sys.path.insert(0, str(tree))
    return tree


def answer_key(request: httpx.Request) -> Key:
    """A request as its recorded answer is filed: method, path and query, not the body."""
    return (request.method, request.url.path, tuple(sorted(request.url.params.items())))


Handler = Callable[[httpx.Request], httpx.Response]


def kept_headers(response: httpx.Response) -> dict[str, str]:
    """The headers of an answer a replay serves again: the protocol's own (X-…), such as the
    pull's next-page headers (wire.NEXT_CURSOR_HEADER). Recordings made before they were kept
    replay without them."""
    return {k: v for k, v in response.headers.items() if k.lower().startswith("x-")}


def load_recording(folder: Path) -> tuple[dict[str, Any], Handler]:
    """What `record` kept in `folder`, and a handler (for httpx.MockTransport) that answers each
    request with the server's recorded answer to it."""
    with open(folder / ANSWERS, "rb") as source:
        recorded: dict[str, Any] = pickle.load(source)
    answers: dict[Key, bytes] = recorded["answers"]
    headers: dict[Key, dict[str, str]] = recorded.get("headers", {})

    def answer(request: httpx.Request) -> httpx.Response:
        key = answer_key(request)
        return httpx.Response(200, content=answers[key],
                              headers={"Content-Type": "application/json",
                                       **headers.get(key, {})})

    return recorded, answer
