"""Words for identity documents and relations (docs/persons.md), and the mask of a number, for
the natural-person pages of clerks and experts."""

from flask_babel import lazy_gettext as _l

from registry.models import IdentityDocument, RelationKind
from registry.services import persons

DOCUMENT_LABELS = {
    IdentityDocument.RESIDENT_ID: _l("resident identity card (居民身份证)"),
    IdentityDocument.HK_MACAO_PERMIT: _l("Mainland travel permit for Hong Kong and Macao "
                                         "residents (港澳居民来往内地通行证)"),
    IdentityDocument.TAIWAN_PERMIT: _l("Mainland travel permit for Taiwan residents "
                                       "(台湾居民来往大陆通行证)"),
    IdentityDocument.PASSPORT: _l("passport"),
    IdentityDocument.FOREIGN_PERMANENT_ID: _l("foreign permanent resident ID card"),
    IdentityDocument.OTHER: _l("other identity document"),
}

RELATION_LABELS = {
    RelationKind.SPOUSE: _l("spouse"),
    RelationKind.PARENT: _l("parent"),
    RelationKind.CHILD: _l("child"),
    RelationKind.SIBLING: _l("brother or sister"),
    RelationKind.GRANDPARENT: _l("grandparent"),
    RelationKind.GRANDCHILD: _l("grandchild"),
    RelationKind.COLLATERAL: _l("other blood relative within three generations"),
    RelationKind.IN_LAW: _l("close in-law"),
    RelationKind.CLASSMATE: _l("classmate"),
    RelationKind.TEACHER: _l("teacher"),
    RelationKind.STUDENT: _l("student"),
    RelationKind.CLOSE_FRIEND: _l("close friend"),
    RelationKind.ENMITY: _l("enmity"),
    RelationKind.BUSINESS_PARTNER: _l("business partner"),
    RelationKind.OTHER: _l("other relationship"),
}


def document_label(value) -> str:
    return str(DOCUMENT_LABELS.get(value, value or ""))


def relation_label(value) -> str:
    return str(RELATION_LABELS.get(value, value or ""))


def document_choices() -> list[tuple[str, str]]:
    return [(kind.value, str(text)) for kind, text in DOCUMENT_LABELS.items()]


def relation_choices(near: bool) -> list[tuple[str, str]]:
    from registry.models.persons import NEAR_RELATIVE_KINDS

    return [(kind.value, str(text)) for kind, text in RELATION_LABELS.items()
            if (kind in NEAR_RELATIVE_KINDS) == near]


def register(blueprint) -> None:
    """Make the words and the mask available to every template (no query: the mask is
    computed from the row already loaded)."""
    blueprint.add_app_template_global(document_label, "document_label")
    blueprint.add_app_template_global(relation_label, "relation_label")
    blueprint.add_app_template_global(persons.masked, "masked_identity")
