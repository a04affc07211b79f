"""Natural persons: identity numbers kept unreadable, parties and agents who are persons, the
relatives and relations experts declare, and how they meet (docs/persons.md).

Keys: `IDENTITY_HMAC_KEY` (matching) and `IDENTITY_ENCRYPTION_KEY` (a Fernet key, for the
admins' reading), from the app config or the environment; each defaults to a key derived from
SECRET_KEY, so set both in production before the first number is recorded.
"""

import base64
import hashlib
import hmac
import os
from collections import defaultdict

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import select

from registry.extensions import db
from registry.i18n import N_
from registry.models import (
    Case,
    DispatchRequest,
    DomainError,
    Expert,
    ExpertRelation,
    IdentityDocument,
    Organization,
    Party,
    Person,
    User,
)
from registry.models.persons import (
    NEAR_RELATIVE_KINDS,
    RelationKind,
    check_identity,
    match_token,
    same_name,
)
from registry.services import memo
from registry.services import permissions as may
from registry.services.audit import record
from registry.services.locks import hold
from scheduler import rules

NEAR_RELATIVE = rules.rule("near_relative").key
PERSONAL_RELATIONSHIP = rules.rule("personal_relationship").key


# -- keys ----------------------------------------------------------------------------------------

def _configured(name: str) -> bytes | None:
    value = current_app.config.get(name) or os.environ.get(name)
    return value.encode() if isinstance(value, str) else value


def _derived(purpose: bytes) -> bytes:
    """A 32-byte key of its own for each purpose, from SECRET_KEY (the default)."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, purpose, hashlib.sha256).digest()


def identity_hmac(document: IdentityDocument, normalised: str) -> str:
    """The keyed HMAC-SHA256 two records of one number share (hex); the type is part of it."""
    key = _configured("IDENTITY_HMAC_KEY") or _derived(b"registry identity hmac v1")
    return hmac.new(key, f"{document.value}:{normalised}".encode(), hashlib.sha256).hexdigest()


def _fernet() -> Fernet:
    key = _configured("IDENTITY_ENCRYPTION_KEY") or \
        base64.urlsafe_b64encode(_derived(b"registry identity encryption v1"))
    return Fernet(key)


def _number_of(person: Person) -> str | None:
    if not person.identity_encrypted:
        return None
    try:
        return _fernet().decrypt(person.identity_encrypted.encode()).decode()
    except InvalidToken:  # the key changed: the number is lost to reading, not to matching
        return None


# -- persons -------------------------------------------------------------------------------------

def new_person(name: str, document: IdentityDocument | None, number: str | None) -> Person:
    """A person row; the number (if any) checked, then kept as HMAC and ciphertext only."""
    person = Person(name=name)
    if number:
        if document is None:
            raise DomainError("say which identity document the number is from",
                              field="document_type")
        normalised = check_identity(document, number)
        person.document_type = document
        person.identity_hmac = identity_hmac(document, normalised)
        person.identity_encrypted = _fernet().encrypt(normalised.encode()).decode()
    db.session.add(person)
    return person


def masked(person: Person | None) -> str | None:
    """What everyone but admins sees of the number: ****1234, or None when none is recorded."""
    if person is None or not person.has_identity:
        return None
    number = _number_of(person)
    return f"****{number[-4:]}" if number else "****"


def view(person: Person | None, user: User) -> dict | None:
    """The person as `user` may see it: the number itself for admins only."""
    if person is None:
        return None
    shown = {"id": person.id, "name": person.name,
             "document_type": person.document_type.value if person.document_type else None,
             "identity_masked": masked(person)}
    if may.can_see_identity_numbers(user):
        shown["identity_number"] = _number_of(person)
    return shown


def _audited(person: Person | None) -> dict | None:
    """A person in an audit event: name and document type, never the number."""
    if person is None:
        return None
    return {"person": person.id, "name": person.name,
            "document_type": person.document_type.value if person.document_type else None,
            "identity_recorded": person.has_identity}


def _person_from(data: dict, prefix: str = "") -> Person:
    return new_person(data[f"{prefix}name"], data.get(f"{prefix}document_type"),
                      data.get(f"{prefix}identity_number"))


# -- parties and agents --------------------------------------------------------------------------

def add_person_party(case: Case, data: dict, actor: User) -> Party:
    """A natural person as a party, with its law firm and individual agent if given."""
    hold(requests=case.requests)
    counsel = _counsel(data.get("counsel_id"))
    person = _person_from(data)
    if person.has_identity and any(p.person and p.person.identity_hmac == person.identity_hmac
                                   for p in case.parties):
        raise DomainError("this person is already a party to this case",
                          field="identity_number")
    party = Party(case=case, role=data["role"], person=person, counsel=counsel)
    if data.get("agent_name"):
        party.agent_person = _person_from(data, "agent_")
    db.session.add(party)
    db.session.flush()
    record(actor, "add_person_party", "case", case.id, after=_party_audit(party))
    _recheck(actor, case_ids=[case.id])
    return party


def set_agent(party: Party, data: dict | None, actor: User) -> Party:
    """Give a party (organisation or person) an individual agent, replace it, or (None)
    remove it. The old agent's person row goes with it."""
    hold(requests=party.case.requests)
    before = _party_audit(party)
    old = party.agent_person
    party.agent_person = _person_from(data, "agent_") if data else None
    db.session.flush()
    if old is not None:
        db.session.delete(old)
    record(actor, "set_party_agent", "case", party.case_id, before=before,
           after=_party_audit(party))
    _recheck(actor, case_ids=[party.case_id])
    return party


