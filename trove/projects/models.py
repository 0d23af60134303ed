"""Projects, their published brief versions, examples and teams."""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trove.accounts.models import User
from trove.extensions import db, enum_column
from trove.i18n import N_, own_text
from trove.projects.photo_rules import EXCLUSIONS, PeoplePolicy
from trove.timeutil import utcnow


def new_pseudonym_salt() -> str:
    """Return a fresh random salt for a project's contributor pseudonyms."""
    return secrets.token_hex(32)


class ProjectStatus(enum.StrEnum):
    """Where a project is in its life."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    PAUSED = "paused"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """Return the human name of the status."""
        return str(
            {
                "draft": _l("Draft"),
                "submitted": _l("Awaiting vetting"),
                "published": _l("Open"),
                "paused": _l("Paused"),
                "closed": _l("Closed"),
            }[self.value]
        )


class TeamRole(enum.StrEnum):
    """A lab member's role on one project."""

    OWNER = "owner"
    REVIEWER = "reviewer"
    FINANCE = "finance"
    STEWARD = "steward"
    VIEWER = "viewer"

    @property
    def label(self) -> str:
        """Return the human name of the role."""
        return str(
            {
                "owner": _l("Owner"),
                "reviewer": _l("Reviewer"),
                "finance": _l("Finance"),
                "steward": _l("Data steward"),
                "viewer": _l("Viewer"),
            }[self.value]
        )


class Capability(enum.StrEnum):
    """Something a team role allows on a project."""

    VIEW = "view"  # see the project's photos, drafts and internal pages
    REVIEW = "review"  # approve and reject photos
    FINANCE = "finance"  # prepare and approve payout batches
    STEWARD = "steward"  # cut and download dataset versions
    MANAGE = "manage"  # edit the brief, change status, manage the team


ROLE_CAPABILITIES: dict[TeamRole, frozenset[Capability]] = {
    TeamRole.OWNER: frozenset(Capability),
    TeamRole.REVIEWER: frozenset({Capability.VIEW, Capability.REVIEW}),
    TeamRole.FINANCE: frozenset({Capability.VIEW, Capability.FINANCE}),
    TeamRole.STEWARD: frozenset({Capability.VIEW, Capability.STEWARD}),
    TeamRole.VIEWER: frozenset({Capability.VIEW}),
}

#: The brief fields written in the wizard; a published version snapshots all of them.
BRIEF_FIELDS = (
    "title",
    "summary",
    "beneficiaries",
    "must_show",
    "must_not_show",
    "exclusions",
    "usage",
    "access",
    "retention_days",
    "withdrawal_grace_days",
    "licence_text",
    "ethics_reference",
    "ethics_expires_on",
    "target_count",
    "pay_minor",
    "currency",
    "per_contributor_limit",
    "deadline",
    "min_width",
    "min_height",
    "people_policy",
    "max_long_edge",
)

#: The range a brief's maximum long edge may take (pixels): small enough phone photos are
#: still useful for training, large enough covers every phone camera.
MIN_LONG_EDGE, MAX_LONG_EDGE = 512, 10_000

#: Why the app closes a project. Stored in English, as every stored text is; a page shows
#: them in its own language (:attr:`Project.close_reason_text`). A lab's own reason stays.
TARGET_REACHED = N_("Target reached")
DEADLINE_PASSED = N_("Deadline passed")
ETHICS_EXPIRED = N_("Ethics approval expired")
CLOSED_BY_LAB = N_("Closed by the lab")
CLOSE_REASONS = frozenset({TARGET_REACHED, DEADLINE_PASSED, ETHICS_EXPIRED, CLOSED_BY_LAB})

DEFAULT_LICENCE = (
    "I took this photo myself and I own it. I grant {lab} a worldwide, non-exclusive, "
    "royalty-free licence to copy, store and use the photo to train, test and evaluate the "
    "machine-learning models described in this brief, and to share it with the project team "
    "for that purpose only. {lab} will not sell the photo or publish it outside a dataset "
    "version, will keep it no longer than the retention period in this brief, and will stop "
    "using it in new dataset versions when I withdraw it."
)


