"""A small MessagePack decoder: enough to read what a tracer sends an agent, no third-party dependency.

Covers the whole format (nil, booleans, integers, floats, str, bin, arrays, maps, ext); ext values come back
as ``ExtType(code, data)``.  Strings are decoded as UTF-8, undecodable bytes replaced.
"""

from __future__ import annotations

import struct
from typing import Any
from typing import Callable
from typing import Dict
from typing import List
from typing import NamedTuple
from typing import Tuple


class ExtType(NamedTuple):
    code: int
    data: bytes


class MsgpackError(ValueError):
    """The bytes are not (complete) MessagePack."""


_Reader = Callable[[bytes, int], Tuple[Any, int]]

_FIXED: Dict[int, Tuple[str, int]] = {
    0xCA: (">f", 4),
    0xCB: (">d", 8),
    0xCC: (">B", 1),
    0xCD: (">H", 2),
    0xCE: (">I", 4),
    0xCF: (">Q", 8),
    0xD0: (">b", 1),
    0xD1: (">h", 2),
    0xD2: (">i", 4),
    0xD3: (">q", 8),
}
# type byte -> (size format, size length, kind)
_SIZED: Dict[int, Tuple[str, int, str]] = {
    0xC4: (">B", 1, "bin"),
    0xC5: (">H", 2, "bin"),
    0xC6: (">I", 4, "bin"),
    0xD9: (">B", 1, "str"),
    0xDA: (">H", 2, "str"),
    0xDB: (">I", 4, "str"),
    0xDC: (">H", 2, "array"),
    0xDD: (">I", 4, "array"),
    0xDE: (">H", 2, "map"),
    0xDF: (">I", 4, "map"),
    0xC7: (">B", 1, "ext"),
    0xC8: (">H", 2, "ext"),
    0xC9: (">I", 4, "ext"),
}
_FIXEXT = {0xD4: 1, 0xD5: 2, 0xD6: 4, 0xD7: 8, 0xD8: 16}


def _take(data: bytes, pos: int, size: int) -> bytes:
    end = pos + size
    if end > len(data):
        raise MsgpackError(f"truncated data: wanted {size} bytes at offset {pos}, have {len(data) - pos}")
    return data[pos:end]


def _decode(data: bytes, pos: int, depth: int) -> Tuple[Any, int]:
    if pos >= len(data):
        raise MsgpackError(f"truncated data at offset {pos}")
    if depth > 512:
        raise MsgpackError("nesting too deep")
    b = data[pos]
    pos += 1
    if b <= 0x7F:
        return b, pos
    if b >= 0xE0:
        return b - 0x100, pos
    if 0xA0 <= b <= 0xBF:
        size = b & 0x1F
        return _take(data, pos, size).decode("utf-8", "replace"), pos + size
    if 0x90 <= b <= 0x9F:
        return _array(data, pos, b & 0x0F, depth)
    if 0x80 <= b <= 0x8F:
        return _map(data, pos, b & 0x0F, depth)
    if b == 0xC0:
        return None, pos
    if b == 0xC2:
        return False, pos
    if b == 0xC3:
        return True, pos
    fixed = _FIXED.get(b)
    if fixed is not None:
        fmt, size = fixed
        return struct.unpack(fmt, _take(data, pos, size))[0], pos + size
    sized = _SIZED.get(b)
    if sized is not None:
        fmt, length, kind = sized
        (size,) = struct.unpack(fmt, _take(data, pos, length))
        pos += length
        if kind == "array":
            return _array(data, pos, size, depth)
        if kind == "map":
            return _map(data, pos, size, depth)
        if kind == "ext":
            code = struct.unpack(">b", _take(data, pos, 1))[0]
            return ExtType(code, _take(data, pos + 1, size)), pos + 1 + size
        raw = _take(data, pos, size)
        return (raw.decode("utf-8", "replace") if kind == "str" else raw), pos + size
    if b in _FIXEXT:
        size = _FIXEXT[b]
        code = struct.unpack(">b", _take(data, pos, 1))[0]
        return ExtType(code, _take(data, pos + 1, size)), pos + 1 + size
    raise MsgpackError(f"invalid type byte 0x{b:02x} at offset {pos - 1}")


def _array(data: bytes, pos: int, size: int, depth: int) -> Tuple[List[Any], int]:
    items = []
    for _ in range(size):
        item, pos = _decode(data, pos, depth + 1)
        items.append(item)
    return items, pos


def _map(data: bytes, pos: int, size: int, depth: int) -> Tuple[Dict[Any, Any], int]:
    result: Dict[Any, Any] = {}
    for _ in range(size):
        key, pos = _decode(data, pos, depth + 1)
        value, pos = _decode(data, pos, depth + 1)
        if isinstance(key, (list, dict)):
            key = repr(key)  # unhashable keys: never sent by a tracer, kept readable
        result[key] = value
    return result, pos


def unpackb(data: bytes) -> Any:
    """Decode one MessagePack object that fills ``data`` exactly."""
    value, pos = _decode(bytes(data), 0, 0)
    if pos != len(data):
        raise MsgpackError(f"{len(data) - pos} extra bytes after the object")
    return value
