"""Fixtures for contribution tests."""

from __future__ import annotations

import pytest

from tests.factories import make_project, make_user


@pytest.fixture
def project_id(app):
    with app.app_context():
        return make_project(target_count=5, per_contributor_limit=3).id


@pytest.fixture
def contributor(app):
    with app.app_context():
        return make_user(email="sam@example.org").email
