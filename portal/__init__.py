"""Design Group Portal: runs a paid community design group from selection to the last stipend."""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv
from flask import Flask

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


def create_app(config: dict | None = None) -> Flask:
    """Build the application. `config` overrides settings read from the environment."""
    load_dotenv()
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)

    from portal.config import check_config, load_config

    app.config.from_mapping(load_config(app.instance_path))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_DIR)
    if config:
        app.config.from_mapping(config)
    check_config(app.config)
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind N reverse proxies, the client's own address is the Nth from the right
        # of X-Forwarded-For; without this, everyone shares the proxy's address (and
        # one sign-in throttle). Only headers the trusted proxies set are believed.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0)

    _init_extensions(app)
    from portal.web import RowIdConverter

    app.url_map.converters["int"] = RowIdConverter  # before any route uses it
    _register_blueprints(app)

    from portal.errors import register_error_handlers
    from portal.web import register_request_hooks

    register_error_handlers(app)
    register_request_hooks(app)

    from portal.cli import register_commands

    register_commands(app)
    return app


def _init_extensions(app: Flask) -> None:
    from portal import models  # noqa: F401 - registers every table
    from portal.auth.models import User
    from portal.extensions import babel, csrf, db, limiter, login_manager, migrate
    from portal.i18n import (
        compile_catalogs,
        install_portal_formats,
        select_locale,
        select_timezone,
    )

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    compile_catalogs(TRANSLATIONS_DIR)
    install_portal_formats()
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    csrf.init_app(app)
    limiter.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.session_protection = "basic"

    from flask_babel import lazy_gettext as _l
    from sqlalchemy.orm import joinedload

    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    from portal.unsent import signed_out

    login_manager.unauthorized_handler(signed_out)

    @login_manager.user_loader
    def load_user(session_id: str):
        user_id, _, token = session_id.partition(":")
        if not user_id.isdigit() or not token:
            return None
        # Roles come in the same query: every page asks for them.
        user = db.session.get(User, int(user_id), options=[joinedload(User.role_grants)])
        if user is None or not user.active or user.session_token != token:
            return None
        return user


def _register_blueprints(app: Flask) -> None:
    from portal.account.views import bp as account_bp
    from portal.admin.views import bp as admin_bp
    from portal.applications.staff import bp as applications_bp
    from portal.auth.views import bp as auth_bp
    from portal.documents.views import bp as documents_bp
    from portal.home.views import bp as home_bp
    from portal.meetings.views import bp as meetings_bp
    from portal.review.views import bp as review_bp
    from portal.selection.views import bp as selection_bp
    from portal.stipends.views import bp as stipends_bp
    from portal.texts.views import bp as texts_bp

    app.register_blueprint(home_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(meetings_bp)
    app.register_blueprint(stipends_bp)
    app.register_blueprint(documents_bp)
    app.register_blueprint(texts_bp)
    app.register_blueprint(applications_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(selection_bp)
