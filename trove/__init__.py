"""Trove: responsible, paid photo collection for machine-learning datasets."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Flask and SQLAlchemy load with the first app, not with the package: ``trove.media`` (pure
# image code, and the strip-metadata command) imports this package without needing them.
if TYPE_CHECKING:
    from flask import Flask

__all__ = ["create_app"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the Trove application."""
    from flask import Flask
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _sqlite_pragmas):
        event.listen(Engine, "connect", _sqlite_pragmas)
    app = Flask(
        __name__,
        # Each host's own folder (README: what it holds); default <repository>/instance.
        instance_path=instance_path(),
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    # Imported here, not at the top: every trove module runs this package first, so a
    # top-level import of the features would be a cycle. They load when an app is built.
    from trove.files import TroveRequest

    app.request_class = TroveRequest
    from trove import config

    config.configure(app, test_config)
    _configure_logging(app)

    from trove import cli, errors, files, ids, security, static, tasks
    from trove.extensions import compress, csrf, db, htmx, limiter, login_manager, migrate

    ids.init_app(app)  # before any route is added: <int:...> refuses ids past 64 bits
    db.init_app(app)
    migrate.init_app(app, db, directory=str(_project_root() / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login_form"
    # No login_message: the unauthorized handler (accounts/views/signin.py) says it.
    login_manager.session_protection = "basic"
    # Registered first so that its after_request hook runs last (Flask runs them in
    # reverse): it compresses the response every other hook has finished.
    compress.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    htmx.init_app(app)

    security.init_app(app)
    errors.init_app(app)
    tasks.init_app(app)
    files.init_app(app)
    static.init_app(app)
    cli.init_app(app)

    from trove import i18n, templating

    i18n.init_app(app)
    templating.init_app(app)

    from trove.accounts.views import bp as accounts_bp
    from trove.admin.views import bp as admin_bp
    from trove.main.views import bp as main_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp)

    from trove.projects.views import bp as projects_bp

    app.register_blueprint(projects_bp)

    from trove.submissions.views import bp as submissions_bp

    app.register_blueprint(submissions_bp)

    from trove.submissions.tus_views import bp as tus_bp

    app.register_blueprint(tus_bp)

    from trove.review.views import bp as review_bp

    app.register_blueprint(review_bp)

    from trove.payouts.views import bp as payouts_bp

    app.register_blueprint(payouts_bp)

    # Feature blueprints added by the Q&A and notifications work go below this line.
    from trove.discussions.views import bp as discussions_bp
    from trove.notifications.views import bp as notifications_bp

    app.register_blueprint(discussions_bp)
    app.register_blueprint(notifications_bp)

    from trove.consent.views import bp as consent_bp
    from trove.contests.views import bp as contests_bp
    from trove.exports.views import bp as exports_bp

    app.register_blueprint(exports_bp)
    app.register_blueprint(consent_bp)
    app.register_blueprint(contests_bp)

    # Import every module that declares models, jobs or sweeps, so that migrations and the
    # worker know them by name.
    import trove.consent.jobs  # noqa: F401
    import trove.contests.models  # noqa: F401
    import trove.exports.jobs  # noqa: F401
    import trove.exports.models  # noqa: F401
    import trove.mail  # noqa: F401
    import trove.payouts.jobs  # noqa: F401
    import trove.payouts.models  # noqa: F401
    import trove.projects.service  # noqa: F401
    import trove.review.models  # noqa: F401
    import trove.submissions.jobs  # noqa: F401

    if app.config["PROXY_FIX"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    return app


def instance_path() -> str | None:
    """Return the instance folder ``TROVE_INSTANCE_PATH`` names (absolute), or None."""
    configured = os.environ.get("TROVE_INSTANCE_PATH", "").strip()
    return str(Path(configured).resolve()) if configured else None


def _project_root() -> Any:
    return Path(__file__).resolve().parent.parent


def _configure_logging(app: Flask) -> None:
    logger = logging.getLogger("trove")
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """Turn on foreign keys and write-ahead logging for SQLite connections."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
