"""expert calendar token

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    # The secret of each expert's iCalendar feed URL; empty until the expert first asks for it.
    with op.batch_alter_table('expert', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_expert_calendar_token'),
                                          ['calendar_token'])


def downgrade():
    with op.batch_alter_table('expert', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_expert_calendar_token'), type_='unique')
        batch_op.drop_column('calendar_token')
