"""audit chain: each event carries its predecessor's hash and its own; PostgreSQL refuses
UPDATE, DELETE and TRUNCATE on audit_event

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 14:30:00.000000

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from registry.models.audit import GENESIS, content_hash
from registry.models.base import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
BATCH = 5000

audit_event = sa.table(
    'audit_event',
    sa.column('id', sa.Integer()),
    sa.column('at', UTCDateTime()),
    sa.column('actor_id', sa.Integer()),
    sa.column('action', sa.String()),
    sa.column('entity', sa.String()),
    sa.column('entity_id', sa.String()),
    sa.column('before', JSON),
    sa.column('after', JSON),
    sa.column('prev_hash', sa.String()),
    sa.column('hash', sa.String()),
)

# Row triggers refuse UPDATE and DELETE, a statement trigger TRUNCATE. The table's owner can
# still disable them (ALTER TABLE … DISABLE TRIGGER): the hash chain catches what gets past.
APPEND_ONLY = """
CREATE OR REPLACE FUNCTION audit_event_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_event_refuses_change BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_is_append_only();
CREATE TRIGGER audit_event_refuses_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_is_append_only();
"""
DROP_APPEND_ONLY = """
DROP TRIGGER IF EXISTS audit_event_refuses_truncate ON audit_event;
DROP TRIGGER IF EXISTS audit_event_refuses_change ON audit_event;
DROP FUNCTION IF EXISTS audit_event_is_append_only();
"""


def chain_existing_events(connection) -> None:
    """Hash the events written before the chain existed, in id order."""
    previous, last_id = GENESIS, 0
    columns = [audit_event.c[name] for name in (
        'id', 'at', 'actor_id', 'action', 'entity', 'entity_id', 'before', 'after')]
    while True:
        rows = connection.execute(sa.select(*columns).where(audit_event.c.id > last_id)
                                  .order_by(audit_event.c.id).limit(BATCH)).all()
        if not rows:
            return
        updates = []
        for row in rows:
            own = content_hash(at=row.at, actor_id=row.actor_id, action=row.action,
                               entity=row.entity, entity_id=row.entity_id, before=row.before,
                               after=row.after, prev_hash=previous)
            updates.append({'row_id': row.id, 'prev_hash': previous, 'hash': own})
            previous = own
        connection.execute(audit_event.update().where(audit_event.c.id == sa.bindparam('row_id'))
                           .values(prev_hash=sa.bindparam('prev_hash'),
                                   hash=sa.bindparam('hash')), updates)
        last_id = rows[-1].id


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    chain_existing_events(op.get_bind())
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint('uq_audit_event_prev_hash', ['prev_hash'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(APPEND_ONLY)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(DROP_APPEND_ONLY)
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_constraint('uq_audit_event_prev_hash', type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
