"""Briefs in several languages: the lab translates fields; contributors read their language.

A translation is anchored to the hash of the original text it translates, so a new brief
version keeps the translations of fields that did not change and drops (hides) the rest
until the lab updates them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from trove.accounts.models import User
from trove.audit.service import record_event
from trove.errors import DomainError
from trove.extensions import db
from trove.i18n import DEFAULT_LOCALE, LANGUAGES
from trove.projects.models import (
    TRANSLATABLE_FIELDS,
    BriefTranslation,
    Capability,
    Project,
    source_hash,
)
from trove.projects.service import can

#: The longest translation of one field (the originals are Text columns too).
TEXT_MAX = 20_000

#: What the translation page calls each field.
FIELD_LABELS = {
    "title": _l("Project title"),
    "summary": _l("What is the model for?"),
    "beneficiaries": _l("Who benefits?"),
    "must_show": _l("What the photos must show"),
    "must_not_show": _l("What the photos must not show"),
    "usage": _l("How the photos will be used"),
    "access": _l("Who can access the photos"),
    "licence_text": _l("Licence"),
}


def brief_field_label(name: str) -> str:
    """Return the label of a translatable brief field."""
    return str(FIELD_LABELS[name])


@dataclass
class BriefText:
    """A brief's words in one language: each field translated where a current one exists."""

    locale: str
    texts: dict[str, str]
    untranslated: list[str] = field(default_factory=list)  # fields shown in the original

    def __getattr__(self, name: str) -> str:
        try:
            return self.texts[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def partly_original(self) -> bool:
        """True when some words are shown in the brief's original language."""
        return bool(self.untranslated)


def _translations(project: Project, locale: str) -> dict[str, BriefTranslation]:
    rows = db.session.scalars(
        select(BriefTranslation).where(
            BriefTranslation.project_id == project.id, BriefTranslation.locale == locale
        )
    )
    return {row.field: row for row in rows}


def brief_in(project: Project, locale: str) -> BriefText:
    """Return the brief's words in ``locale``, falling back to the original per field."""
    originals = {name: getattr(project, name) or "" for name in TRANSLATABLE_FIELDS}
    if locale == DEFAULT_LOCALE:
        return BriefText(locale, originals)
    found = _translations(project, locale)
    texts, untranslated = {}, []
    for name, original in originals.items():
        row = found.get(name)
        if row is not None and row.is_current_for(original):
            texts[name] = row.text
        else:
            texts[name] = original
            if original.strip():
                untranslated.append(name)
    return BriefText(locale, texts, untranslated)


@dataclass
class FieldState:
    """One field on the lab's translation page."""

    name: str
    original: str
    text: str
    stale: bool  # translated, but the original changed since


def translation_state(project: Project, locale: str) -> list[FieldState]:
    """Return every translatable field with its translation and whether it is out of date."""
    found = _translations(project, locale)
    states = []
    for name in TRANSLATABLE_FIELDS:
        original = getattr(project, name) or ""
        row = found.get(name)
        states.append(
            FieldState(
                name=name,
                original=original,
                text=row.text if row else "",
                stale=bool(row and not row.is_current_for(original)),
            )
        )
    return states


def check_locale(locale: str) -> str:
    """Return ``locale`` if briefs may be translated into it; raise DomainError otherwise."""
    if locale not in LANGUAGES or locale == DEFAULT_LOCALE:
        raise DomainError(_("Choose one of the languages Trove offers."), status=404)
    return locale


def save_translation(project: Project, actor: User, locale: str, texts: dict[str, str]) -> int:
    """Store the lab's translation of the brief's fields into ``locale``; return how many
    fields changed. An empty text removes that field's translation."""
    if not can(actor, project, Capability.MANAGE):
        raise DomainError(_("Only the project's owner can translate its brief."), status=403)
    check_locale(locale)
    found = _translations(project, locale)
    changed = 0
    for name in TRANSLATABLE_FIELDS:
        if name not in texts:
            continue
        text = texts[name].strip()
        if len(text) > TEXT_MAX:
            raise DomainError(
                _(
                    "A translation is limited to %(count)s characters.",
                    count=format_number(TEXT_MAX),
                ),
                field=name,
                status=422,
            )
        anchor = source_hash(getattr(project, name) or "")
        row = found.get(name)
        if not text:
            if row is not None:
                db.session.delete(row)
                changed += 1
            continue
        if row is None:
            row = BriefTranslation(project_id=project.id, locale=locale, field=name)
            db.session.add(row)
        elif row.text == text and row.source_sha256 == anchor:
            continue
        row.text, row.source_sha256, row.updated_by_id = text, anchor, actor.id
        changed += 1
    if changed:
        record_event(
            actor, "brief.translated", project, project_id=project.id, locale=locale, fields=changed
        )
    db.session.flush()
    return changed
