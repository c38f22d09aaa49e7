"""Two engines: who did what (audit actor and PC, submissions.collected_by), the scores' detail as columns, the
mail ledger and the round locks in the store, the analysts' views.

Revision ID: 0002
Revises: 0001
"""

import json

import sqlalchemy as sa
from alembic import op

from toolkit.store import schema as S

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    have = set(sa.inspect(bind).get_table_names())
    for table, column in (("audit", "actor"), ("audit", "machine"), ("submissions", "collected_by")):
        op.add_column(table, sa.Column(column, sa.Text))
    op.add_column("scores", sa.Column("name", sa.Text))
    for c in S.SCORE_INTS:
        op.add_column("scores", sa.Column(c, sa.Integer))
    for c in S.SCORE_FLOATS:
        op.add_column("scores", sa.Column(c, sa.Float))
    op.add_column("scores", sa.Column("why", sa.Text))
    for table in (S.mail_fetched, S.mail_sent, S.locks):
        if table.name not in have:  # toolkit 0.1 created the mail tables on the first mail command
            table.create(bind)
    _scores_to_columns(bind)
    for sql in S.view_statements(bind.dialect.name):
        op.execute(sql)


def _scores_to_columns(bind) -> None:
    rows = bind.exec_driver_sql("SELECT period, subject_kind, subject_id, detail FROM scores").fetchall()
    for period, kind, subject, detail in rows:
        d = json.loads(detail or "{}")
        values = {"name": d.pop("name", None)}
        for c in S.SCORE_INTS:
            v = d.pop(c, None)
            values[c] = None if v is None else int(v)
        for c in S.SCORE_FLOATS:
            v = d.pop(c, None)
            values[c] = None if v is None else float(v)
        why = d.pop("why", None)
        values["why"] = None if why is None else json.dumps(why, ensure_ascii=False)
        values["detail"] = json.dumps(d, ensure_ascii=False) if d else None
        bind.execute(S.scores.update().where(S.scores.c.period == period, S.scores.c.subject_kind == kind,
                                             S.scores.c.subject_id == subject).values(**values))
