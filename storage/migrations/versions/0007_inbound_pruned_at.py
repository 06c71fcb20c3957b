"""Inbound updates remember when their payload was emptied (privacy.retention_days), so pruning
finds the rows still to empty by an index and never rewrites the same row twice

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 01:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('inbound_updates', sa.Column('pruned_at', storage.models.UtcDateTime(timezone=True), nullable=True))
    op.create_index('ix_inbound_prune', 'inbound_updates', ['pruned_at', 'received_at'])


def downgrade() -> None:
    op.drop_index('ix_inbound_prune', table_name='inbound_updates')
    with op.batch_alter_table('inbound_updates') as batch:
        batch.drop_column('pruned_at')
