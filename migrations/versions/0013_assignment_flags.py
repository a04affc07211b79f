"""assignment flags: held seats that a later change breaks (issue 9, item 2)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 17:30:00.000000

A conflict, an unavailability, a suspension, an affiliation, a challenge or a recusal recorded
after an expert took a seat flags that seat with the rule it breaks (registry/services/flags.py);
a flag stays open until a re-check finds the breach gone or the seat ends. Pages list the open
flags from this table instead of re-verifying every seat on every read.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import registry.models.base

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assignment_flag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('facts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()),
                                              'postgresql'), nullable=False),
    sa.Column('raised_at', registry.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', registry.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cleared_because', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'],
                            name=op.f('fk_assignment_flag_assignment_id_assignment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_flag'))
    )
    with op.batch_alter_table('assignment_flag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_flag_assignment_id'), ['assignment_id'],
                              unique=False)
        batch_op.create_index('ix_assignment_flag_open', ['assignment_id', 'cleared_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('assignment_flag', schema=None) as batch_op:
        batch_op.drop_index('ix_assignment_flag_open')
        batch_op.drop_index(batch_op.f('ix_assignment_flag_assignment_id'))
    op.drop_table('assignment_flag')
