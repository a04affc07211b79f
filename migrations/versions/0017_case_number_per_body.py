"""case numbers unique per handling body: an institution's file number is its own

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 16:05:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_constraint('uq_case_number', type_='unique')
        batch_op.create_unique_constraint('uq_case_handling_body_id_number',
                                          ['handling_body_id', 'number'])


def downgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_constraint('uq_case_handling_body_id_number', type_='unique')
        batch_op.create_unique_constraint('uq_case_number', ['number'])
