"""row versions on requests and assignments: every update is a compare-and-set

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 14:30:00.000000

Each UPDATE of a dispatch request or an assignment names the version it read
(`WHERE id = ? AND version = ?`, SQLAlchemy's version_id_col), so of two racing lifecycle
moves exactly one changes the row and the other finds it moved (409). On PostgreSQL a
trigger also keeps a request's active assignments within its seats, whoever writes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# The seats rule stated in SQL, checked at commit (a flush may withdraw a proposal after it
# inserts its replacement): the request's row is locked first, so two transactions taking
# its last seat are serialised here even when the application forgot to lock.
SEATS_TRIGGER = """
CREATE OR REPLACE FUNCTION assignment_within_seats() RETURNS trigger AS $$
DECLARE
    seat_count integer;
    held integer;
BEGIN
    IF NEW.status NOT IN ('proposed', 'confirmed', 'accepted') THEN
        RETURN NEW;
    END IF;
    SELECT seats INTO seat_count FROM dispatch_request WHERE id = NEW.request_id
        FOR NO KEY UPDATE;
    SELECT count(*) INTO held FROM assignment
        WHERE request_id = NEW.request_id AND status IN ('proposed', 'confirmed', 'accepted');
    IF held > seat_count THEN
        RAISE EXCEPTION 'request % has % seat(s), all held', NEW.request_id, seat_count
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_assignment_within_seats';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER assignment_within_seats AFTER INSERT OR UPDATE OF status, request_id
    ON assignment DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION assignment_within_seats();
"""


def upgrade():
    for table in ('dispatch_request', 'assignment'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False,
                                          server_default='1'))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(SEATS_TRIGGER)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER assignment_within_seats ON assignment')
        op.execute('DROP FUNCTION assignment_within_seats()')
    for table in ('assignment', 'dispatch_request'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
