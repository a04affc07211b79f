"""Natural persons (自然人): parties, agents, and the relatives and relations experts declare.

An identity number is never stored in the clear. A person row holds a keyed HMAC-SHA256 of
the normalised number (to match two records of the same person without reading either) and
the number encrypted (Fernet) for admins; registry/services/persons.py computes both and
docs/persons.md explains the keys. Each record owns its own person row: a party's, an
agent's, an expert's relative. Two rows are the same person when their HMACs are equal,
never because their names are (names collide: 张伟 is borne by hundreds of thousands).
"""

import enum
import re
import unicodedata
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from registry.extensions import db
from registry.models.base import DomainError, UTCDateTime, utcnow
from registry.models.experts import Expert, enum_column


class IdentityDocument(enum.StrEnum):
    RESIDENT_ID = "resident_id"            # 居民身份证 (GB 11643, 18 characters)
    HK_MACAO_PERMIT = "hk_macao_permit"    # 港澳居民来往内地通行证
    TAIWAN_PERMIT = "taiwan_permit"        # 台湾居民来往大陆通行证
    PASSPORT = "passport"                  # 护照
    FOREIGN_PERMANENT_ID = "foreign_permanent_id"  # 外国人永久居留身份证
    OTHER = "other"


class RelationKind(enum.StrEnum):
    # 近亲属 (CPL Art. 47(1)): the strict reading of the SPC's judge-recusal provisions.
    SPOUSE = "spouse"                      # 配偶
    PARENT = "parent"                      # 父母
    CHILD = "child"                        # 子女
    SIBLING = "sibling"                    # 兄弟姐妹
    GRANDPARENT = "grandparent"            # 祖父母、外祖父母
    GRANDCHILD = "grandchild"              # 孙子女、外孙子女
    COLLATERAL = "collateral"              # 三代以内旁系血亲 (uncle, aunt, cousin, nephew…)
    IN_LAW = "in_law"                      # 近姻亲 (spouse's parents and siblings…)
    # Other relations that may affect impartiality (CPL Art. 47(3)): disclosed, not a bar.
    CLASSMATE = "classmate"                # 同学
    TEACHER = "teacher"                    # 老师
    STUDENT = "student"                    # 学生
    CLOSE_FRIEND = "close_friend"          # 密友
    ENMITY = "enmity"                      # 仇怨
    BUSINESS_PARTNER = "business_partner"  # 合伙人、商业伙伴
    OTHER = "other"                        # 其他关系


NEAR_RELATIVE_KINDS = frozenset({
    RelationKind.SPOUSE, RelationKind.PARENT, RelationKind.CHILD, RelationKind.SIBLING,
    RelationKind.GRANDPARENT, RelationKind.GRANDCHILD, RelationKind.COLLATERAL,
    RelationKind.IN_LAW})

RESIDENT_ID = re.compile(r"^\d{17}[\dX]$")
_WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]
_CHECK_CODES = "10X98765432"


def normalise_identity(number: str) -> str:
    """The spelling matched and stored: half-width, upper case, no spaces or hyphens."""
    text = unicodedata.normalize("NFKC", number or "").upper()
    return re.sub(r"[\s\-–—()（）]", "", text)


def check_identity(document: IdentityDocument, number: str) -> str:
    """The normalised number, or DomainError: a resident ID must pass GB 11643's checksum and
    name a real birth date; other documents need 4 to 32 letters or digits."""
    normalised = normalise_identity(number)
    if document is IdentityDocument.RESIDENT_ID:
        if not RESIDENT_ID.match(normalised):
            raise DomainError("a resident ID number has 17 digits and a check digit or X",
                              field="identity_number")
        total = sum(int(digit) * weight
                    for digit, weight in zip(normalised[:17], _WEIGHTS, strict=True))
        if _CHECK_CODES[total % 11] != normalised[17] or not _birth_date_ok(normalised):
            raise DomainError("this resident ID number is not valid (check digit or birth "
                              "date)", field="identity_number")
    elif not re.fullmatch(r"[0-9A-Z]{4,32}", normalised):
        raise DomainError("an identity document number has 4 to 32 letters or digits",
                          field="identity_number")
    return normalised


def _birth_date_ok(number: str) -> bool:
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return date(1880, 1, 1) <= born <= date.today()


def match_token(identity_hmac: str) -> str:
    """A person in a problem document's `parties` and `conflicts`: "P-" and the first 32 hex
    digits of the keyed HMAC (never an organisation id, which is a number; not reversible
    without the key)."""
    return f"P-{identity_hmac[:32]}"


def same_name(a: str, b: str) -> bool:
    """Names equal once width, case and spaces are set aside (张 伟 = 张伟, Chan Tai Man =
    CHAN Tai-man is not claimed)."""
    def key(name: str) -> str:
        return re.sub(r"\s", "", unicodedata.normalize("NFKC", name or "")).casefold()
    return bool(key(a)) and key(a) == key(b)


class Person(db.Model):
    __table_args__ = (
        # A number is recorded whole (type, HMAC, ciphertext) or not at all.
        CheckConstraint(
            "(document_type IS NULL AND identity_hmac IS NULL AND identity_encrypted IS NULL)"
            " OR (document_type IS NOT NULL AND identity_hmac IS NOT NULL"
            " AND identity_encrypted IS NOT NULL)", name="identity_whole"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    document_type: Mapped[IdentityDocument | None] = enum_column(IdentityDocument,
                                                                 nullable=True)
    identity_hmac: Mapped[str | None] = mapped_column(String(64), index=True)
    identity_encrypted: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @validates("name")
    def _check_name(self, _key, name):
        name = " ".join((name or "").split())
        if not name:
            raise DomainError("a person needs a name", field="name")
        return name

    @property
    def has_identity(self) -> bool:
        return self.identity_hmac is not None

    @property
    def match_token(self) -> str | None:
        """How a problem document names this person (docs/persons.md): the same token for
        every row with the same number; None without a number (no match by name)."""
        return match_token(self.identity_hmac) if self.identity_hmac else None

    def __repr__(self) -> str:  # never the number
        return f"<Person {self.id}>"


class ExpertRelation(db.Model):
    """A person the expert declares a near relative of, or another relation with."""

    __table_args__ = (UniqueConstraint("person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id", ondelete="CASCADE"),
                                           index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[RelationKind] = enum_column(RelationKind)
    note: Mapped[str] = mapped_column(String(300), default="")
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    expert: Mapped[Expert] = relationship()
    person: Mapped[Person] = relationship(lazy="joined")

    @property
    def is_near_relative(self) -> bool:
        return self.kind in NEAR_RELATIVE_KINDS
