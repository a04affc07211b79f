"""The International Patent Classification codes we name technical fields by."""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.extensions import db


class IpcField(db.Model):
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    level: Mapped[str] = mapped_column(String(12))  # section, class, subclass
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("ipc_field.code"))
    title_en: Mapped[str] = mapped_column(String(300))
    title_zh: Mapped[str] = mapped_column(String(300))
    litigation_common: Mapped[bool] = mapped_column(default=False)
