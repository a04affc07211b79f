"""Companies, universities, law firms and the bodies that handle cases."""

import enum

from sqlalchemy import Enum, ForeignKey, Integer, String
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
    # Issue 9 item 5/8 (docs/cases.md): the year it was founded (no case number may be older),
    # a court's level (supreme, high, specialised_intermediate, intermediate, basic: whose
    # cases an appeal court links), its known file-number shapes ('|'-separated, e.g.
    # （{year}）深国仲受{seq}号). All seeded from seeds/courts.csv; None when unknown.
    founded_year: Mapped[int | None] = mapped_column(Integer)
    court_level: Mapped[str | None] = mapped_column(String(32))
    number_shapes: Mapped[str | None] = mapped_column(String(300))
    # The group it belongs to (its parent company): organizations of one group are affiliates
    # (IBA Orange 3.4.2, services/disclosures.py).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)

    city: Mapped[City | None] = relationship()

    @property
    def handles_cases(self) -> bool:
        return self.kind in HANDLING_BODY_KINDS

    @property
    def jurisdiction_code(self) -> str | None:
        return self.city.jurisdiction_code if self.city else None
