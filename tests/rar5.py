"""Write small RAR5 archives for the tests (no library writes RAR): members stored uncompressed, which rarfile
reads by itself, or marked compressed, which rarfile hands to an unrar program (RAR 5.0 archive format)."""

from __future__ import annotations

import struct
import zlib


def _vint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _block(kind: int, flags: int, body: bytes, data_size: int | None = None) -> bytes:
    fields = _vint(kind) + _vint(flags | (0x0002 if data_size is not None else 0))
    if data_size is not None:
        fields += _vint(data_size)
    fields += body
    head = _vint(len(fields)) + fields
    return struct.pack("<I", zlib.crc32(head)) + head


def build_rar(members: dict[str, bytes], compressed: bool = False) -> bytes:
    out = bytearray(b"Rar!\x1a\x07\x01\x00")
    out += _block(1, 0, _vint(0))  # main archive header
    for name, data in members.items():
        raw = name.encode("utf-8")
        method = 3 if compressed else 0  # 0 = store; 3 = normal compression (the data is then nonsense)
        body = (_vint(0x0004) + _vint(len(data)) + _vint(0x20) + struct.pack("<I", zlib.crc32(data))
                + _vint(method << 7) + _vint(0) + _vint(len(raw)) + raw)
        out += _block(2, 0, body, data_size=len(data)) + data
    out += _block(5, 0, _vint(0))  # end of archive
    return bytes(out)
