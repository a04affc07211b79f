"""Causes of action (案由) and which of them technical investigators may serve.

The list is reference data (seeds/causes.csv). SPC 2019 Art. 1 opens technical investigators to
patent, plant-variety, IC layout-design, technical-secret, computer-software and monopoly
cases; CNIPA 国知办发保字〔2021〕17号 to patent and IC layout-design infringement disputes in
administrative adjudication. Rule `case_type` in scheduler/rules.py; docs/cases.md.
"""

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.extensions import db


class CauseOfAction(db.Model):
    code: Mapped[str] = mapped_column(String(48), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(160))
    # The right in dispute: patent, plant_variety, ic_layout, technical_secret, software,
    # monopoly, trademark, copyright, unfair_competition, technology_contract, other.
    category: Mapped[str] = mapped_column(String(32))
    # The kinds of case it is a cause of, ';'-separated CaseKind values.
    kinds: Mapped[str] = mapped_column(String(120))
    investigators: Mapped[bool] = mapped_column(Boolean, default=False)

    def applies_to(self, kind: str) -> bool:
        return str(kind) in self.kinds.split(";")