def remove_person_party(party: Party, actor: User) -> None:
    """Take a natural-person party off its case (organisations stay as filed)."""
    if party.person_id is None:
        raise DomainError("only a natural-person party can be removed here", field="party")
    hold(requests=party.case.requests)
    record(actor, "remove_person_party", "case", party.case_id, before=_party_audit(party))
    persons = party.persons()
    db.session.delete(party)
    db.session.flush()
    for person in persons:
        db.session.delete(person)
    _recheck(actor, case_ids=[party.case_id])


def _recheck(actor: User, expert_ids=(), case_ids=()) -> None:
    """Seats already held that the change now breaks are flagged at once (docs/flags.md)."""
    from registry.services import flags  # flags -> problem_export -> persons

    flags.after_change(expert_ids=expert_ids, case_ids=case_ids, actor=actor)


def _counsel(counsel_id: int | None) -> Organization | None:
    if not counsel_id:
        return None
    organization = db.session.get(Organization, counsel_id)
    if organization is None:
        raise DomainError("unknown organization {organization_id}", field="counsel_id",
                          organization_id=counsel_id)
    return organization


def _party_audit(party: Party) -> dict:
    return {"party": party.id, "role": party.role.value if party.role else None,
            "organization": party.organization_id, "counsel": party.counsel_id,
            "person": _audited(party.person), "agent": _audited(party.agent_person)}


def party_view(party: Party, user: User) -> dict:
    return {"id": party.id, "case_id": party.case_id, "role": party.role.value,
            "organization_id": party.organization_id,
            "organization": party.organization.name if party.organization else None,
            "person": view(party.person, user),
            "counsel_id": party.counsel_id,
            "counsel": party.counsel.name if party.counsel else None,
            "agent": view(party.agent_person, user)}


def party_of(case: Case, party_id: int) -> Party:
    from registry.services.access import NotFound, get_row

    party = get_row(Party, party_id, "party")
    if party.case_id != case.id:
        raise NotFound("party {party_id} not found on case {case_id}", party_id=party_id,
                       case_id=case.id)
    return party


# -- relatives and relations ---------------------------------------------------------------------

def declare_relation(expert: Expert, data: dict, actor: User) -> ExpertRelation:
    """A near relative (a bar where that person is a party or agent) or another relation (a
    disclosure), naming the person and, where known, the identity number."""
    hold(experts=[expert])
    person, kind = _person_from(data), RelationKind(data["kind"])
    # Its kinds and identity hashes only: relations_of's memo would be forgotten at the
    # write below and read again by the recheck.
    declared = db.session.execute(
        select(ExpertRelation.kind, Person.identity_hmac)
        .join(Person, Person.id == ExpertRelation.person_id)
        .where(ExpertRelation.expert_id == expert.id)).all()
    if person.has_identity and any(hmac_ == person.identity_hmac for _kind, hmac_ in declared):
        raise DomainError("a relation with the holder of this identity number is already "
                          "declared", field="identity_number")
    if kind is RelationKind.SPOUSE and any(k is RelationKind.SPOUSE for k, _hmac in declared):
        raise DomainError("a spouse is already declared; withdraw that declaration first",
                          field="kind")
    relation = ExpertRelation(expert=expert, kind=kind, note=data.get("note", ""),
                              person=person)
    db.session.add(relation)
    db.session.flush()
    record(actor, "declare_relation", "expert", expert.id,
           after={"relation": relation.id, "kind": relation.kind.value,
                  **_audited(relation.person)})
    _recheck(actor, expert_ids=[expert.id])
    return relation


def remove_relation(relation: ExpertRelation, actor: User) -> None:
    hold(experts=[relation.expert_id])
    record(actor, "remove_relation", "expert", relation.expert_id,
           before={"relation": relation.id, "kind": relation.kind.value,
                   **_audited(relation.person)})
    person = relation.person
    db.session.delete(relation)
    db.session.flush()
    db.session.delete(person)
    _recheck(actor, expert_ids=[relation.expert_id])


def relations_of(expert: Expert) -> list[ExpertRelation]:
    """The expert's declared relations, latest first (read once per transaction: memo.py)."""
    return list(memo.remember(RELATIONS, expert.id, _relations))  # a copy: the memo's stays


def read_relations_ahead(experts) -> None:
    """Read the relations of all these experts in one query, for relations_of to answer."""
    memo.remember_many(RELATIONS, [expert.id for expert in experts], _relations)


RELATIONS = "declared_relations"  # memo kind: {expert id: relations}


