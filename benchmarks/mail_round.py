"""Benchmark a registration round that arrives by e-mail, against a real Dovecot on 127.0.0.1.

    python benchmarks/mail_round.py --units 300        (tests/test_mail_benchmark.py runs it with --units 8)

Generates (fixed seed) N units and their returned registration workbooks (the real template, 20 tasks each),
puts one message per unit in the IMAP mailbox (5 % of them zipped, 2 % forwarded as an attached message, the
rest plain attachments with Vietnamese names), then times `mail fetch` and `collect` through the library, and a
second fetch (which must fetch nothing). Needs Dovecot (Debian package dovecot-imapd). Writes
benchmarks/mail_results.json (or --out).
"""

from __future__ import annotations

import argparse
import imaplib
import io
import json
import os
import random
import shutil
import ssl
import sys
import tempfile
import time
import zipfile
from datetime import date, datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "tests"), str(HERE)]

from mailservers import PASSWORD, USER, Dovecot  # noqa: E402
from run import make_registry, task_rows  # noqa: E402

from toolkit.context import load_context  # noqa: E402
from toolkit.intake.collect import collect  # noqa: E402
from toolkit.mail.fetch import fetch_round  # noqa: E402
from toolkit.outputs.templates import build_template  # noqa: E402
from toolkit.periods import parse_period  # noqa: E402
from toolkit.round import open_round  # noqa: E402
from toolkit.workspace.config import init_workspace  # noqa: E402

VN = timezone(timedelta(hours=7))


def messages(ctx, units, rng: random.Random, rows: int, scratch: Path):
    """(raw message, date sent) per unit: 5 % zipped, 2 % forwarded, the rest plain."""
    form, period = ctx.form("registration"), parse_period("2025")
    out, kinds = [], {"plain": 0, "zip": 0, "forwarded": 0}
    for i, (code, name, kind, *_) in enumerate(units):
        if kind != "Xã, phường":
            continue
        path = scratch / f"{code}.xlsx"
        build_template(path, form, ctx.registry.units[code], period, date(2025, 1, 31), ctx.registry,
                       prefill={"tasks": task_rows(code, name.replace("Đảng ủy ", ""), rng, rows)})
        data = path.read_bytes()
        path.unlink()
        sent = datetime(2025, 1, 10, 8, tzinfo=VN) + timedelta(minutes=37 * i)
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = f"x{i}@example.vn", USER, f"Đăng ký nhiệm vụ năm 2025 – {name}"
        msg["Date"], msg["Message-ID"] = format_datetime(sent), f"<bench-{i}@example.vn>"
        msg.set_content("Kính gửi Văn phòng Tỉnh ủy.")
        roll = rng.random()
        if roll < 0.05:
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(f"Đăng ký {name}.xlsx", data)
            msg.add_attachment(buf.getvalue(), maintype="application", subtype="zip", filename=f"{code}.zip")
            kinds["zip"] += 1
        elif roll < 0.07:
            inner = EmailMessage()
            inner["From"], inner["Subject"], inner["Date"] = f"vt{i}@example.vn", "Đăng ký", format_datetime(sent)
            inner.set_content("Chuyển Văn phòng.")
            inner.add_attachment(data, maintype="application", subtype="octet-stream", filename=f"Đăng ký {name}.xlsx")
            msg.add_attachment(inner)
            kinds["forwarded"] += 1
        else:
            msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=f"Đăng ký {name}.xlsx")
            kinds["plain"] += 1
        out.append((msg.as_bytes(), sent))
    return out, kinds


def fill_mailbox(imap: Dovecot, msgs) -> None:
    c = imaplib.IMAP4_SSL("127.0.0.1", imap.tls_port, ssl_context=ssl.create_default_context(cafile=imap.cert))
    c.authenticate("PLAIN", lambda _: f"\0{USER}\0{PASSWORD}".encode())
    for raw, sent in msgs:
        c.append("INBOX", None, imaplib.Time2Internaldate(sent.timestamp()), raw)
    c.logout()


def run(n: int, rows: int, work: Path) -> dict:
    rng = random.Random(11)
    ws = init_workspace(work / "ws", periods=["2025"])
    units = make_registry(ws.registry_path, n, rng)
    ws.settings["expected_kinds"] = {"registration": ["Xã, phường"], "progress": ["Xã, phường"],
                                     "breakthrough": [], "followup": []}
    ws.save()
    ws.set_period(parse_period("2025"), date(2025, 1, 31))
    ctx = load_context(ws)
    t0 = time.perf_counter()
    msgs, kinds = messages(ctx, units, rng, rows, Path(tempfile.mkdtemp(dir=work)))
    generate_s = time.perf_counter() - t0
    (work / "imap").mkdir()
    imap = Dovecot(work / "imap")
    try:
        t0 = time.perf_counter()
        fill_mailbox(imap, msgs)
        fill_s = time.perf_counter() - t0
        ws.settings["mail"] = {"imap": {"host": "127.0.0.1", "port": imap.tls_port, "security": "tls", "user": USER,
                                        "ca_file": str(imap.cert)}}
        ws.save()
        env = {"TOOLKIT_MAIL_PASSWORD": PASSWORD}
        rnd = open_round(ws.root, "2025", "registration")
        t0 = time.perf_counter()
        fetched = fetch_round(rnd, env=env)
        fetch_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = collect(open_round(ws.root, "2025", "registration"))
        collect_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = fetch_round(rnd, env=env)
        refetch_s = time.perf_counter() - t0
    finally:
        imap.stop()
    judged = sum(1 for f in result.files if f.status in ("accepted", "warnings", "rejected"))
    late = sum(1 for f in result.files if f.late_days)
    total = fetch_s + collect_s
    return {"units": n, "messages": len(msgs), "kinds": kinds, "rows_per_workbook": rows,
            "generate_s": round(generate_s, 2), "fill_mailbox_s": round(fill_s, 2),
            "fetch_s": round(fetch_s, 2), "collect_s": round(collect_s, 2), "refetch_s": round(refetch_s, 2),
            "fetched": len(fetched.fetched), "refetched": len(again.fetched), "judged": judged, "late": late,
            "ms_per_message_fetch": round(1000 * fetch_s / max(1, len(msgs)), 1),
            "ms_per_message_fetch_and_collect": round(1000 * total / max(1, len(msgs)), 1),
            "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=300)
    ap.add_argument("--rows", type=int, default=20)
    ap.add_argument("--out", default=str(HERE / "mail_results.json"))
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="toolkit-mail-bench-"))
    try:
        res = run(args.units, args.rows, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    Path(args.out).write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps(res, ensure_ascii=False, indent=1))
    return res


if __name__ == "__main__":
    main()
