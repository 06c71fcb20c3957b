"""What each case went through (was_resolved, was_reopened, was_returned, was_moved), kept on the case

The command centre's figures read these flags in one scan of the cases instead of aggregating the
timeline and the grid corrections per request. Existing cases get them from their timeline.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 06:10:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

MARKS = {"was_resolved": "resolve", "was_reopened": "reopen", "was_returned": "return"}


def upgrade() -> None:
    for name in (*MARKS, 'was_moved'):
        op.add_column('cases', sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()))
    for name, action in MARKS.items():
        op.execute(f"UPDATE cases SET {name} = true WHERE id IN "
                   f"(SELECT case_id FROM case_events WHERE action = '{action}')")
    op.execute("UPDATE cases SET was_moved = true WHERE id IN (SELECT case_id FROM grid_corrections)")


def downgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        for name in ('was_moved', *reversed(list(MARKS))):
            batch.drop_column(name)
