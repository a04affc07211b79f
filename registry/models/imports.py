"""An uploaded spreadsheet of experts, kept between its preview and its import."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.extensions import db
from registry.models.base import InvalidTransition, JSONType, UTCDateTime, utcnow
from registry.models.experts import enum_column
from registry.models.users import User


class ImportStatus(enum.StrEnum):
    PENDING = "pending"      # uploaded, previewed, nothing written yet
    IMPORTED = "imported"    # its experts were created (all rows, or the good ones)
    DISCARDED = "discarded"  # the admin dropped it


class ExpertImport(db.Model):
    """The file itself (not a parsed copy): it is read and checked again at commit, against the
    registry as it is then, by whichever worker serves that request."""

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    status: Mapped[ImportStatus] = enum_column(ImportStatus, length=16,
                                               default=ImportStatus.PENDING)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the import did: counts, mode, and the experts created ([id, name] pairs).
    summary: Mapped[dict | None] = mapped_column(JSONType)

    uploaded_by: Mapped[User | None] = relationship()

    def finish(self, status: ImportStatus) -> None:
        """Move from pending to `status` once: a compare-and-set on the row, so that two
        workers committing (or discarding) the same upload cannot both succeed."""
        moved = db.session.execute(
            update(ExpertImport)
            .where(ExpertImport.id == self.id, ExpertImport.status == ImportStatus.PENDING)
            .values(status=status, finished_at=utcnow())
            .execution_options(synchronize_session=False))
        if moved.rowcount != 1:
            current = db.session.scalar(select(ExpertImport.status)
                                        .where(ExpertImport.id == self.id))
            raise InvalidTransition("this import is already {status}",
                                    status=getattr(current, "value", current))
        db.session.refresh(self, ["status", "finished_at"])
