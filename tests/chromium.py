"""Launching the Debian Chromium for the browser tests.

New headless Chromium is the whole browser with its window hidden: beside each page it keeps
the address bar's suggestion popup as a hidden web page of its own (``chrome://omnibox-popup``)
and renders it again on every navigation. The browser tests never type into an address bar,
and that page cost a quarter of Chromium's CPU time over them (measured: 385 s → 285 s for the
browser tests in one process), so they launch Chromium without it.

Features are turned off with ``--disable-features``, and Chromium keeps only the *last* such
switch on its command line. Playwright passes one with its own list (features that break
automation: paint holding, HTTPS upgrades of our http:// test server, …). Appending ours
would silently switch those back on, so :func:`launch` reads Playwright's list off the
command line of a first browser and passes one switch holding both.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("TROVE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
#: Chromium features the tests do without, beside those Playwright turns off.
DISABLED_FEATURES = ("WebUIOmniboxPopup", "WebUIOmniboxAimPopup")
_SWITCH = "--disable-features="


def launch(playwright: Any) -> Any:
    """Launch Chromium with :data:`CHROMIUM_ARGS` and without :data:`DISABLED_FEATURES`."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing; run the README's test command")
    probe = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        theirs = disabled_features(browser_command_line())
    finally:
        probe.close()
    features = ",".join(dict.fromkeys([*theirs, *DISABLED_FEATURES]))
    return playwright.chromium.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, _SWITCH + features]
    )


def disabled_features(command_line: list[str]) -> list[str]:
    """Return the features a Chromium command line turns off (its last switch counts)."""
    switches = [arg for arg in command_line if arg.startswith(_SWITCH)]
    if not switches:
        return []
    return [name for name in switches[-1][len(_SWITCH) :].split(",") if name]


def browser_command_line() -> list[str]:
    """Return the command line of the one Chromium browser process this process started.

    The browser process is the one Playwright talks to over ``--remote-debugging-pipe``
    (its helpers, renderers and the like, have no such switch).
    """
    found = [
        command
        for pid in _descendants(os.getpid())
        if "--remote-debugging-pipe" in (command := _command_line(pid))
    ]
    if len(found) != 1:
        raise RuntimeError(f"expected one Chromium browser process, found {len(found)}")
    return found[0]


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:  # gone since listdir
            continue
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(entry))
    found: list[int] = []
    pending = [root]
    while pending:
        kids = children.get(pending.pop(), [])
        found.extend(kids)
        pending.extend(kids)
    return found


def _command_line(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []
