"""The admin's job-health panel shows when the sweep and the scheduler last ran."""

from __future__ import annotations

from datetime import datetime

from flask import render_template

from trove.i18n import format_datetime
from trove.tasks.health import QueueHealth


def test_the_health_panel_shows_when_the_sweep_and_scheduler_last_ran(app):
    beat = datetime(2026, 3, 12, 10, 0, 5)
    health = QueueHealth(
        mode="rq",
        redis_ok=True,
        redis_error=None,
        queue_depths={"default": 0},
        workers=[],
        counts={"failed": 0},
        sweep_at=beat,
        scheduler_at=beat,
        now=beat,
    )
    with app.test_request_context("/admin/"):
        page = render_template("admin/dashboard.html", health=health, failed=[], events=[])
        shown = format_datetime(beat)
    assert shown.startswith("Mar 12, 2026") and shown.endswith("UTC")
    assert f"Sweep last ran: {shown}</p>" in page
    assert f"Scheduler last seen: {shown}</p>" in page
