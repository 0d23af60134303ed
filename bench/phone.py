"""Bytes a phone fetches for the first view of My photos, with and without the small thumbnail.

A contributor with 200 processed photos (real pictures: scikit-image's samples, a third of
them portrait) opens My photos in headless Chromium at phone size (390 × 844 CSS px) with a
cold cache; every byte that crosses the network until it is idle is counted (compressed
HTML, CSS, JS, and each thumbnail the page asks for, lazy ones included as Chromium loads
them). The same run measures the page as it was (no small thumbnail stored: the cards offer
the 320 px one only, as before the backfill) and after ``flask trove backfill-thumbnails``
(each card's srcset offers 240 px and 320 px and the phone picks). Target: the first view at
2× at most 150 KB. A 3× phone is reported too (it needs the 320 px thumbnail anyway).

Run from the repository root:  .venv/bin/python bench/phone.py [--photos 200] [--shots DIR]
It ends by printing one JSON line with at least ``first_view_kb`` (after) and
``first_view_kb_before``; ``--shots DIR`` saves phone screenshots of My photos and the
review queue (to look at the sharpness of the thumbnails and the layout).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402
from sqlalchemy import select, update  # noqa: E402

from trove import create_app  # noqa: E402
from trove.extensions import db  # noqa: E402
from trove.submissions.models import Submission  # noqa: E402

TARGET_KB = 150
PHONE = {"width": 390, "height": 844}
SAMPLES = (
    "astronaut.png",
    "chelsea.png",
    "coffee.png",
    "rocket.jpg",
    "motorcycle_left.png",
    "hubble_deep_field.jpg",
    "retina.jpg",
    "ihc.png",
    "color.png",
)


def _pictures() -> list[bytes]:
    """Return the sample pictures as phone-like JPEGs (every third turned to portrait)."""
    from tests.faces import sample

    out = []
    for n, name in enumerate(SAMPLES):
        picture = sample(name)
        scale = 1600 / max(picture.size)
        picture = picture.resize(
            (round(picture.width * scale), round(picture.height * scale)), Image.Resampling.LANCZOS
        )
        if n % 3 == 0:
            picture = picture.transpose(Image.Transpose.ROTATE_90)
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=90)
        out.append(buffer.getvalue())
    return out


def seed(photos: int) -> tuple[str, str, int]:
    """Create a project and a contributor with ``photos`` processed photos; return logins."""
    from flask_migrate import upgrade

    from tests.factories import make_processed_submission, make_project, make_user
    from trove.accounts.models import Role
    from trove.files import get_storage
    from trove.media import process_image
    from trove.submissions.thumbs import THUMB_SIZES

    upgrade()
    owner = make_user(Role.LAB_MEMBER, email="owner@bench.example.org")
    project = make_project(owner, target_count=photos * 2, per_contributor_limit=photos)
    contributor = make_user(email="contributor@bench.example.org")
    for _ in range(photos):
        make_processed_submission(project, contributor, commit=False)
    db.session.commit()
    storage = get_storage()
    stored = []
    for data in _pictures():
        processed = process_image(data, thumb_sizes=THUMB_SIZES)
        key = storage.put_original(processed.data, processed.format)
        for size, thumb in processed.thumbnails.items():
            storage.put_derived(key, size, thumb)
        stored.append((key, processed.width, processed.height))
    ids = list(db.session.scalars(select(Submission.id).order_by(Submission.id)))
    for n, (key, width, height) in enumerate(stored):
        db.session.execute(
            update(Submission)
            .where(Submission.id.in_(ids[n :: len(stored)]))
            .values(storage_key=key, width=width, height=height)
        )
    db.session.commit()
    return contributor.email, owner.email, project.id


def as_before_the_small_size() -> None:
    """Delete every small thumbnail and mark no photo as having one (photos of last week)."""
    from trove.files import get_storage
    from trove.submissions.thumbs import SMALL

    storage = get_storage()
    for key in set(db.session.scalars(select(Submission.storage_key))):
        storage.delete_object(storage.derived_object(key, SMALL))
    db.session.execute(update(Submission).values(has_small_thumb=False))
    db.session.commit()


def _signed_in(browser: Any, base: str, email: str) -> dict[str, Any]:
    """Sign in once and return the session (cookies) for fresh, cold-cache contexts."""
    from tests.conftest import TEST_PASSWORD

    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator('.site-nav form[action$="/logout"]').wait_for(state="attached")
    state = context.storage_state()
    context.close()
    return state


def first_view(browser: Any, base: str, state: dict[str, Any], path: str, dpr: float) -> dict:
    """Open ``path`` on a phone with a cold cache; return bytes and what the images were."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=dpr, is_mobile=True, has_touch=True, storage_state=state
    )
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    urls: dict[str, str] = {}
    sizes: dict[str, int] = {}
    cdp.on(
        "Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"])
    )
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])),
    )
    page.goto(f"{base}{path}", wait_until="networkidle")
    shown = page.eval_on_selector(
        "img[srcset]",
        "i => { const r = i.getBoundingClientRect();"
        " return [Math.round(r.width), Math.round(r.height), i.currentSrc.split('/').pop()]; }",
    )
    context.close()
    images = {rid: n for rid, n in sizes.items() if "/image/" in urls.get(rid, "")}
    picked = Counter(urls[rid].rsplit("/", 1)[1] for rid in images)
    other = {
        urls.get(rid, "?").removeprefix(base).split("?")[0]: round(n / 1000, 1)
        for rid, n in sizes.items()
        if rid not in images
    }
    return {
        "other_kb": other,
        "kb": round(sum(sizes.values()) / 1000, 1),
        "image_kb": round(sum(images.values()) / 1000, 1),
        "images": len(images),
        "sizes_fetched": dict(picked),
        "first_img_css_px_and_src": shown,
    }


