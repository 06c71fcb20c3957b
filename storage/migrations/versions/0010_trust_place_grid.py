"""Cases remember the grid their place lies in (place_grid_id), apart from the grid that handles them,
so a transfer to another grid does not relabel the place

Revision ID: 0010_trust
Revises: 0009
Create Date: 2026-12-02 06:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_trust'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('place_grid_id', sa.String(length=32), nullable=True))
        batch.create_foreign_key('fk_cases_place_grid_id_grids', 'grids', ['place_grid_id'], ['id'])
    # A case moved as "not my grid" left its place in the grid it came from; every other case is where it was filed.
    op.execute("UPDATE cases SET place_grid_id = COALESCE((SELECT gc.from_grid_id FROM grid_corrections gc "
               "WHERE gc.case_id = cases.id ORDER BY gc.id LIMIT 1), grid_id)")


def downgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.drop_constraint('fk_cases_place_grid_id_grids', type_='foreignkey')
        batch.drop_column('place_grid_id')