class Project(db.Model):
    """A data-collection project: its working brief, status and counters."""

    __tablename__ = "projects"
    __table_args__ = (Index("ix_projects_status_deadline", "status", "deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[ProjectStatus] = enum_column(
        ProjectStatus, length=20, default=ProjectStatus.DRAFT
    )
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(String(200))
    review_comment: Mapped[str | None] = mapped_column(Text)
    wizard_step: Mapped[int] = mapped_column(default=1)  # furthest step saved
    rules_confirmed_at: Mapped[datetime | None]
    rules_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    # The working brief (what the wizard edits). Published versions are snapshots of it.
    title: Mapped[str] = mapped_column(String(120), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    beneficiaries: Mapped[str] = mapped_column(Text, default="")
    must_show: Mapped[str] = mapped_column(Text, default="")
    must_not_show: Mapped[str] = mapped_column(Text, default="")
    exclusions: Mapped[list[str]] = mapped_column(JSON, default=list)
    usage: Mapped[str] = mapped_column(Text, default="")
    access: Mapped[str] = mapped_column(Text, default="")
    retention_days: Mapped[int | None]
    licence_text: Mapped[str] = mapped_column(Text, default="")
    ethics_reference: Mapped[str | None] = mapped_column(String(120))
    ethics_expires_on: Mapped[date | None] = mapped_column(Date)
    target_count: Mapped[int | None]
    pay_minor: Mapped[int | None]
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    per_contributor_limit: Mapped[int | None]
    deadline: Mapped[date | None] = mapped_column(Date)
    min_width: Mapped[int] = mapped_column(default=0)
    min_height: Mapped[int] = mapped_column(default=0)
    # None: the brief says nothing about people (briefs written before the choice existed).
    people_policy: Mapped[str | None] = mapped_column(String(20))
    # Phones resize photos to at most this many pixels on the long side before sending
    # (a lossy re-encode, the lab's choice, stated on the brief); None sends them as taken.
    max_long_edge: Mapped[int | None]

    # Consent and retention: how long a withdrawn photo's file is kept before it is purged,
    # the salt of contributor pseudonyms in dataset versions (never shared across projects),
    # and when the retention period's notice and purge happened.
    withdrawal_grace_days: Mapped[int] = mapped_column(default=30, server_default="30")
    pseudonym_salt: Mapped[str] = mapped_column(String(64), default=new_pseudonym_salt)
    retention_notice_at: Mapped[datetime | None]
    files_purged_at: Mapped[datetime | None]

    # Counters kept by the review rules (updated atomically, never recounted in a view).
    approved_count: Mapped[int] = mapped_column(default=0)
    spent_minor: Mapped[int] = mapped_column(default=0)
    # Photos holding one of the target's spots (processing, pending review or approved);
    # kept by trove.submissions.spots in the transaction that changes a photo's status.
    active_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # Photos in each status (the review queue's numbers), kept by the same helper in the
    # same UPDATE; ``trove.submissions.spots.STATUS_COUNT`` maps a status to its column.
    photos_processing: Mapped[int] = mapped_column(default=0, server_default="0")
    photos_pending_review: Mapped[int] = mapped_column(default=0, server_default="0")
    photos_approved: Mapped[int] = mapped_column(default=0, server_default="0")
    photos_rejected: Mapped[int] = mapped_column(default=0, server_default="0")
    photos_withdrawn: Mapped[int] = mapped_column(default=0, server_default="0")

    # Review quality (set by the owner): the share of approvals a second reviewer checks
    # before their earnings are payable, and the share of a reviewer's queue that is gold.
    second_opinion_percent: Mapped[int] = mapped_column(default=0, server_default="0")
    gold_percent: Mapped[int] = mapped_column(default=0, server_default="0")

    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("brief_versions.id", use_alter=True)
    )

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    members: Mapped[list[ProjectMember]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectMember.id"
    )
    versions: Mapped[list[BriefVersion]] = relationship(
        back_populates="project",
        foreign_keys="BriefVersion.project_id",
        order_by="BriefVersion.number",
    )
    current_version: Mapped[BriefVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )
    examples: Mapped[list[ProjectExample]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectExample.id"
    )

    @property
    def budget_minor(self) -> int | None:
        """Return the most this project can pay: target × pay per photo."""
        if self.target_count is None or self.pay_minor is None:
            return None
        return self.target_count * self.pay_minor

    @property
    def spots_left(self) -> int:
        """Return how many more photos can be approved."""
        return max((self.target_count or 0) - self.approved_count, 0)

    @property
    def progress_percent(self) -> int:
        """Return approvals as a whole percentage of the target."""
        if not self.target_count:
            return 0
        return min(100, round(100 * self.approved_count / self.target_count))

    @property
    def is_public(self) -> bool:
        """Return whether anyone may read the brief (it has been published)."""
        return self.status in (ProjectStatus.PUBLISHED, ProjectStatus.PAUSED, ProjectStatus.CLOSED)

    @property
    def accepts_uploads(self) -> bool:
        """Return whether contributors may add photos now."""
        return self.status is ProjectStatus.PUBLISHED and self.spots_left > 0

    @property
    def close_reason_text(self) -> str | None:
        """Return why the project closed, in the page's language when the app wrote it."""
        return own_text(self.close_reason, CLOSE_REASONS)

    @property
    def not_accepting_reason(self) -> str | None:
        """Return why contributors cannot send photos now, in their words (None if they can)."""
        if self.accepts_uploads:
            return None
        if self.status is ProjectStatus.PAUSED:
            return _(
                "This project is paused: the team stopped taking photos for a while. "
                "Check back later."
            )
        if self.status is ProjectStatus.PUBLISHED or self.close_reason == TARGET_REACHED:
            return _(
                "This project reached its target and is closed. "
                "Thank you to everyone who took part!"
            )
        if self.status is ProjectStatus.CLOSED:
            if self.close_reason:
                return _(
                    "This project has ended (%(reason)s) and no longer takes photos.",
                    reason=self.close_reason_text,
                )
            return _("This project has ended and no longer takes photos.")
        return _("This project is not open for photos yet.")

    @property
    def exclusion_labels(self) -> list[str]:
        """Return the human text of the chosen exclusions."""
        return [str(EXCLUSIONS[key]) for key in self.exclusions or [] if key in EXCLUSIONS]

    @property
    def people(self) -> PeoplePolicy | None:
        """Return the brief's people policy, if it states one."""
        return PeoplePolicy(self.people_policy) if self.people_policy else None

    @property
    def blurs_faces(self) -> bool:
        """Return whether photos are searched for faces and blurred before the team sees them."""
        return self.people in (PeoplePolicy.BLUR, PeoplePolicy.NOT_ALLOWED)

    @property
    def flags_faces(self) -> bool:
        """Return whether a photo with a face is flagged to be declined."""
        return self.people is PeoplePolicy.NOT_ALLOWED

    def brief_snapshot(self) -> dict[str, Any]:
        """Return the working brief as plain JSON-able data."""
        data: dict[str, Any] = {}
        for name in BRIEF_FIELDS:
            value = getattr(self, name)
            data[name] = value.isoformat() if isinstance(value, date) else value
        return data

    def member(self, user: Any) -> ProjectMember | None:
        """Return ``user``'s membership of the team, if any."""
        user_id = getattr(user, "id", None)
        return next((m for m in self.members if m.user_id == user_id), None)


class BriefVersion(db.Model):
    """An immutable published version of a brief; contributions agree to one."""

    __tablename__ = "brief_versions"
    __table_args__ = (UniqueConstraint("project_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    number: Mapped[int]
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    licence_text: Mapped[str] = mapped_column(Text)
    licence_hash: Mapped[str] = mapped_column(String(64))
    pay_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    change_note: Mapped[str | None] = mapped_column(String(500))

    project: Mapped[Project] = relationship(back_populates="versions", foreign_keys=[project_id])

    @staticmethod
    def hash_licence(text: str) -> str:
        """Return the SHA-256 of a licence text, as recorded in consent receipts."""
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ProjectMember(db.Model):
    """A lab member's role on a project team."""

    __tablename__ = "project_members"
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[TeamRole] = enum_column(TeamRole, length=20)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[Project] = relationship(back_populates="members")
    user: Mapped[User] = relationship()

    @property
    def capabilities(self) -> frozenset[Capability]:
        """Return what this role allows."""
        return ROLE_CAPABILITIES[self.role]


class ProjectExample(db.Model):
    """A good or bad example photo shown on the brief."""

    __tablename__ = "project_examples"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    good: Mapped[bool] = mapped_column(default=True)
    caption: Mapped[str] = mapped_column(String(200))
    storage_key: Mapped[str] = mapped_column(String(200))
    width: Mapped[int]
    height: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[Project] = relationship(back_populates="examples")


#: The brief fields a lab may translate: the words contributors read.
TRANSLATABLE_FIELDS = (
    "title",
    "summary",
    "beneficiaries",
    "must_show",
    "must_not_show",
    "usage",
    "access",
    "licence_text",
)


def source_hash(text: str) -> str:
    """Return the SHA-256 of a brief field's original text (a translation's anchor)."""
    return hashlib.sha256(text.encode()).hexdigest()


class BriefTranslation(db.Model):
    """One brief field in another language, valid while the original text is unchanged.

    ``source_sha256`` is the hash of the original the translator saw: when a new version
    changes that field, the translation stops being shown (and the lab sees it needs
    updating); fields that did not change keep theirs.
    """

    __tablename__ = "brief_translations"
    __table_args__ = (UniqueConstraint("project_id", "locale", "field"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(10))
    field: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    source_sha256: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def is_current_for(self, original: str) -> bool:
        """Return True if this translates ``original`` as it reads now."""
        return self.source_sha256 == source_hash(original)
