"""working calendar: urgent evidence-preservation requests, needed by a time

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-28 17:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

from registry.models.base import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dispatch_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urgent', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('needed_by', UTCDateTime(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_dispatch_request_urgent_needs_time'),
                                         'NOT urgent OR needed_by IS NOT NULL')


def downgrade():
    with op.batch_alter_table('dispatch_request', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_dispatch_request_urgent_needs_time'), type_='check')
        batch_op.drop_column('needed_by')
        batch_op.drop_column('urgent')
