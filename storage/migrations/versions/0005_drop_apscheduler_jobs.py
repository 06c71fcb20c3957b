"""Drop apscheduler_jobs: the digests no longer live in APScheduler's job store

Supervisor.tick() sends every due digest, once per kind and day (digest_runs), from a plain
in-memory interval job (gridsec/scheduler.py), so the persistent schedule of migration 0004 holds
nothing anyone reads. The downgrade recreates the table as 0004 did.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_apscheduler_jobs_next_run_time', table_name='apscheduler_jobs')
    op.drop_table('apscheduler_jobs')


def downgrade() -> None:
    op.create_table('apscheduler_jobs',
    sa.Column('id', sa.Unicode(length=191), nullable=False),
    sa.Column('next_run_time', sa.Float(precision=25), nullable=True),
    sa.Column('job_state', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_apscheduler_jobs_next_run_time', 'apscheduler_jobs', ['next_run_time'], unique=False)
