"""`toolkit run --fetch` and the Excel panel's mail buttons (fetch, dry run, send), against Dovecot and aiosmtpd."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime

import pytest
from click.testing import CliRunner
from conftest import task
from mailservers import PASSWORD, USER, Dovecot, SmtpServer, need_dovecot
from test_mail_round import VN, _message, _workbook
from test_panel import FakeBook, _choose, _press, _saved

from toolkit.cli import cli
from toolkit.panel import ACTIONS, build_panel

BUTTON = {key: i + 2 for i, (key, _) in enumerate(ACTIONS)}  # Button 1 is ▶ Chạy


@pytest.fixture
def servers(tmp_path):
    need_dovecot()
    (tmp_path / "srv").mkdir()
    imap = Dovecot(tmp_path / "srv")
    smtp = SmtpServer(tmp_path / "srv", implicit_tls=False)
    yield imap, smtp
    smtp.stop()
    imap.stop()


def test_run_fetches_first_and_the_panel_drafts_before_it_sends(ws, ctx, servers, monkeypatch):
    imap, smtp = servers
    monkeypatch.setenv("TOOLKIT_MAIL_PASSWORD", PASSWORD)
    ws.settings["mail"] = {"imap": {"host": "127.0.0.1", "port": imap.plain_port, "security": "starttls",
                                    "user": USER, "ca_file": str(imap.cert)},
                           "smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "starttls", "user": USER,
                                    "ca_file": str(smtp.cert)}}
    ws.save()
    runner = CliRunner()
    assert runner.invoke(cli, ["templates", str(ws.root), "--form", "registration", "--period", "2025"]).exit_code == 0
    sent = datetime(2025, 1, 22, 8, tzinfo=VN)
    good, bad = _workbook(ctx, "XLS"), _workbook(ctx, "XCP", [task("XCP-01", area="Sai")])
    imap.append(_message("xls@hoaan.dcs.vn", "Đăng ký Lương Sơn", sent, [("Đăng ký.xlsx", good)]).as_bytes(), sent)
    imap.append(_message("xcp@hoaan.dcs.vn", "Đăng ký Cao Phong", sent, [("Đăng ký.xlsx", bad)]).as_bytes(), sent)

    run = runner.invoke(cli, ["run", str(ws.root), "--period", "2025", "--fetch"])
    assert run.exit_code == 1, run.output  # XCP's return is rejected
    assert "Tải thư: Đã xem 2 thư" in run.output and "tải về 2 thư" in run.output

    panel = build_panel(ws)
    book = FakeBook(panel)
    _choose(book, "Tình hình nộp")
    _press(book, BUTTON["mail_send"])  # no draft yet: refused, nothing sent
    assert smtp.messages == [] and "Soạn thư trả lời" in book.app.alerts[-1]
    _press(book, BUTTON["mail_draft"])
    drafted = _saved(panel, "Kết quả tiếp nhận")
    assert drafted[0][:3] == ("Mã đơn vị", "Đơn vị", "Loại thư") and smtp.messages == []
    kinds = {r[0]: r[2] for r in drafted[1:]}
    assert kinds["XCP"] == "Phản hồi" and kinds.get("XLS") is None
    assert sum(k == "Nhắc nộp" for k in kinds.values()) == 17
    _press(book, BUTTON["mail_send"])
    assert len(smtp.messages) == 18 and {r[5] for r in _saved(panel, "Kết quả tiếp nhận")[1:]} == {"Đã gửi"}
    feedback = next(email.message_from_bytes(m["data"], policy=email.policy.default) for m in smtp.messages
                    if "xcp@hoaan.dcs.vn" in m["to"])
    assert [a.get_filename() for a in feedback.iter_attachments()] == ["Đăng_ký_phan_hoi.xlsx"]
    _press(book, BUTTON["mail_fetch"])
    log = _saved(panel, "Nhật ký")
    assert log[-1][1:3] == ("Tải thư về", "Xong") and "tải về 0 thư" in log[-1][3]
