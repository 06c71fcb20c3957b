"""Cases and drafts keep the words that made them urgent (the officer's card says why); a draft
remembers that its reporter was told whom to call

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('cases', 'drafts'):
        op.add_column(table, sa.Column('urgent_cue', sa.String(length=64), nullable=True))
    op.add_column('drafts', sa.Column('urgent_warned', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('drafts') as batch:
        batch.drop_column('urgent_warned')
    for table in ('cases', 'drafts'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('urgent_cue')
