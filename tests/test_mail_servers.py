"""Connecting to the office's servers as set up in settings.yaml: IMAP over STARTTLS (143) and TLS (993), SMTP
over TLS (465) and STARTTLS (587), the password from the OS keyring, and a clear Vietnamese message (exit 2)
for a wrong password, a server that does not answer and a certificate that is not trusted."""

from __future__ import annotations

import json

import keyring
import pytest
from click.testing import CliRunner
from keyring.backend import KeyringBackend
from mailservers import PASSWORD, USER, Dovecot, SmtpServer, free_port, need_dovecot
from test_mail_round import _message

from toolkit.cli import cli

ENV = {"TOOLKIT_MAIL_PASSWORD": PASSWORD}


class MemoryKeyring(KeyringBackend):
    """A keyring backend kept in memory (the OS keyrings need a desktop session)."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        self.items.pop((service, username), None)


pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture(scope="module")
def imap(tmp_path_factory):
    need_dovecot()
    server = Dovecot(tmp_path_factory.mktemp("imap"))
    yield server
    server.stop()


def _settings(ws, **imap):
    ws.settings["mail"] = {"imap": {"host": "127.0.0.1", "user": USER, **imap}}
    ws.save()


def _fetch(ws, env=ENV):
    return CliRunner().invoke(cli, ["mail", "fetch", str(ws.root), "--period", "2025", "--json"], env=env)


def test_imap_starttls_and_the_password_from_the_keyring(ws, imap):
    imap.append(_message("btc@hoaan.dcs.vn", "Đăng ký", __import__("datetime").datetime(2025, 1, 20),
                         [("BTC.xlsx", b"PK\x03\x04 workbook")]).as_bytes())
    _settings(ws, port=imap.plain_port, security="starttls", ca_file=str(imap.cert))
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        missing = _fetch(ws, env={"TOOLKIT_MAIL_PASSWORD": ""})
        assert missing.exit_code == 2 and "toolkit mail password" in missing.output
        saved = CliRunner().invoke(cli, ["mail", "password", str(ws.root)], input=f"{PASSWORD}\n{PASSWORD}\n")
        assert saved.exit_code == 0, saved.output
        result = _fetch(ws, env={"TOOLKIT_MAIL_PASSWORD": ""})
        assert result.exit_code == 0, result.output
        assert [f["files"] for f in json.loads(result.output)["fetched"]] == [["BTC.xlsx"]]
    finally:
        keyring.set_keyring(previous)
    for path in ws.root.rglob("*"):  # the password is nowhere in the workspace
        if path.is_file():
            assert PASSWORD.encode("utf-8") not in path.read_bytes(), path


@pytest.mark.parametrize("case, expected", [
    ("password", "từ chối đăng nhập"),
    ("port", "Không kết nối được máy chủ thư"),
    ("certificate", "Chứng chỉ bảo mật"),
    ("host", "Không tìm thấy máy chủ thư"),
])
def test_connection_faults_are_said_in_vietnamese(ws, imap, case, expected):
    _settings(ws, port=free_port() if case == "port" else imap.tls_port, security="tls",
              ca_file="" if case == "certificate" else str(imap.cert))
    if case == "host":
        ws.settings["mail"]["imap"]["host"] = "may-chu-khong-co.invalid"
        ws.save()
    result = _fetch(ws, env={"TOOLKIT_MAIL_PASSWORD": "sai" if case == "password" else PASSWORD})
    assert result.exit_code == 2
    assert expected in result.output and "Traceback" not in result.output


def test_smtp_over_implicit_tls_sends_reminders_once(ws, tmp_path):
    smtp = SmtpServer(tmp_path, implicit_tls=True)
    try:
        ws.settings["mail"] = {"smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "tls", "user": USER,
                                        "from": USER, "ca_file": str(smtp.cert)}}
        ws.save()
        runner = CliRunner()
        assert runner.invoke(cli, ["templates", str(ws.root), "--form", "registration", "--period", "2025"]).exit_code == 0
        first = runner.invoke(cli, ["mail", "send", str(ws.root), "--period", "2025", "--send", "--json"], env=ENV)
        assert first.exit_code == 0, first.output
        assert len(smtp.messages) == 19  # every unit expected, none has sent
        assert all(len(m["to"]) == 1 for m in smtp.messages)
        second = runner.invoke(cli, ["mail", "send", str(ws.root), "--period", "2025", "--send", "--json"], env=ENV)
        assert {m["state"] for m in json.loads(second.output)["messages"]} == {"already_sent"}
        assert len(smtp.messages) == 19
    finally:
        smtp.stop()


def test_a_folder_with_a_vietnamese_name(ws, imap):
    from datetime import datetime

    from toolkit.mail.fetch import _quote

    folder = "Báo cáo đơn vị & phản hồi"
    c = imap.client()
    try:
        assert c.create(_quote(folder))[0] == "OK"
        msg = _message("ubkt@hoaan.dcs.vn", "Báo cáo", datetime(2025, 1, 21), [("UBKT.xlsx", b"PK\x03\x04 x")],
                       msg_id="in-folder")
        assert c.append(_quote(folder), None, None, msg.as_bytes())[0] == "OK"
        listed = b" ".join(c.list()[1])
    finally:
        c.logout()
    assert _quote(folder).encode("ascii") in listed  # Dovecot lists it under the name it was created with
    assert b"B&AOE-o c&AOE-o" in listed  # "Báo cáo" in modified UTF-7 (á is U+00E1), as RFC 3501 spells it
    _settings(ws, port=imap.tls_port, security="tls", ca_file=str(imap.cert), folder=folder)
    result = _fetch(ws)
    assert result.exit_code == 0, result.output
    assert [f["subject"] for f in json.loads(result.output)["fetched"]] == ["Báo cáo"]
