"""The SQLite store as toolkit 0.1 made it (before schema versions): its schema, verbatim, for the upgrade test."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS forms (
  id TEXT, version INTEGER, definition TEXT, PRIMARY KEY (id, version));
CREATE TABLE IF NOT EXISTS units (
  period TEXT, code TEXT, name TEXT, kind TEXT, parent TEXT, head_name TEXT, head_title TEXT, email TEXT,
  PRIMARY KEY (period, code));
CREATE TABLE IF NOT EXISTS leaders (
  period TEXT, id TEXT, name TEXT, title TEXT, unit_code TEXT, btv_managed INTEGER, PRIMARY KEY (period, id));
CREATE TABLE IF NOT EXISTS submissions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sha256 TEXT NOT NULL, file_name TEXT, rel_path TEXT, archived_path TEXT, format TEXT,
  unit_code TEXT, form_id TEXT, form_version INTEGER, period TEXT,
  received_at TEXT, file_mtime TEXT, status TEXT, errors INTEGER, warnings INTEGER,
  active INTEGER DEFAULT 0, replaces INTEGER, replaced_by INTEGER, late_days INTEGER DEFAULT 0,
  identified_by TEXT,
  UNIQUE (sha256, form_id, period));
CREATE INDEX IF NOT EXISTS sub_round ON submissions (form_id, period, unit_code, active);
CREATE TABLE IF NOT EXISTS seen_files (
  sha256 TEXT PRIMARY KEY, submission_id INTEGER, first_seen TEXT, file_name TEXT);
CREATE TABLE IF NOT EXISTS rows (
  id INTEGER PRIMARY KEY AUTOINCREMENT, submission_id INTEGER NOT NULL, sheet_id TEXT, sheet TEXT,
  excel_row INTEGER, unit_code TEXT, task_code TEXT, data TEXT);
CREATE INDEX IF NOT EXISTS rows_sub ON rows (submission_id);
CREATE TABLE IF NOT EXISTS issues (
  id INTEGER PRIMARY KEY AUTOINCREMENT, submission_id INTEGER, file_name TEXT, unit_code TEXT, code TEXT,
  severity TEXT, sheet TEXT, cell TEXT, excel_row INTEGER, message TEXT, hint TEXT, period TEXT, form_id TEXT);
CREATE INDEX IF NOT EXISTS issues_round ON issues (form_id, period);
CREATE TABLE IF NOT EXISTS tasks (
  register_key TEXT, unit_code TEXT, task_code TEXT, kind TEXT, area TEXT, title TEXT, parent_code TEXT,
  leader_id TEXT, indicator TEXT, unit_measure TEXT, baseline REAL, target REAL, start_date TEXT,
  deadline TEXT, weight REAL, focal_point TEXT, source_form TEXT, submission_id INTEGER,
  active INTEGER DEFAULT 1, version INTEGER DEFAULT 1,
  PRIMARY KEY (register_key, unit_code, task_code));
CREATE TABLE IF NOT EXISTS work_items (
  register_key TEXT, unit_code TEXT, item_code TEXT, task_code TEXT, description TEXT, roadmap TEXT,
  owner TEXT, deadline TEXT, submission_id INTEGER, PRIMARY KEY (register_key, unit_code, item_code));
CREATE TABLE IF NOT EXISTS task_changes (
  id INTEGER PRIMARY KEY AUTOINCREMENT, register_key TEXT, unit_code TEXT, task_code TEXT, field TEXT,
  old_value TEXT, new_value TEXT, submission_id INTEGER, at TEXT);
CREATE TABLE IF NOT EXISTS adjustments (
  id INTEGER PRIMARY KEY AUTOINCREMENT, register_key TEXT, unit_code TEXT, task_code TEXT, change TEXT,
  field TEXT, old_value TEXT, new_value TEXT, reason TEXT, form_id TEXT, period TEXT, submission_id INTEGER,
  requested_at TEXT, decision TEXT, decision_ref TEXT, decision_note TEXT, decided_at TEXT, applied_at TEXT,
  data TEXT);
CREATE INDEX IF NOT EXISTS adj_key ON adjustments (register_key, unit_code, task_code);
CREATE TABLE IF NOT EXISTS scores (
  period TEXT, subject_kind TEXT, subject_id TEXT, score REAL, level TEXT, detail TEXT, at TEXT,
  PRIMARY KEY (period, subject_kind, subject_id));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT, action TEXT, detail TEXT, submission_id INTEGER,
  file_name TEXT);
"""
# the mail ledger's tables, which toolkit 0.1 created in the same file on the first mail command
MAIL = """
CREATE TABLE IF NOT EXISTS mail_fetched (
  message_id TEXT PRIMARY KEY, period TEXT, folder TEXT, sender TEXT, subject TEXT, sent_at TEXT,
  fetched_at TEXT, files INTEGER);
CREATE TABLE IF NOT EXISTS mail_sent (
  key TEXT PRIMARY KEY, period TEXT, unit_code TEXT, kind TEXT, recipients TEXT, subject TEXT,
  message_id TEXT, attachment TEXT, sent_at TEXT);
"""
MIGRATIONS = ("ALTER TABLE tasks ADD COLUMN confirmation TEXT", "ALTER TABLE tasks ADD COLUMN confirmation_note TEXT",
              "ALTER TABLE tasks ADD COLUMN confirmed_version INTEGER",
              "ALTER TABLE tasks ADD COLUMN dropped INTEGER DEFAULT 0",
              "ALTER TABLE task_changes ADD COLUMN adjustment_id INTEGER",
              "ALTER TABLE task_changes ADD COLUMN decision_ref TEXT",
              "ALTER TABLE submissions ADD COLUMN collected_as TEXT")
