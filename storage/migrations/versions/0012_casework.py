"""casework: co-reporters, merges, on-site verification, joint handling, hot-spot alerts

Revision ID: 0012_casework
Revises: 0011_open311
Create Date: 2026-12-02 06:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

from storage.models import UtcDateTime

revision = '0012_casework'
down_revision = '0011_open311'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verifier_officer_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_cases_verifier_officer_id', 'officers', ['verifier_officer_id'], ['id'])
        batch_op.create_foreign_key('fk_cases_merged_into_id', 'cases', ['merged_into_id'], ['id'])
    op.create_index('ix_cases_category_created_at', 'cases', ['category', 'created_at'])
    op.create_index('ix_cases_created_at', 'cases', ['created_at'])
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rater_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_ratings_rater_id', 'people', ['rater_id'], ['id'])
    op.create_table(
        'case_followers',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('case_id', sa.Integer(), sa.ForeignKey('cases.id'), nullable=False),
        sa.Column('person_id', sa.Integer(), sa.ForeignKey('people.id'), nullable=False),
        sa.Column('from_case_id', sa.Integer(), sa.ForeignKey('cases.id'), nullable=True),
        sa.Column('since', UtcDateTime(), nullable=False),
        sa.UniqueConstraint('case_id', 'person_id', name='uq_case_followers_case_person'),
    )
    op.create_index('ix_case_followers_case_id', 'case_followers', ['case_id'])
    op.create_index('ix_case_followers_person_id', 'case_followers', ['person_id'])
    op.create_table(
        'case_parts',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('case_id', sa.Integer(), sa.ForeignKey('cases.id'), nullable=False),
        sa.Column('department_id', sa.String(length=32), sa.ForeignKey('departments.id'), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('added_at', UtcDateTime(), nullable=False),
        sa.Column('accepted_at', UtcDateTime(), nullable=True),
        sa.Column('done_at', UtcDateTime(), nullable=True),
        sa.UniqueConstraint('case_id', 'department_id', name='uq_case_parts_case_department'),
    )
    op.create_index('ix_case_parts_case_id', 'case_parts', ['case_id'])
    op.create_index('ix_case_parts_department_id', 'case_parts', ['department_id'])
    op.create_table(
        'hotspot_alerts',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('grid_id', sa.String(length=32), sa.ForeignKey('grids.id'), nullable=False),
        sa.Column('category', sa.String(length=32), nullable=False),
        sa.Column('at', UtcDateTime(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('baseline', sa.Float(), nullable=False),
        sa.Column('case_ids', sa.JSON(), nullable=False),
        sa.Column('people', sa.Integer(), nullable=False),
    )
    op.create_index('ix_hotspot_alerts_grid_id', 'hotspot_alerts', ['grid_id'])
    op.create_index('ix_hotspot_alerts_at', 'hotspot_alerts', ['at'])


def downgrade() -> None:
    op.drop_table('hotspot_alerts')
    op.drop_table('case_parts')
    op.drop_table('case_followers')
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_constraint('fk_ratings_rater_id', type_='foreignkey')
        batch_op.drop_column('rater_id')
    op.drop_index('ix_cases_created_at', 'cases')
    op.drop_index('ix_cases_category_created_at', 'cases')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint('fk_cases_merged_into_id', type_='foreignkey')
        batch_op.drop_constraint('fk_cases_verifier_officer_id', type_='foreignkey')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('verifier_officer_id')
