"""How a place is written: in an event (a dotted path), in a schema (a JSON pointer), and a
file as a person reads it (relative to a folder when inside it)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any


def dotted(prefix: str, parts: Iterable[Any]) -> str:
    """detail + [webRTCSession, usedDevices, 3] -> detail.webRTCSession.usedDevices[3]."""
    path = prefix
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def pointer(parts: Iterable[Any]) -> str:
    """[properties, a/b] -> /properties/a~1b (RFC 6901); [] -> '' (the whole document)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def shown(path: Path, base: Path | None = None) -> str:
    """`path` relative to `base` (default: the working directory) when inside it."""
    try:
        return str(path.relative_to(base or Path.cwd()))
    except ValueError:
        return str(path)
