"""Write Outlook .msg files for the tests: a small Compound File Binary (MS-CFB v3) writer and the MS-OXMSG
layout that Outlook saves (subject, sender, transport headers, body, attachments by value, an embedded message).
No library on PyPI writes .msg files; extract-msg (the reader under test) reads what this writes."""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from email.utils import format_datetime

FREE, END, FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
SECTOR, MINI, CUTOFF = 512, 64, 4096


class _Node:
    def __init__(self, name: str, data: bytes | None = None):
        self.name, self.data = name, data  # data None: a storage
        self.children: list[_Node] = []
        self.sid = 0
        self.start = END
        self.left = self.right = self.child = FREE

    def add(self, node: _Node) -> _Node:
        self.children.append(node)
        return node


def _key(node: _Node):
    return (len(node.name), node.name.upper())


def _tree(nodes: list[_Node]) -> int:
    """A balanced binary search tree (all black) of siblings; returns the root's id."""
    if not nodes:
        return FREE
    nodes = sorted(nodes, key=_key)
    mid = len(nodes) // 2
    nodes[mid].left = _tree(nodes[:mid])
    nodes[mid].right = _tree(nodes[mid + 1:])
    return nodes[mid].sid


def write_cfb(root: _Node) -> bytes:
    order: list[_Node] = []

    def walk(n: _Node):
        n.sid = len(order)
        order.append(n)
        for c in n.children:
            walk(c)

    walk(root)
    for n in order:
        if n.data is None:
            n.child = _tree(n.children)
    mini_data, minifat = bytearray(), []
    big: list[_Node] = []
    for n in order[1:]:
        if n.data is None:
            continue
        if len(n.data) < CUTOFF:
            n.start = len(mini_data) // MINI if n.data else END
            count = -(-len(n.data) // MINI)
            minifat += [n.start + i + 1 for i in range(count - 1)] + ([END] if count else [])
            mini_data += n.data + b"\0" * (count * MINI - len(n.data))
        else:
            big.append(n)
    sectors: list[bytes] = []
    fat: list[int] = []

    def put(data: bytes) -> int:
        count = max(1, -(-len(data) // SECTOR))
        first = len(sectors)
        for i in range(count):
            sectors.append(data[i * SECTOR:(i + 1) * SECTOR].ljust(SECTOR, b"\0"))
            fat.append(first + i + 1 if i < count - 1 else END)
        return first

    root.start = put(bytes(mini_data)) if mini_data else END
    if not mini_data:
        sectors.clear()
        fat.clear()
    for n in big:
        n.start = put(n.data)
    minifat_start = put(b"".join(struct.pack("<I", x) for x in minifat)) if minifat else END
    entries = bytearray()
    for n in order:
        name = n.name.encode("utf-16-le") + b"\0\0"
        kind = 5 if n is root else (1 if n.data is None else 2)
        size = len(mini_data) if n is root else (len(n.data) if n.data is not None else 0)
        entries += struct.pack("<64sHBBIII16sIQQIQ", name.ljust(64, b"\0"), len(name), kind, 1, n.left, n.right,
                               n.child, b"\0" * 16, 0, 0, 0, n.start if (n.data is not None or n is root) else 0, size)
    entries += b"\0" * (-len(entries) % SECTOR)
    dir_start = put(bytes(entries))
    n_fat = 1
    while (len(fat) + n_fat) > n_fat * (SECTOR // 4):
        n_fat += 1
    fat_ids = list(range(len(sectors), len(sectors) + n_fat))
    fat += [FATSECT] * n_fat
    fat += [FREE] * (n_fat * (SECTOR // 4) - len(fat))
    fat_bytes = b"".join(struct.pack("<I", x) for x in fat)
    difat = fat_ids + [FREE] * (109 - len(fat_ids))
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\0" * 16, 0x3E, 3, 0xFFFE,
                         9, 6, b"\0" * 6, 0, n_fat, dir_start, 0, CUTOFF, minifat_start,
                         -(-len(minifat) * 4 // SECTOR) if minifat else 0, END, 0)
    header += b"".join(struct.pack("<I", x) for x in difat)
    return header + b"".join(sectors) + fat_bytes


def _u(text: str) -> bytes:
    return text.encode("utf-16-le")


def _filetime(d: datetime) -> int:
    return int((d - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10_000_000)


def _props(header: bytes, fixed: list[tuple[int, int]], strings: dict[int, bytes]) -> bytes:
    out = bytearray(header)
    for tag, value in fixed:
        out += struct.pack("<IIQ", tag, 6, value)
    for tag, data in strings.items():
        out += struct.pack("<IIII", tag, 6, len(data) + (2 if tag & 0xFFFF == 0x1F else 0), 0)
    return bytes(out)


def _message(node: _Node, subject: str, sender: str, sent: datetime, message_id: str, body: str,
             attachments: list, top: bool) -> None:
    headers = (f"From: {sender}\r\nTo: vanphong@tinhuy.local\r\nSubject: {subject}\r\n"
               f"Date: {format_datetime(sent)}\r\nMessage-ID: <{message_id}>\r\nMIME-Version: 1.0\r\n\r\n")
    strings = {0x001A001F: _u("IPM.Note"), 0x0037001F: _u(subject), 0x0C1F001F: _u(sender),
               0x0C1A001F: _u(sender.split("@")[0]), 0x1000001F: _u(body), 0x1035001F: _u(f"<{message_id}>"),
               0x007D001F: _u(headers), 0x0E1D001F: _u(subject)}
    for tag, data in strings.items():
        node.add(_Node(f"__substg1.0_{tag:08X}", data))
    head = struct.pack("<8sIIII8s", b"\0" * 8, 0, len(attachments), 0, len(attachments), b"\0" * 8) if top else \
        struct.pack("<8sIIII", b"\0" * 8, 0, len(attachments), 0, len(attachments))
    fixed = [(0x00390040, _filetime(sent)), (0x0E060040, _filetime(sent)), (0x0E070003, 0)]
    node.add(_Node("__properties_version1.0", _props(head, fixed, strings)))
    for i, att in enumerate(attachments):
        a = node.add(_Node(f"__attach_version1.0_#{i:08X}"))
        if isinstance(att, dict):  # an embedded message (a forwarded one)
            a.add(_Node("__properties_version1.0", _props(b"\0" * 8, [(0x37050003, 5)], {})))
            inner = a.add(_Node("__substg1.0_3701000D"))
            _message(inner, att["subject"], att["sender"], att.get("date", sent), att.get("message_id", f"in{i}"),
                     "", att.get("attachments", []), top=False)
            continue
        name, data = att
        s = {0x3707001F: _u(name), 0x3704001F: _u(name[:8]), 0x3703001F: _u("." + name.rsplit(".", 1)[-1])}
        for tag, value in s.items():
            a.add(_Node(f"__substg1.0_{tag:08X}", value))
        a.add(_Node("__substg1.0_37010102", data))
        a.add(_Node("__properties_version1.0", _props(b"\0" * 8, [(0x37050003, 1)], {**s, 0x37010102: data})))


def build_msg(subject: str, sender: str, sent: datetime, attachments: list, message_id: str = "msg-1@donvi.local",
              body: str = "Kính gửi Văn phòng.") -> bytes:
    """An Outlook message; attachments are (name, bytes) or dicts for embedded messages
    ({subject, sender, attachments})."""
    root = _Node("Root Entry")
    nameid = root.add(_Node("__nameid_version1.0"))
    for tag in ("00020102", "00030102", "00040102"):
        nameid.add(_Node(f"__substg1.0_{tag}", b""))
    _message(root, subject, sender, sent, message_id, body, attachments, top=True)
    return write_cfb(root)
