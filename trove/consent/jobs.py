"""The periodic consent work: purge withdrawn photos' files, apply retention periods."""

from __future__ import annotations

import logging

from trove.consent.service import apply_retention, purge_due
from trove.tasks import register_sweep

log = logging.getLogger(__name__)


@register_sweep
def sweep_consent() -> int:
    """Purge files whose grace or retention period ended (runs with every sweep)."""
    ended = apply_retention()
    purged = purge_due()
    if ended or purged:
        log.info("retention ended for %s project(s); purged %s photo file(s)", ended, purged)
    return 0
