"""The tables. Constraints that keep the data right live here, in the database, not only in Python."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from campaign_api.domain.statuses import CampaignStatus, PetitionStatus

# Named constraints, so migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Primary keys are 32-bit integers on every backend; ids from clients are checked against this before any query.
MAX_ROW_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Stores UTC and always hands back an aware datetime (SQLite keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _status_enum(enum: type[CampaignStatus] | type[PetitionStatus], name: str) -> Enum:
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        # The public list (published, newest first) and an organisation's list.
        Index("ix_campaigns_status_id", "status", "id"),
        Index("ix_campaigns_organisation_id_status_id", "organisation_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # For the organisation's people only (the `edit` permit): briefing, contacts, plans.
    internal_notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[CampaignStatus] = mapped_column(
        _status_enum(CampaignStatus, "campaign_status"), default=CampaignStatus.DRAFT
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Petition(Base):
    __tablename__ = "petitions"
    __table_args__ = (
        Index("ix_petitions_campaign_id_status_id", "campaign_id", "status", "id"),
        CheckConstraint("goal > 0", name="goal_positive"),
        CheckConstraint("signature_count >= 0", name="signature_count_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    target: Mapped[str] = mapped_column(String(200), default="")
    goal: Mapped[int] = mapped_column(Integer)
    status: Mapped[PetitionStatus] = mapped_column(
        _status_enum(PetitionStatus, "petition_status"), default=PetitionStatus.DRAFT
    )
    # Kept by the signing transaction (an atomic increment next to the insert), so reading a count is one column,
    # not a COUNT(*) over the signatures.
    signature_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Signature(Base):
    __tablename__ = "signatures"
    __table_args__ = (
        # One signature per normalised email per petition, enforced where concurrency cannot slip past it.
        UniqueConstraint("petition_id", "email_normalised"),
        Index("ix_signatures_petition_id_id", "petition_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(320))
    email_normalised: Mapped[str] = mapped_column(String(320))
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    consent_to_contact: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Identity(Base):
    """A person of the embedded identity store (the same fields Kratos keeps in an identity's traits)."""

    __tablename__ = "identities"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    # "active" or "inactive", as Kratos's identity state: an inactive identity is nobody's viewer.
    state: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class IdentitySession(Base):
    """A session of the embedded store. The token is never stored: only its SHA-256, so a leaked table leaks no
    usable credential."""

    __tablename__ = "identity_sessions"
    __table_args__ = (Index("ix_identity_sessions_identity_id", "identity_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    identity_id: Mapped[str] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    authenticator_assurance_level: Mapped[str] = mapped_column(String(8), default="aal1")
    authenticated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class RelationTupleRow(Base):
    """A relation tuple of the embedded permission engine (``namespace:object#relation@subject``).

    The subject is a plain id (``subject_namespace`` empty) or a subject set; every column is NOT NULL so that the
    unique constraint makes writing a tuple twice a no-op on every database.
    """

    __tablename__ = "relation_tuples"
    __table_args__ = (
        UniqueConstraint("namespace", "object", "relation", "subject_namespace", "subject_object", "subject_relation"),
        # Reverse lookups: everything a subject has (a person's roles).
        Index("ix_relation_tuples_subject", "subject_namespace", "subject_object", "subject_relation"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    namespace: Mapped[str] = mapped_column(String(64))
    object: Mapped[str] = mapped_column(String(64))
    relation: Mapped[str] = mapped_column(String(64))
    subject_namespace: Mapped[str] = mapped_column(String(64), default="")
    subject_object: Mapped[str] = mapped_column(String(64))
    subject_relation: Mapped[str] = mapped_column(String(64), default="")