def _relations(expert_ids: list[int]) -> dict[int, list[ExpertRelation]]:
    found = {expert_id: [] for expert_id in expert_ids}
    for relation in db.session.scalars(
            select(ExpertRelation).where(ExpertRelation.expert_id.in_(expert_ids))
            .order_by(ExpertRelation.declared_at.desc(), ExpertRelation.id.desc())):
        found[relation.expert_id].append(relation)
    return found


def relation_view(relation: ExpertRelation, user: User) -> dict:
    return {"id": relation.id, "expert_id": relation.expert_id, "kind": relation.kind.value,
            "near_relative": relation.is_near_relative, "note": relation.note,
            "declared_at": relation.declared_at, "person": view(relation.person, user)}


def relation_of(expert: Expert, relation_id: int) -> ExpertRelation:
    from registry.services.access import owned

    return owned(ExpertRelation, relation_id, expert)


# -- matching ------------------------------------------------------------------------------------

def party_tokens(case: Case) -> list[str]:
    """The persons of a case (parties and agents) as a problem document names them: one
    token per identity number (Person.match_token); persons without a number are left out,
    since nothing may match them by name."""
    return sorted({p.match_token for party in case.parties for p in party.persons()
                   if p.match_token})


def near_relative_tokens(expert_ids) -> dict[int, set[str]]:
    """Each expert's near relatives with a number, as match tokens (one query per batch)."""
    tokens: dict[int, set[str]] = defaultdict(set)
    rows = db.session.execute(
        select(ExpertRelation.expert_id, Person.identity_hmac)
        .join(Person, Person.id == ExpertRelation.person_id)
        .where(ExpertRelation.expert_id.in_(expert_ids),
               ExpertRelation.kind.in_(NEAR_RELATIVE_KINDS),
               Person.identity_hmac.is_not(None)))
    for expert_id, digest in rows:
        tokens[expert_id].add(match_token(digest))
    return tokens


def _case_persons(case: Case) -> list[tuple[Party, str, Person]]:
    found = []
    for party in case.parties:
        if party.person:
            found.append((party, "party", party.person))
        if party.agent_person:
            found.append((party, "agent", party.agent_person))
    return found


def _matches(declared: Person, present: Person) -> str | None:
    """"same" when both numbers are recorded and equal; "name" when the names are equal and
    a number is missing on either side (a possible match for the coordinator); else None.
    Two different numbers are two different people, whatever their names."""
    if declared.has_identity and present.has_identity:
        return "same" if declared.identity_hmac == present.identity_hmac else None
    return "name" if same_name(declared.name, present.name) else None


def experts_with_relations(expert_ids: set[int]) -> set[int]:
    """Those of these experts who declared a relative or relation. One query, which reads
    the relations themselves: relations_of answers from it when they are judged next."""
    if not expert_ids:
        return set()
    relations = memo.remember_many(RELATIONS, sorted(expert_ids), _relations)
    return {expert_id for expert_id, declared in relations.items() if declared}


def relation_matches(request: DispatchRequest, expert: Expert) -> list[tuple]:
    """(relation, party, "party"|"agent", "same"|"name") for each declared person on the
    request's case."""
    found = []
    for relation in relations_of(expert):
        for party, capacity, person in _case_persons(request.case):
            if how := _matches(relation.person, person):
                found.append((relation, party, capacity, how))
    return found


def near_relative_findings(request: DispatchRequest, expert: Expert) -> list[dict]:
    """The bars (rule near_relative) in words: a declared near relative, by number, is a
    party or an agent on the request's case. The scheduler enforces them (rule 6)."""
    return [_finding(NEAR_RELATIVE, *match) for match in relation_matches(request, expert)
            if match[3] == "same" and match[0].is_near_relative]


def personal_relationship_findings(request: DispatchRequest, expert: Expert) -> list[dict]:
    """What to disclose (rule personal_relationship, not a bar): another declared relation
    with a party or agent of the case, matched by number; and every same-name match where a
    number is missing on either side (relative or not), for the coordinator to judge.

    Each finding is {"rule", "detail"} (English words), with "template" and "params" for a
    translation (i18n.translate_error)."""
    return [_finding(PERSONAL_RELATIONSHIP, *match)
            for match in relation_matches(request, expert)
            if match[3] == "name" or not match[0].is_near_relative]


FINDING_TEMPLATES = {
    ("party", "same"): N_("declared relation {name} ({kind}) is a party ({role}: {party}), "
                          "with the same identity number"),
    ("agent", "same"): N_("declared relation {name} ({kind}) is the agent of a party "
                          "({role}: {party}), with the same identity number"),
    ("party", "name"): N_("declared relation {name} ({kind}) has the same name as a party "
                          "({role}: {party}); an identity number is missing, so it may be "
                          "the same person"),
    ("agent", "name"): N_("declared relation {name} ({kind}) has the same name as the agent "
                          "of a party ({role}: {party}); an identity number is missing, so "
                          "it may be the same person"),
}


def _finding(rule_key: str, relation: ExpertRelation, party: Party, capacity: str,
             how: str) -> dict:
    template = FINDING_TEMPLATES[capacity, how]
    params = {"name": relation.person.name, "kind": relation.kind.value,
              "role": party.role.value, "party": party.party_name}
    return {"rule": rule_key, "detail": template.format(**params), "template": template,
            "params": params}
