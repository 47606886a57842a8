"""Shapes of the staff, token and login API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from admin_api.staff.models import Role


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class LoginOut(BaseModel):
    username: str
    role: Role
    csrf_token: str


class StaffOut(BaseModel):
    id: int
    username: str
    role: Role
    languages: list[str]
    active: bool
    last_login_at: datetime | None = Field(
        default=None, description="Last successful login, as the audit log recorded it."
    )


class StaffIn(BaseModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    password: str | None = Field(
        default=None, min_length=12, max_length=256, description="Left out: a random one is generated."
    )
    role: Role
    languages: list[str] = Field(default_factory=list, max_length=12)


class NewStaffOut(StaffOut):
    password: str | None = Field(
        default=None, description="The generated password, shown once (null when one was given)."
    )


class PasswordIn(BaseModel):
    password: str | None = Field(
        default=None, min_length=12, max_length=256, description="Left out: a random one is generated."
    )


class PasswordOut(BaseModel):
    password: str | None = Field(description="The generated password, shown once (null when one was given).")


class StaffPatch(BaseModel):
    role: Role | None = None
    languages: list[str] | None = Field(default=None, max_length=12)
    active: bool | None = None


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    days: int | None = Field(
        default=None, ge=1, le=3650, description="Lifetime in days (default: LOTSE_API_TOKEN_DAYS)."
    )


class TokenOut(BaseModel):
    id: int
    name: str
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime = Field(description="The token is refused from then on.")
    last_used_at: datetime | None = Field(description="Last use, to the minute.")


class NewTokenOut(TokenOut):
    token: str = Field(description="Shown once; only its hash is stored.")
