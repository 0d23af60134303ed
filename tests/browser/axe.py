"""Run axe-core (vendored, test-only) on a Playwright page and report serious problems."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

AXE_DIR = Path(__file__).resolve().parent.parent / "vendor" / "axe-core-4.14.1"

#: The impacts the accessibility tests refuse (axe's scale: minor, moderate, serious, critical).
REFUSED = ("critical", "serious")

RUN = """
async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
  }));
}
"""


@functools.cache
def axe_source() -> str:
    """Return axe.min.js after checking it against the vendored checksum."""
    sums = dict(
        reversed(line.split()) for line in (AXE_DIR / "SHA256SUMS").read_text().splitlines()
    )
    data = (AXE_DIR / "axe.min.js").read_bytes()
    if hashlib.sha256(data).hexdigest() != sums["axe.min.js"]:
        raise RuntimeError("axe.min.js does not match its SHA256SUMS")
    return data.decode()


def load_on_every_page(context: Any) -> None:
    """Have ``context``'s pages load axe as each document starts (Chromium keeps the script:
    sending its 550 KB into every page instead took a quarter of a second per page)."""
    context.add_init_script(script=axe_source())


def violations(page: Any) -> list[dict[str, Any]]:
    """Run axe on ``page`` as it is now; return its critical and serious violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    return [v for v in page.evaluate(RUN) if v["impact"] in REFUSED]


def describe(found: dict[str, list[dict[str, Any]]]) -> str:
    """Format violations per page state for an assertion message."""
    lines = []
    for state, problems in found.items():
        for v in problems:
            lines.append(f"{state}: [{v['impact']}] {v['id']} — {v['help']} — {v['targets']}")
    return "\n".join(lines)