def screenshots(browser: Any, base: str, states: dict[str, Any], review: str, folder: Path) -> None:
    """Save phone (2×) screenshots of My photos and the review queue into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (state, path) in {
        "phone-my-photos": (states["contributor"], "/me/photos"),
        "phone-review-queue": (states["owner"], review),
    }.items():
        context = browser.new_context(
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            storage_state=state,
        )
        page = context.new_page()
        page.goto(f"{base}{path}", wait_until="networkidle")
        page.screenshot(path=str(folder / f"{name}.png"))
        page.locator("img[srcset]").first.screenshot(path=str(folder / f"{name}-thumb.png"))
        context.close()


def main() -> None:
    """Seed, measure before and after the backfill in one run, print PASS/MISS and JSON."""
    from playwright.sync_api import sync_playwright

    from tests.chromium import launch
    from tests.conftest import LiveServer
    from trove.submissions.thumbs import backfill_small_thumbs

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--shots", type=Path, help="save phone screenshots into this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="trove-bench-") as tmp:
        app = create_app(
            {
                "SECRET_KEY": "bench",
                "DATABASE_URL": f"sqlite:///{Path(tmp) / 'phone.sqlite3'}",
                "STORAGE_DIR": str(Path(tmp) / "storage"),
                "TASKS_MODE": "sync",
                "MAIL_BACKEND": "memory",
                "RATELIMIT_ENABLED": False,
                "ARGON2_TIME_COST": 1,
                "ARGON2_MEMORY_COST": 64,
            }
        )
        with app.app_context():
            contributor, owner, project_id = seed(args.photos)
            as_before_the_small_size()
        results: dict[str, dict] = {}
        with LiveServer(app) as server, sync_playwright() as pw:
            browser = launch(pw)
            states = {
                "contributor": _signed_in(browser, server.url, contributor),
                "owner": _signed_in(browser, server.url, owner),
            }
            mine = states["contributor"]
            for dpr in (2, 3):
                results[f"before_{dpr}x"] = first_view(browser, server.url, mine, "/me/photos", dpr)
            with app.app_context():
                after = 0
                while (step := backfill_small_thumbs(after, 100)).last_id is not None:
                    after = step.last_id
            for dpr in (2, 3):
                results[f"after_{dpr}x"] = first_view(browser, server.url, mine, "/me/photos", dpr)
            review = f"/projects/{project_id}/review"
            results["review_after_2x"] = first_view(browser, server.url, states["owner"], review, 2)
            if args.shots:
                screenshots(browser, server.url, states, review, args.shots)
            browser.close()
    for name, found in results.items():
        print(
            f"{name:16} {found['kb']:7.1f} KB  ({found['images']} images, "
            f"{found['image_kb']} KB: {found['sizes_fetched']}; "
            f"first img {found['first_img_css_px_and_src']})"
        )
    print(f"not images (after_2x, KB): {results['after_2x']['other_kb']}")
    before, after = results["before_2x"]["kb"], results["after_2x"]["kb"]
    verdict = "PASS" if after <= TARGET_KB else "MISS"
    print(
        f"{verdict}: My photos first view on a 2x phone {after} KB (target <= {TARGET_KB} KB; "
        f"{before} KB without the small thumbnail: {after / before:.2f}x)"
    )
    summary = {
        "bench": "phone",
        "photos": args.photos,
        "first_view_kb": after,
        "first_view_kb_before": before,
        "ratio_vs_before": round(after / before, 3),
        "first_view_kb_3x": results["after_3x"]["kb"],
        "first_view_kb_3x_before": results["before_3x"]["kb"],
        "review_first_view_kb_2x": results["review_after_2x"]["kb"],
        "target_kb": TARGET_KB,
        "pass": after <= TARGET_KB,
    }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
