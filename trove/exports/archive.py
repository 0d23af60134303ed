"""Write a dataset version's zip: images, manifest, datasheet, Croissant metadata.

The archive is written file by file to a stream (never held in memory): each image is
copied in chunks and hashed on the way, so the manifest's SHA-256 values are checked
against the bytes that actually went into the zip.
"""

from __future__ import annotations

import hashlib
import html
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from typing import IO, Any

from sqlalchemy import func, select

from trove.exports.models import DatasetItem, DatasetVersion
from trove.exports.service import deletion_entries
from trove.extensions import db
from trove.media.storage import Storage
from trove.money import format_money
from trove.submissions.models import RejectionCode, Submission, SubmissionStatus

CHUNK = 1024 * 1024
BATCH = 500

MIMETYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


class ArchiveError(Exception):
    """A stored photo is missing or does not match its recorded hash."""


def _items(version: DatasetVersion) -> Iterator[tuple[DatasetItem, Submission]]:
    """Yield the version's items in order, a batch at a time (memory stays flat)."""
    last = 0
    while True:
        rows = db.session.execute(
            select(DatasetItem, Submission)
            .join(Submission, Submission.id == DatasetItem.submission_id)
            .where(DatasetItem.version_id == version.id, DatasetItem.id > last)
            .order_by(DatasetItem.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for item, submission in rows:
            yield item, submission
        last = rows[-1][0].id
        for item, submission in rows:  # keep the session small: memory stays flat
            db.session.expunge(item)
            db.session.expunge(submission)


def _info(name: str, version: DatasetVersion, *, compress: bool) -> zipfile.ZipInfo:
    stamp = version.created_at.timetuple()[:6]
    info = zipfile.ZipInfo(name, date_time=(max(stamp[0], 1980), *stamp[1:]))
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def write_archive(
    version: DatasetVersion,
    storage: Storage,
    out: IO[bytes],
    progress: Callable[[int], None] | None = None,
) -> None:
    """Write ``version`` as a zip to ``out``; raise ArchiveError if a photo is wrong."""
    manifest_hash = hashlib.sha256()
    manifest_size = 0
    stats = _Stats()
    # The manifest is gathered in a temporary file (a zip takes one open member at a time)
    # and added after the images.
    with zipfile.ZipFile(out, "w", allowZip64=True) as zf, tempfile.TemporaryFile() as mf:
        brief_numbers = _brief_numbers(version)
        for done, (item, submission) in enumerate(_items(version), start=1):
            digest, size = _copy_image(zf, version, storage, item, submission)
            line = (
                json.dumps(
                    {
                        "file": item.path,
                        "sha256": digest,
                        "size": size,
                        "width": item.width,
                        "height": item.height,
                        "split": item.split.value,
                        "contributor": item.pseudonym,
                        "brief_version": brief_numbers.get(submission.brief_version_id),
                        "licence_sha256": submission.licence_hash,
                        "approved_at": _iso(submission.reviewed_at),
                    },
                    sort_keys=True,
                ).encode()
                + b"\n"
            )
            manifest_hash.update(line)
            manifest_size += len(line)
            mf.write(line)
            stats.add(item, submission)
            if progress is not None:
                progress(done)
        mf.seek(0)
        with zf.open(
            _info("manifest.jsonl", version, compress=True), "w", force_zip64=True
        ) as target:
            while chunk := mf.read(CHUNK):
                target.write(chunk)
        withdrawn = _withdrawn(version)
        zf.writestr(
            _info("withdrawn.json", version, compress=True),
            json.dumps(withdrawn, indent=2, sort_keys=True) + "\n",
        )
        zf.writestr(_info("datasheet.md", version, compress=True), datasheet(version, stats))
        zf.writestr(
            _info("croissant.json", version, compress=True),
            json.dumps(
                croissant(version, stats, manifest_hash.hexdigest(), manifest_size), indent=2
            )
            + "\n",
        )


def _copy_image(
    zf: zipfile.ZipFile,
    version: DatasetVersion,
    storage: Storage,
    item: DatasetItem,
    submission: Submission,
) -> tuple[str, int]:
    if submission.storage_key is None or not storage.exists(submission.storage_key):
        raise ArchiveError(f"The stored file of photo {submission.id} is missing.")
    digest = hashlib.sha256()
    size = 0
    with (
        storage.open_original(submission.storage_key) as source,
        zf.open(_info(item.path, version, compress=False), "w", force_zip64=True) as target,
    ):
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            target.write(chunk)
    if digest.hexdigest() != item.sha256:
        raise ArchiveError(
            f"The stored file of photo {submission.id} does not match its recorded hash."
        )
    return item.sha256, size


def _brief_numbers(version: DatasetVersion) -> dict[int, int]:
    from trove.projects.models import BriefVersion

    return dict(
        db.session.execute(
            select(BriefVersion.id, BriefVersion.number).where(
                BriefVersion.project_id == version.project_id
            )
        ).all()
    )


def _iso(moment: Any) -> str | None:
    return moment.replace(microsecond=0).isoformat() + "Z" if moment else None


class _Stats:
    """Counts gathered while the images are written (one pass over the items)."""

    def __init__(self) -> None:
        self.photos = 0
        self.bytes = 0
        self.contributors: set[str] = set()
        self.splits: dict[str, int] = {}
        self.formats: set[str] = set()
        self.first: Any = None
        self.last: Any = None

    def add(self, item: DatasetItem, submission: Submission) -> None:
        self.photos += 1
        self.bytes += item.size
        self.contributors.add(item.pseudonym)
        self.splits[item.split.value] = self.splits.get(item.split.value, 0) + 1
        self.formats.add(MIMETYPES[item.path.rsplit(".", 1)[-1]])
        moment = submission.consented_at
        self.first = moment if self.first is None or moment < self.first else self.first
        self.last = moment if self.last is None or moment > self.last else self.last


def _withdrawn(version: DatasetVersion) -> dict[str, Any]:
    """List photos withdrawn from earlier versions (which this one therefore lacks)."""
    earlier = [
        e
        for e in deletion_entries(version.project)
        if any(number < version.number for number in e.versions)
    ]
    return {
        "version": version.number,
        "note": "Photos withdrawn by their contributors after they appeared in an earlier "
        "version. Delete them from copies of the versions listed.",
        "photos": [
            {
                "sha256": e.sha256,
                "contributor": e.pseudonym,
                "withdrawn_at": _iso(e.withdrawn_at),
                "versions": [n for n in e.versions if n < version.number],
                "paths": e.paths,
            }
            for e in earlier
        ],
    }


def _project_numbers(version: DatasetVersion) -> dict[str, Any]:
    project = version.project
    counts = dict(
        db.session.execute(
            select(Submission.status, func.count())
            .where(Submission.project_id == project.id)
            .group_by(Submission.status)
        ).all()
    )
    reasons = db.session.execute(
        select(Submission.rejection_code, func.count())
        .where(
            Submission.project_id == project.id,
            Submission.status == SubmissionStatus.REJECTED,
        )
        .group_by(Submission.rejection_code)
        .order_by(func.count().desc())
    ).all()
    from trove.payouts.models import Earning, EarningStatus

    paid = db.session.scalar(
        select(func.coalesce(func.sum(Earning.amount_minor), 0)).where(
            Earning.project_id == project.id, Earning.status == EarningStatus.PAID
        )
    )
    return {
        "received": sum(counts.values()),
        "approved": counts.get(SubmissionStatus.APPROVED, 0),
        "rejected": counts.get(SubmissionStatus.REJECTED, 0),
        "withdrawn": counts.get(SubmissionStatus.WITHDRAWN, 0),
        "reasons": [(code or RejectionCode.OTHER, n) for code, n in reasons],
        "paid_minor": int(paid or 0),
    }


def _brief(version: DatasetVersion) -> dict[str, Any]:
    brief = version.project.current_version
    if version.brief_version_id is not None:
        from trove.projects.models import BriefVersion

        brief = db.session.get(BriefVersion, version.brief_version_id) or brief
    if brief is None:
        return version.project.brief_snapshot()
    return {**brief.data, "number": brief.number}


def datasheet(version: DatasetVersion, stats: _Stats) -> str:
    """Return the version's datasheet (Markdown) from the brief and live numbers."""
    project = version.project
    brief = _brief(version)
    numbers = _project_numbers(version)
    pay = format_money(project.pay_minor or 0, project.currency)
    reasons = "\n".join(f"  - {code}: {n}" for code, n in numbers["reasons"]) or "  - none"
    exclusions = (
        "\n".join(f"- {_md(label)}" for label in project.exclusion_labels) or "- none listed"
    )
    splits = ", ".join(f"{name} {n}" for name, n in sorted(stats.splits.items()))
    return f"""# Datasheet: {_md(brief.get("title") or project.title)}, version {version.number}

Generated by Trove when version {version.number} was built. Numbers are as of that time.

## Motivation
- **Purpose:** {_md(brief.get("summary"))}
- **Who benefits:** {_md(brief.get("beneficiaries"))}
- **How the photos are used:** {_md(brief.get("usage"))}
- **Who can access them:** {_md(brief.get("access"))}

## Composition
- Photos in this version: {stats.photos} ({splits}), {stats.bytes} bytes
- Contributors: {len(stats.contributors)} (each shown by a pseudonym that is different in
  every project, so versions of different projects cannot be joined)
- Formats: {", ".join(sorted(stats.formats))}
- Split: seeded hash of each photo's content (seed `{version.seed}`;
  {version.train_percent}/{version.validation_percent}/{version.test_percent} per cent),
  so a photo keeps its split in every version cut with the same seed.
- Selection filters: {json.dumps(version.filters, sort_keys=True) if version.filters else "none"}

## Collection process
Members of the public answered a published brief and sent photos from their own devices.

- **What to photograph:** {_md(brief.get("must_show"))}
- **What not to photograph:** {_md(brief.get("must_not_show"))}
{exclusions}
- Collection window of the photos in this version: {_iso(stats.first)} to {_iso(stats.last)}
- Every photo was reviewed by a member of the project team before approval.
- Location, device and other identifying metadata (EXIF, XMP, IPTC, comments) were removed
  before any team member saw a photo; orientation was applied.

## Consent and pay
- Contributors agreed to the brief (version {brief.get("number", "?")}; see the manifest for
  each photo) and this licence:

> {_md(brief.get("licence_text") or project.licence_text)}

- Each approved photo earned {pay}; {format_money(numbers["paid_minor"], project.currency)}
  has been paid out through PayPal so far.
- Contributors can withdraw any photo at any time. Withdrawn photos are left out of every
  new version and listed in `withdrawn.json` and in the project's deletion list; the team
  deletes them from copies of earlier versions.
- Retention: {brief.get("retention_days") or project.retention_days or "no"} days after the
  project closes the stored photos are deleted.
- Ethics approval: {_md(brief.get("ethics_reference")) or "none recorded"}

## Numbers for the whole project
- Photos received: {numbers["received"]}; approved {numbers["approved"]}; declined
  {numbers["rejected"]}; withdrawn {numbers["withdrawn"]}
- Reasons photos were declined:
{reasons}

## Changes since the previous version
- Added: {version.added_count}; withdrawn by contributors: {version.withdrawn_count};
  left out for other reasons: {version.removed_count}
{("- Note from the data steward: " + _md(version.note)) if version.note else ""}
"""


def _md(text: object) -> str:
    """Return people's text for one Markdown line: on one line, with no raw HTML in it."""
    return html.escape(" ".join(str(text or "").split()), quote=False)


def croissant(
    version: DatasetVersion, stats: _Stats, manifest_sha256: str, manifest_size: int
) -> dict[str, Any]:
    """Return Croissant 1.0 metadata (with its responsible-AI fields) for the version."""
    project = version.project
    brief = _brief(version)
    numbers = _project_numbers(version)

    def field(name: str, data_type: str, description: str) -> dict[str, Any]:
        return {
            "@type": "cr:Field",
            "@id": f"photos/{name}",
            "name": name,
            "description": description,
            "dataType": data_type,
            "source": {"fileObject": {"@id": "manifest.jsonl"}, "extract": {"column": name}},
        }

    return {
        "@context": {
            "@language": "en",
            "@vocab": "https://schema.org/",
            "cr": "http://mlcommons.org/croissant/",
            "rai": "http://mlcommons.org/croissant/RAI/",
            "dct": "http://purl.org/dc/terms/",
            "sc": "https://schema.org/",
            "conformsTo": "dct:conformsTo",
            "citeAs": "cr:citeAs",
            "column": "cr:column",
            "containedIn": "cr:containedIn",
            "data": {"@id": "cr:data", "@type": "@json"},
            "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
            "examples": {"@id": "cr:examples", "@type": "@json"},
            "extract": "cr:extract",
            "field": "cr:field",
            "fileObject": "cr:fileObject",
            "fileSet": "cr:fileSet",
            "includes": "cr:includes",
            "md5": "cr:md5",
            "recordSet": "cr:recordSet",
            "references": "cr:references",
            "source": "cr:source",
        },
        "@type": "sc:Dataset",
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "name": f"trove-project-{project.id}-v{version.number}",
        "description": brief.get("summary") or project.summary,
        "version": f"{version.number}.0.0",
        "datePublished": _iso(version.created_at),
        "license": "Licence agreed by each contributor (SHA-256 "
        + (version.project.current_version.licence_hash if version.project.current_version else "")
        + "); see datasheet.md",
        "isAccessibleForFree": False,
        "distribution": [
            {
                "@type": "cr:FileObject",
                "@id": "manifest.jsonl",
                "name": "manifest.jsonl",
                "contentUrl": "manifest.jsonl",
                "encodingFormat": "application/jsonlines",
                "sha256": manifest_sha256,
                "contentSize": f"{manifest_size} B",
            },
            {
                "@type": "cr:FileSet",
                "@id": "images",
                "name": "images",
                "encodingFormat": sorted(stats.formats)[0]
                if len(stats.formats) == 1
                else sorted(stats.formats),
                "includes": ["train/*", "validation/*", "test/*"],
            },
        ],
        "recordSet": [
            {
                "@type": "cr:RecordSet",
                "@id": "photos",
                "name": "photos",
                "description": "One record per photo, as listed in manifest.jsonl.",
                "field": [
                    field("file", "sc:Text", "Path of the image inside the archive."),
                    field("sha256", "sc:Text", "SHA-256 of the image file."),
                    field("width", "sc:Integer", "Width in pixels."),
                    field("height", "sc:Integer", "Height in pixels."),
                    field("split", "sc:Text", "train, validation or test."),
                    field("contributor", "sc:Text", "Per-project contributor pseudonym."),
                    field(
                        "brief_version", "sc:Integer", "Brief version the contributor agreed to."
                    ),
                    field("licence_sha256", "sc:Text", "SHA-256 of the licence text agreed to."),
                    field("approved_at", "sc:Date", "When a reviewer approved the photo."),
                ],
            }
        ],
        "rai:dataCollection": (
            "Photos sent by members of the public through a published brief, from their own "
            "devices, reviewed by the project team. What was asked: "
            + (brief.get("must_show") or "")
        ),
        "rai:dataCollectionType": ["Crowdsourced", "Direct collection"],
        "rai:dataCollectionTimeframe": [_iso(stats.first), _iso(stats.last)],
        "rai:dataPreprocessingProtocol": [
            "Identifying metadata (EXIF including GPS, XMP, IPTC, comments, embedded "
            "thumbnails) removed losslessly before review; orientation applied; HEIC "
            "converted to JPEG.",
        ],
        "rai:personalSensitiveInformation": (
            "Contributors were asked not to include: "
            + "; ".join(project.exclusion_labels or ["(no exclusions listed)"])
            + ". Contributor identities are replaced by per-project pseudonyms."
        ),
        "rai:dataUseCases": brief.get("usage") or project.usage,
        "rai:dataLimitations": (
            "Photos reflect who chose to contribute and the devices they own; "
            f"{numbers['withdrawn']} photo(s) withdrawn so far are excluded."
        ),
        "rai:dataSocialImpact": brief.get("beneficiaries") or project.beneficiaries,
        "rai:dataReleaseMaintenancePlan": (
            "Versions are immutable. Contributors may withdraw photos at any time; each new "
            "version leaves them out and lists them in withdrawn.json, and users of earlier "
            "versions must delete them."
        ),
    }
