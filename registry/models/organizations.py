"""Companies, universities, law firms and the bodies that handle cases."""

import enum

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.models.geography import City


class OrganizationKind(enum.StrEnum):
    COMPANY = "company"
    UNIVERSITY = "university"
    RESEARCH_INSTITUTE = "research_institute"
    LAW_FIRM = "law_firm"
    COURT = "court"
    IP_ADMINISTRATION = "ip_administration"
    ARBITRATION_INSTITUTION = "arbitration_institution"


HANDLING_BODY_KINDS = frozenset(
    {OrganizationKind.COURT, OrganizationKind.IP_ADMINISTRATION,
     OrganizationKind.ARBITRATION_INSTITUTION}
)


class Organization(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_en: Mapped[str | None] = mapped_column(String(200))
    # Unified social credit code (统一社会信用代码) or another registry's id; unique when known.
    registry_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    kind: Mapped[OrganizationKind] = mapped_column(Enum(OrganizationKind, native_enum=False,
                                                        length=32))
    city_code: Mapped[str | None] = mapped_column(ForeignKey("city.code"), index=True)
    # Court code used in case numbers (法院代字), e.g. 沪73 for the Shanghai IP Court.
    case_number_code: Mapped[str | None] = mapped_column(String(12))

    city: Mapped[City | None] = relationship()

    @property
    def handles_cases(self) -> bool:
        return self.kind in HANDLING_BODY_KINDS

    @property
    def jurisdiction_code(self) -> str | None:
        return self.city.jurisdiction_code if self.city else None
