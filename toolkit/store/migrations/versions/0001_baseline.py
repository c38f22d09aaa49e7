"""The store of toolkit 0.1 (SQLite only, before schema versions): the starting point of every upgrade.

Revision ID: 0001
"""

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A store is either created at the latest version or, made by toolkit 0.1, stamped 0001 as it is
    # (toolkit.store.versions.upgrade): nothing to create here.
    pass
