"""solver runs as durable jobs: the job's id, live figures, the worker and its heartbeat

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 11:30:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    with op.batch_alter_table('solver_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('job_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('figures', JSON, nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('worker', sa.String(length=120), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.create_index('ix_solver_run_status', ['status'], unique=False)
        batch_op.create_unique_constraint('uq_solver_run_job_id', ['job_id'])
    with op.batch_alter_table('solver_run', schema=None) as batch_op:
        batch_op.alter_column('figures', server_default=None)
        batch_op.alter_column('worker', server_default=None)
        batch_op.alter_column('attempts', server_default=None)


def downgrade():
    with op.batch_alter_table('solver_run', schema=None) as batch_op:
        batch_op.drop_constraint('uq_solver_run_job_id', type_='unique')
        batch_op.drop_index('ix_solver_run_status')
        batch_op.drop_column('attempts')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('worker')
        batch_op.drop_column('figures')
        batch_op.drop_column('job_id')
