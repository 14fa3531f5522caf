"""People, their roles, and the one-time links that let them in."""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal.db import UTCDateTime, db, utcnow
from portal.enums import string_enum
from portal.texts.models import ReachBy


class Role(enum.StrEnum):
    MEMBER = "member"
    FACILITATOR = "facilitator"
    FINANCE = "finance"
    ADMIN = "admin"
    # Reads, blind, the applications of the calls an admin assigns them to.
    REVIEWER = "reviewer"


class TokenPurpose(enum.StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose, not a password
    # A short code on a printed sign-in sheet, typed instead of the invitation link.
    SIGN_IN_CODE = "sign_in_code"


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


def hash_token(raw: str) -> str:
    """Links are stored hashed, so a copy of the database lets nobody in."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    preferred_language: Mapped[str] = mapped_column(String(10), default="en")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # The address password resets go to after staff changed the email of someone who
    # already had a password, until that person signs in again: a changed address
    # must not be a way to take over the account.
    previous_email: Mapped[str | None] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the session id: replacing it signs the person out everywhere.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    notify_meeting_changes: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_new_materials: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_payments: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_answer_confirmations: Mapped[bool] = mapped_column(Boolean, default=True)
    # Which ways the person chose; texts also need `texts_allowed`, the newest
    # line of their consent ledger (portal.texts), and a number that takes texts.
    reach_by: Mapped[ReachBy] = mapped_column(string_enum(ReachBy), default=ReachBy.EMAIL)
    texts_allowed: Mapped[bool] = mapped_column(Boolean, default=False)

    # Default needs: optional, private, seen only by the staff who plan meetings.
    interpretation_language: Mapped[str | None] = mapped_column(String(10))
    childcare_children: Mapped[int] = mapped_column(Integer, default=0)
    transport_help: Mapped[bool] = mapped_column(Boolean, default=False)
    access_needs: Mapped[str | None] = mapped_column(Text)

    role_grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.name!r}>"

    # Flask-Login -----------------------------------------------------------
    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    # Passwords -------------------------------------------------------------
    def set_password(self, password: str) -> None:
        method = current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)
        self.session_token = new_session_token()

    def check_password(self, password: str) -> bool:
        """True for the right password. Someone without a password yet costs the same
        work as anyone else, so the time taken tells nothing about the account."""
        if not self.password_hash:
            check_password_hash(dummy_password_hash(), password)
            return False
        return check_password_hash(self.password_hash, password)

    @property
    def reset_address(self) -> str | None:
        """Where a password reset may be sent: never an address staff just put in."""
        return self.previous_email or self.email

    # Roles -----------------------------------------------------------------
    @property
    def roles(self) -> set[Role]:
        return {grant.role for grant in self.role_grants}

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_staff(self) -> bool:
        return self.has_role(Role.FACILITATOR, Role.FINANCE, Role.ADMIN)

    @property
    def sign_in_name(self) -> str:
        return self.email or self.username or ""


_dummy_hashes: dict[str, str] = {}


def dummy_password_hash() -> str:
    """A hash of a random password, made with the configured method, so checking
    against it costs what a real check costs."""
    method = current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else "scrypt"
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash(secrets.token_hex(16), method=method)
    return _dummy_hashes[method]


class RoleGrant(db.Model):
    __tablename__ = "role_grants"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(string_enum(Role), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="role_grants")


class GrantStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DECLINED = "declined"


class RoleGrantRequest(db.Model):
    """A role that needs a second person before it is given (finance): asked by one
    admin, confirmed or declined by a finance officer or another admin."""

    __tablename__ = "role_grant_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(string_enum(Role))
    status: Mapped[GrantStatus] = mapped_column(
        string_enum(GrantStatus), default=GrantStatus.PENDING, index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])


class AccountToken(db.Model):
    """A one-time link: an invitation or a password reset."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(string_enum(TokenPurpose))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at
