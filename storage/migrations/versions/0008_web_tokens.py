"""The command centre's one-time login links and browser sessions (web_tokens)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 01:40:00.000000
"""
from alembic import op
import sqlalchemy as sa

from storage.models import UtcDateTime

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'web_tokens',
        sa.Column('token_hash', sa.String(length=64), primary_key=True),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('officer_id', sa.String(length=32), sa.ForeignKey('officers.id'), nullable=True),
        sa.Column('department_id', sa.String(length=32), sa.ForeignKey('departments.id'), nullable=True),
        sa.Column('person_id', sa.Integer(), sa.ForeignKey('people.id'), nullable=True),
        sa.Column('created_at', UtcDateTime(), nullable=False),
        sa.Column('expires_at', UtcDateTime(), nullable=False),
        sa.Column('used_at', UtcDateTime(), nullable=True),
    )
    op.create_index('ix_web_tokens_expires_at', 'web_tokens', ['expires_at'])


def downgrade() -> None:
    op.drop_index('ix_web_tokens_expires_at', 'web_tokens')
    op.drop_table('web_tokens')
