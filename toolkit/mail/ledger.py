"""What the mailbox gave and what was sent, kept in the workspace's history database (two tables of their own):
a message fetched once is never fetched again (by Message-ID), a message sent once is never sent again."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS mail_fetched (
  message_id TEXT PRIMARY KEY, period TEXT, folder TEXT, sender TEXT, subject TEXT, sent_at TEXT,
  fetched_at TEXT, files INTEGER);
CREATE TABLE IF NOT EXISTS mail_sent (
  key TEXT PRIMARY KEY, period TEXT, unit_code TEXT, kind TEXT, recipients TEXT, subject TEXT,
  message_id TEXT, attachment TEXT, sent_at TEXT);
"""


def _now() -> str:
    return datetime.now().replace(microsecond=0).isoformat(sep=" ")


class Ledger:
    def __init__(self, db_path: str | Path):
        self.conn = sqlite3.connect(str(db_path), timeout=30)
        self.conn.row_factory = sqlite3.Row
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def fetched_ids(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT message_id FROM mail_fetched")}

    def mark_fetched(self, message_id: str, period: str, folder: str, sender: str, subject: str, sent_at: str,
                     files: int) -> None:
        with self.conn:
            self.conn.execute("INSERT OR IGNORE INTO mail_fetched VALUES (?,?,?,?,?,?,?,?)",
                              (message_id, period, folder, sender, subject, sent_at, _now(), files))

    def was_sent(self, key: str) -> dict | None:
        row = self.conn.execute("SELECT * FROM mail_sent WHERE key = ?", (key,)).fetchone()
        return dict(row) if row else None

    def mark_sent(self, key: str, period: str, unit: str, kind: str, recipients: list[str], subject: str,
                  message_id: str, attachment: str) -> None:
        with self.conn:
            self.conn.execute("INSERT OR IGNORE INTO mail_sent VALUES (?,?,?,?,?,?,?,?,?)",
                              (key, period, unit, kind, ", ".join(recipients), subject, message_id, attachment,
                               _now()))
