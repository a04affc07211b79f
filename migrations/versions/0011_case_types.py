"""case types: causes of action (案由) and a case's cause; a body's founding year, court level
and known file-number shapes (issue 9 items 5 and 8, docs/cases.md)

Existing cases keep cause_code NULL ("not recorded": rule case_type cannot be checked on them
and lets investigators through, as before); existing bodies get their founding year, level
and shapes from `flask seed`, which loads seeds/courts.csv and seeds/causes.csv.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 17:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'cause_of_action',
        sa.Column('code', sa.String(length=48), nullable=False),
        sa.Column('name_zh', sa.String(length=100), nullable=False),
        sa.Column('name_en', sa.String(length=160), nullable=False),
        sa.Column('category', sa.String(length=32), nullable=False),
        sa.Column('kinds', sa.String(length=120), nullable=False),
        sa.Column('investigators', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_cause_of_action')),
    )
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.add_column(sa.Column('founded_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('court_level', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('number_shapes', sa.String(length=300), nullable=True))
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cause_code', sa.String(length=48), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_case_cause_code_cause_of_action'),
                                    'cause_of_action', ['cause_code'], ['code'])


def downgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_case_cause_code_cause_of_action'),
                                 type_='foreignkey')
        batch_op.drop_column('cause_code')
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_column('number_shapes')
        batch_op.drop_column('court_level')
        batch_op.drop_column('founded_year')
    op.drop_table('cause_of_action')
