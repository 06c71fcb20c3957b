"""API channels for the Open311 GeoReport v2 API: keys, callers without Telegram, callbacks

Revision ID: 0011_open311
Revises: 0010_trust
Create Date: 2026-12-02 06:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

from storage.models import UtcDateTime

revision = '0011_open311'
down_revision = '0010_trust'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A hotline caller is a person without Telegram ids, named by their channel. (SQLite rebuilds the
    # table that every case points to: env.py runs migrations there with foreign keys off, then checks them.)
    with op.batch_alter_table('people') as batch:
        batch.alter_column('tg_user_id', existing_type=sa.BigInteger(), nullable=True)
        batch.alter_column('chat_id', existing_type=sa.BigInteger(), nullable=True)
        batch.add_column(sa.Column('channel', sa.String(length=64), nullable=True))
        batch.create_index('ix_people_channel', ['channel'])
    op.create_table(
        'api_keys',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('name', sa.String(length=64), nullable=False, unique=True),
        sa.Column('key_hash', sa.String(length=64), nullable=False, unique=True),
        sa.Column('created_at', UtcDateTime(), nullable=False),
        sa.Column('revoked_at', UtcDateTime(), nullable=True),
    )
    op.create_table(
        'channel_requests',
        sa.Column('case_id', sa.Integer(), sa.ForeignKey('cases.id'), primary_key=True),
        sa.Column('api_key_id', sa.Integer(), sa.ForeignKey('api_keys.id'), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('media_url', sa.String(length=1024), nullable=True),
        sa.Column('callback_url', sa.String(length=1024), nullable=True),
    )
    op.create_index('ix_channel_requests_api_key_id', 'channel_requests', ['api_key_id'])
    op.create_table(
        'callback_deliveries',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('case_id', sa.Integer(), sa.ForeignKey('cases.id'), nullable=False),
        sa.Column('event_id', sa.Integer(), sa.ForeignKey('case_events.id'), nullable=False),
        sa.Column('url', sa.String(length=1024), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', UtcDateTime(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', UtcDateTime(), nullable=False),
        sa.Column('sent_at', UtcDateTime(), nullable=True),
    )
    op.create_index('ix_callback_deliveries_case_id', 'callback_deliveries', ['case_id'])
    op.create_index('ix_callback_due', 'callback_deliveries', ['status', 'next_attempt_at'])


def downgrade() -> None:
    op.drop_index('ix_callback_due', 'callback_deliveries')
    op.drop_index('ix_callback_deliveries_case_id', 'callback_deliveries')
    op.drop_table('callback_deliveries')
    op.drop_index('ix_channel_requests_api_key_id', 'channel_requests')
    op.drop_table('channel_requests')
    op.drop_table('api_keys')
    with op.batch_alter_table('people') as batch:
        batch.drop_index('ix_people_channel')
        batch.drop_column('channel')
        batch.alter_column('chat_id', existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column('tg_user_id', existing_type=sa.BigInteger(), nullable=False)
