"""APScheduler's job table, apscheduler_jobs: the digest jobs' persistent schedule

The exact schema APScheduler 3's SQLAlchemyJobStore expects (and, finding it, does not create
itself): id varchar(191) primary key, next_run_time an 8-byte float (a UTC timestamp) indexed,
job_state the pickled job. Declared with the models in storage/models.py (APSCHEDULER_JOBS).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('apscheduler_jobs',
    sa.Column('id', sa.Unicode(length=191), nullable=False),
    sa.Column('next_run_time', sa.Float(precision=25), nullable=True),
    sa.Column('job_state', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_apscheduler_jobs_next_run_time', 'apscheduler_jobs', ['next_run_time'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_apscheduler_jobs_next_run_time', table_name='apscheduler_jobs')
    op.drop_table('apscheduler_jobs')
