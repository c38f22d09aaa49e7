"""The store's schema, declared once (SQLAlchemy Core tables) for both engines, SQLite and PostgreSQL, and the
documented read views for analysts (rows, submissions, tasks, scores, adjustments: stable column names, see
docs/analysis.md).

Every text column compares byte by byte on both engines (PostgreSQL's collation "C", SQLite's default), so the
order of units and tasks is the same whichever engine keeps them. Times are kept as text ("2026-07-10 09:14:00"),
as the first SQLite version did, so a store moves between engines unchanged.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, LargeBinary, MetaData, Table, Text, UniqueConstraint

Txt = Text().with_variant(Text(collation="C"), "postgresql")

metadata = MetaData()


def _id() -> Column:
    return Column("id", Integer, primary_key=True, autoincrement=True)



forms = Table("forms", metadata, Column("id", Txt, primary_key=True), Column("version", Integer, primary_key=True),
              Column("definition", Txt))
units = Table("units", metadata, Column("period", Txt, primary_key=True), Column("code", Txt, primary_key=True),
              *(Column(c, Txt) for c in ("name", "kind", "parent", "head_name", "head_title", "email")))
leaders = Table("leaders", metadata, Column("period", Txt, primary_key=True), Column("id", Txt, primary_key=True),
                *(Column(c, Txt) for c in ("name", "title", "unit_code")), Column("btv_managed", Integer))
submissions = Table(
    "submissions", metadata, _id(),
    Column("sha256", Txt, nullable=False), *(Column(c, Txt) for c in ("file_name", "rel_path", "archived_path", "format",
                                                                       "unit_code", "form_id")),
    Column("form_version", Integer), Column("period", Txt), Column("received_at", Txt), Column("file_mtime", Txt),
    Column("status", Txt), Column("errors", Integer), Column("warnings", Integer),
    Column("active", Integer, server_default="0"), Column("replaces", Integer), Column("replaced_by", Integer),
    Column("late_days", Integer, server_default="0"), Column("identified_by", Txt),
    Column("collected_as", Txt),  # the collect's context (form asked, round, unit list)
    Column("collected_by", Txt),  # who collected it, on which PC ("nguyenvana@VP-02")
    UniqueConstraint("sha256", "form_id", "period"),
    Index("sub_round", "form_id", "period", "unit_code", "active"))
seen_files = Table("seen_files", metadata, Column("sha256", Txt, primary_key=True), Column("submission_id", Integer),
                   Column("first_seen", Txt), Column("file_name", Txt))
rows = Table("rows", metadata, _id(), Column("submission_id", Integer, nullable=False),
             Column("sheet_id", Txt), Column("sheet", Txt), Column("excel_row", Integer), Column("unit_code", Txt),
             Column("task_code", Txt), Column("data", Txt), Index("rows_sub", "submission_id"))
issues = Table("issues", metadata, _id(), Column("submission_id", Integer),
               *(Column(c, Txt) for c in ("file_name", "unit_code", "code", "severity", "sheet", "cell")),
               Column("excel_row", Integer), *(Column(c, Txt) for c in ("message", "hint", "period", "form_id")),
               Index("issues_round", "form_id", "period"))
TASK_TEXT = ("kind", "area", "title", "parent_code", "leader_id", "indicator", "unit_measure")
tasks = Table("tasks", metadata, *(Column(c, Txt, primary_key=True) for c in ("register_key", "unit_code", "task_code")),
              *(Column(c, Txt) for c in TASK_TEXT), Column("baseline", Float), Column("target", Float),
              Column("start_date", Txt), Column("deadline", Txt), Column("weight", Float), Column("focal_point", Txt),
              Column("source_form", Txt), Column("submission_id", Integer), Column("active", Integer, server_default="1"),
              Column("version", Integer, server_default="1"), Column("confirmation", Txt),
              Column("confirmation_note", Txt), Column("confirmed_version", Integer),
              Column("dropped", Integer, server_default="0"))
work_items = Table("work_items", metadata,
                   *(Column(c, Txt, primary_key=True) for c in ("register_key", "unit_code", "item_code")),
                   *(Column(c, Txt) for c in ("task_code", "description", "roadmap", "owner", "deadline")),
                   Column("submission_id", Integer))
task_changes = Table("task_changes", metadata, _id(),
                     *(Column(c, Txt) for c in ("register_key", "unit_code", "task_code", "field", "old_value",
                                                "new_value")),
                     Column("submission_id", Integer), Column("at", Txt), Column("adjustment_id", Integer),
                     Column("decision_ref", Txt))
adjustments = Table("adjustments", metadata, _id(),
                    *(Column(c, Txt) for c in ("register_key", "unit_code", "task_code", "change", "field", "old_value",
                                               "new_value", "reason", "form_id", "period")),
                    Column("submission_id", Integer),
                    *(Column(c, Txt) for c in ("requested_at", "decision", "decision_ref", "decision_note",
                                               "decided_at", "applied_at", "data")),
                    Index("adj_key", "register_key", "unit_code", "task_code"))
# a classification: what the report reads, as columns (``detail`` keeps only what has no column of its own)
SCORE_INTS = ("tasks", "assigned", "done", "on_time", "done_late", "failed", "not_due", "on_track", "behind",
              "dropped", "late", "rank", "preliminary", "reported", "pending")
SCORE_FLOATS = ("quantity", "schedule", "quality", "task_points", "general_points", "late_share")
scores = Table("scores", metadata, *(Column(c, Txt, primary_key=True) for c in ("period", "subject_kind", "subject_id")),
               Column("score", Float), Column("level", Txt), Column("detail", Txt), Column("at", Txt),
               Column("name", Txt), *(Column(c, Integer) for c in SCORE_INTS),
               *(Column(c, Float) for c in SCORE_FLOATS), Column("why", Txt))
meta = Table("meta", metadata, Column("key", Txt, primary_key=True), Column("value", Txt))
audit = Table("audit", metadata, _id(), Column("at", Txt), Column("action", Txt), Column("detail", Txt),
              Column("submission_id", Integer), Column("file_name", Txt),
              Column("actor", Txt), Column("machine", Txt))  # who did it, on which PC
# what the mailbox gave and what was sent (a message fetched once is never fetched again, one sent never sent again)
mail_fetched = Table("mail_fetched", metadata, Column("message_id", Txt, primary_key=True),
                     *(Column(c, Txt) for c in ("period", "folder", "sender", "subject", "sent_at", "fetched_at")),
                     Column("files", Integer))
mail_sent = Table("mail_sent", metadata, Column("key", Txt, primary_key=True),
                  *(Column(c, Txt) for c in ("period", "unit_code", "kind", "recipients", "subject", "message_id",
                                             "attachment", "sent_at")))
# who holds a round's lock (the lock itself: a PostgreSQL advisory lock, or the workspace's lock file)
locks = Table("locks", metadata, Column("name", Txt, primary_key=True), Column("period", Txt),
              Column("action", Txt), Column("actor", Txt), Column("machine", Txt), Column("since", Txt))

# a cache, not data: the near-duplicate links among a round's texts of one column (collect's index, kept so that
# merge need not search again; see intake.similarity.TextLinks). Any version may ignore, empty or drop it; a text
# it does not hold makes merge search again. A store of schema 0002 made before it gets it when first written.
text_links = Table("text_links", metadata, *(Column(c, Txt, primary_key=True) for c in ("form_id", "period", "field")),
                   Column("method", Txt), Column("threshold", Float), Column("texts", Integer), Column("digests", LargeBinary),
                   Column("pairs", LargeBinary), Column("at", Txt))
CACHES = (text_links,)
DATA_TABLES = [t for t in metadata.sorted_tables if t not in CACHES]  # what a store holds (counted, compared)

# ids are never reused on SQLite either (AUTOINCREMENT, as the first schema had): the audit names them
for _t in (submissions, rows, issues, task_changes, adjustments, audit):
    _t.dialect_options["sqlite"]["autoincrement"] = True

# --- the analysts' views (version 1): names and columns are a contract, documented in docs/analysis.md ----------
VIEW_NAMES = ("v_submissions", "v_rows", "v_tasks", "v_scores", "v_adjustments")


def view_statements(dialect: str) -> list[str]:
    """CREATE VIEW statements of the read interface for one engine (the JSON of a row stays text on SQLite and
    becomes jsonb on PostgreSQL, so Power BI and psql can open it)."""
    data = "r.data::jsonb" if dialect == "postgresql" else "r.data"
    return [
        "CREATE VIEW v_submissions AS SELECT s.id AS submission_id, s.period, s.form_id, s.form_version, "
        "s.unit_code, u.name AS unit_name, s.file_name, s.sha256, s.format, s.status, s.errors, s.warnings, "
        "s.active, s.late_days, s.received_at, s.file_mtime, s.archived_path, s.collected_by "
        "FROM submissions s LEFT JOIN units u ON u.period = s.period AND u.code = s.unit_code",
        "CREATE VIEW v_rows AS SELECT r.id AS row_id, s.period, s.form_id, r.unit_code, r.sheet_id, r.sheet, "
        f"r.excel_row, r.task_code, {data} AS data, r.submission_id, s.file_name, s.sha256, s.received_at "
        "FROM rows r JOIN submissions s ON s.id = r.submission_id WHERE s.active = 1",
        "CREATE VIEW v_tasks AS SELECT register_key, unit_code, task_code, kind, area, title, parent_code, leader_id, "
        "indicator, unit_measure, baseline, target, start_date, deadline, weight, focal_point, source_form, "
        "submission_id, active, version, confirmation, confirmation_note, dropped FROM tasks",
        "CREATE VIEW v_scores AS SELECT period, subject_kind, subject_id, name, score, level, rank, tasks, assigned, "
        "done, on_time, done_late, failed, not_due, on_track, behind, dropped, late, quantity, schedule, quality, "
        "task_points, general_points, late_share, preliminary, reported, pending, at FROM scores",
        "CREATE VIEW v_adjustments AS SELECT id AS adjustment_id, register_key, unit_code, task_code, change, field, "
        "old_value, new_value, reason, form_id, period, submission_id, requested_at, decision, decision_ref, "
        "decision_note, decided_at, applied_at FROM adjustments",
    ]


def drop_view_statements() -> list[str]:
    return [f"DROP VIEW IF EXISTS {v}" for v in VIEW_NAMES]
