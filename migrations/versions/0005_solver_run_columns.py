"""solver run columns

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
# Keys that were stored inside solver_run.parameters and are not parameters: the exported
# problem, the imported plan, the flag saying a plan was imported (now: plan is not null),
# the held seats left out of the problem, and the region's jurisdictions (derived from the
# region; not restored on downgrade, nothing read them).
MOVED = ('problem', 'plan', 'plan_imported', 'held_seats_breaking_rules', 'jurisdictions')

solver_run = sa.table(
    'solver_run',
    sa.column('id', sa.Integer()),
    sa.column('parameters', JSON),
    sa.column('problem', JSON),
    sa.column('plan', JSON),
    sa.column('held_seats_breaking_rules', JSON),
)


def upgrade():
    # The problem and the plan get their own columns instead of keys inside parameters.
    with op.batch_alter_table('solver_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('problem', JSON, nullable=True))
        batch_op.add_column(sa.Column('plan', JSON, nullable=True))
        batch_op.add_column(sa.Column('held_seats_breaking_rules', JSON, nullable=False,
                                      server_default='[]'))
    connection = op.get_bind()
    for run_id, parameters in connection.execute(
            sa.select(solver_run.c.id, solver_run.c.parameters)).all():
        parameters = dict(parameters or {})
        moved = {key: parameters.pop(key, None) for key in MOVED}
        connection.execute(solver_run.update().where(solver_run.c.id == run_id).values(
            parameters=parameters, problem=moved['problem'], plan=moved['plan'],
            held_seats_breaking_rules=moved['held_seats_breaking_rules'] or []))
    with op.batch_alter_table('solver_run', schema=None) as batch_op:
        batch_op.alter_column('held_seats_breaking_rules', server_default=None)


def downgrade():
    connection = op.get_bind()
    rows = connection.execute(sa.select(
        solver_run.c.id, solver_run.c.parameters, solver_run.c.problem, solver_run.c.plan,
        solver_run.c.held_seats_breaking_rules)).all()
    for run_id, parameters, problem, plan, held in rows:
        parameters = dict(parameters or {})
        if problem is not None:
            parameters['problem'] = problem
            parameters['held_seats_breaking_rules'] = held or []
        if plan is not None:
            parameters.update(plan_imported=True, plan=plan)
        connection.execute(solver_run.update().where(solver_run.c.id == run_id)
                           .values(parameters=parameters))
    # A run cancelled under 0005 has no such status before it.
    connection.execute(sa.text(
        "UPDATE solver_run SET status = 'failed', error = 'cancelled' "
        "WHERE status = 'cancelled'"))
    with op.batch_alter_table('solver_run', schema=None) as batch_op:
        batch_op.drop_column('held_seats_breaking_rules')
        batch_op.drop_column('plan')
        batch_op.drop_column('problem')
