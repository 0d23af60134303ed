"""The Chromium the browser tests drive: launched without the hidden address-bar popup, and
with Playwright's own switches kept (Chromium keeps only its last --disable-features)."""

from __future__ import annotations

import pytest

from tests.chromium import DISABLED_FEATURES, browser_command_line, disabled_features

pytestmark = pytest.mark.browser


def test_the_last_disable_features_switch_is_the_one_read():
    line = ["chromium", "--disable-features=A,B", "--no-sandbox", "--disable-features=C,,D"]
    assert disabled_features(line) == ["C", "D"]
    assert disabled_features(["chromium", "--headless=new"]) == []


def test_chromium_runs_without_the_omnibox_popup_and_keeps_playwrights_list(browser):
    page = browser.new_page()
    page.goto("about:blank")
    targets = browser.new_browser_cdp_session().send("Target.getTargets")["targetInfos"]
    page.close()
    assert [t["url"] for t in targets if t["type"] != "page"] == []
    features = disabled_features(browser_command_line())
    assert set(DISABLED_FEATURES) <= set(features)
    # Playwright's list (paint holding, HTTPS upgrades, …) came along: ours is not alone.
    assert len(features) > len(DISABLED_FEATURES)
