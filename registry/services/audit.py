"""Write audit events in the same transaction as the change they describe."""

from registry.extensions import db
from registry.models import AuditEvent, User


def record(actor: User | None, action: str, entity: str, entity_id, before=None, after=None):
    db.session.add(AuditEvent(actor_id=actor.id if actor else None, action=action, entity=entity,
                              entity_id=str(entity_id), before=before, after=after))
