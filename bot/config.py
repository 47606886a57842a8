"""Lotse's configuration: one pydantic-settings class, read from ``LOTSE_*`` variables and ``.env``.

Secrets have working defaults only when ``LOTSE_ENV=development``. Unset, ``LOTSE_ENV`` is
``development`` while the app and Rasa listen on loopback only (so ``make run`` works on a fresh
machine) and ``production`` as soon as either listens on another address. In ``test`` and
``production``, and on any non-loopback address whatever ``LOTSE_ENV`` says, a missing or
development-default secret is an error at start-up.
"""

from __future__ import annotations

import ipaddress
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.office_hours import OfficeHours, OfficeHoursError, parse_holidays, parse_office_hours, timezone

PROJECT_ROOT = Path(__file__).resolve().parent.parent

_DEV_SECRETS = {
    "internal_token": "dev-internal-token-change-me",
    "rasa_token": "dev-rasa-token-change-me",
    "pseudonym_key": "dev-pseudonym-key-change-me",
}


def is_loopback(host: str) -> bool:
    """Whether a host name or address only reaches this machine."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    """All configuration of the app, the CLI and the generated Rasa endpoint file."""

    model_config = SettingsConfigDict(env_prefix="LOTSE_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = Field(
        default="development",
        description="Unset: 'development' on loopback, 'production' when the app or Rasa listens elsewhere.",
    )

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'lotse.db'}",
        description="SQLAlchemy URL of the app database (SQLite by default, PostgreSQL in production).",
    )
    rasa_tracker_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'rasa_tracker.db'}",
        description="SQL database of Rasa's tracker store (sqlite:///PATH or postgresql://USER:PW@HOST:PORT/DB).",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL for Rasa's lock store and the app's rate-limit counters when several "
        "instances run (in memory when unset).",
    )
    rate_limits_enabled: bool = Field(
        default=True, description="Rate limits of the public chat endpoints (off only for local tools)."
    )
    rate_limit_sessions_per_address: str = Field(
        default="20/minute;200/hour",
        description="New web-chat sessions per client address (a shelter may share one address).",
    )
    rate_limit_messages_per_address: str = Field(
        default="120/minute;2000/hour", description="Web-chat messages per client address."
    )
    rate_limit_messages_per_session: str = Field(
        default="20/minute;300/hour", description="Web-chat messages per session."
    )
    rate_limit_reads_per_address: str = Field(
        default="600/minute", description="Polls for later replies and deletions per client address."
    )
    rate_limit_reads_per_session: str = Field(
        default="60/minute", description="Polls for later replies and deletions per session."
    )

    app_host: str = "127.0.0.1"
    app_port: int = 8000
    app_url: str = Field(default="", description="URL Rasa and the action server use to reach the app.")
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_port: int = 5005
    action_port: int = 5055
    rasa_timeout_s: float = 30.0
    rasa_session_turns: int = Field(
        default=20,
        ge=0,
        description="A conversation starts a new Rasa session every this many messages (slots carried "
        "over; not right after an ask-back), so a turn's cost does not grow with the conversation's "
        "length; 0 = never. 20: message 200 costs 1.16x message 1 (40: 1.83x) in lotse bench.",
    )
    rasa_workers: int | None = Field(
        default=None,
        ge=1,
        description="Rasa processes, default one per core: with LOTSE_REDIS_URL Rasa's own SANIC_WORKERS "
        "on one port (Redis as their lock store), without it one Rasa server each on LOTSE_RASA_PORT and the "
        "ports after it, every conversation routed by its sender to always the same one.",
    )
    rasa_model: Path | None = Field(
        default=None, description="Model file Rasa serves (default: the newest in models/)."
    )
    rasa_model_pull_s: int = Field(
        default=10,
        ge=1,
        le=3600,
        description="Every Rasa process asks the app this often whether the active model changed (Rasa's "
        "model server, GET /internal/rasa-model; unchanged: HTTP 304) and loads it when it did: a model "
        "activated in the console reaches every worker and instance within this time plus its loading.",
    )

    rasa_token: SecretStr | None = Field(default=None, description="Token of Rasa's HTTP API.")
    internal_clients: str = Field(
        default="127.0.0.1/8,::1/128",
        description="Addresses (networks, comma-separated) that may call /nlg and /internal/* (with the "
        "internal token): Rasa and the action server.",
    )
    internal_token: SecretStr | None = Field(
        default=None,
        description="Shared secret for Rasa's NLG calls and the action server's calls to the app.",
    )
    pseudonym_key: SecretStr | None = Field(
        default=None, description="Key of the keyed hash that turns channel user ids into pseudonyms."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "debug", "info", "warning", "error"] = Field(
        default="INFO", description="App log level."
    )
    log_format: Literal["plain", "json"] = Field(
        default="plain", description="'json': one JSON object per log line (for a log collector)."
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token for /metrics from other hosts (loopback needs none; unset: loopback only).",
    )

    max_body_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        description="Largest request body of a route not listed below (413 above).",
    )
    max_body_bytes_chat: int = Field(
        default=64 * 1024, ge=1024, description="Largest body of the web chat API and the Telegram webhook."
    )
    max_body_bytes_content: int = Field(
        default=1024 * 1024, ge=1024, description="Largest body of the content admin API (edited texts)."
    )
    max_body_bytes_internal: int = Field(
        default=4 * 1024 * 1024,
        ge=1024,
        description="Largest body of Rasa's NLG calls (they carry the tracker) and the internal API; "
        "only with the internal token.",
    )

    default_language: str = "de"
    max_message_chars: int = Field(
        default=4096,
        ge=1,
        description="Longest message a person can send (Telegram's limit); the web chat refuses longer ones "
        "with an answer saying so, and anything longer from another channel is cut before NLU.",
    )
    retry_interval_s: float = Field(default=5.0, description="How often unanswered messages are retried.")
    reminder_interval_s: float = Field(
        default=30.0, gt=0, description="How often due reminders (guided flows) are looked for and sent."
    )
    max_in_flight: int = Field(
        default=8,
        ge=1,
        description="Web-chat messages one app instance processes at a time; more wait (see below) or get "
        "HTTP 503 with Retry-After.",
    )
    max_waiting: int = Field(
        default=64, ge=0, description="Web-chat messages that may wait for a processing slot per instance."
    )
    admission_wait_s: float = Field(
        default=10.0, gt=0, description="How long a web-chat message waits for a slot before it gets 503."
    )
    busy_retry_after_s: int = Field(
        default=3, ge=1, description="Retry-After (seconds) of the 503 answer at capacity."
    )
    retention_days: int = Field(
        default=30,
        ge=1,
        description="A conversation is erased (as by /delete, Rasa's tracker included) this many days after "
        "the person's last message, unless a case is open, a closed case is younger than "
        "LOTSE_CASE_RETENTION_DAYS or a reminder is pending.",
    )
    case_retention_days: int = Field(
        default=180, ge=1, description="How long a conversation with a closed case is kept after the closing."
    )
    question_log_days: int = Field(
        default=365, ge=1, description="Maximum age of the redacted question log (the analytics)."
    )
    retention_interval_s: float = Field(
        default=3600.0, gt=0, description="How often the retention job looks for what has to go."
    )
    reminder_hour: int = Field(
        default=9, ge=0, le=23, description="Local hour (LOTSE_OFFICE_TIMEZONE) at which a reminder is due."
    )
    reminder_time_scale: float = Field(
        default=1.0,
        gt=0.0,
        le=1.0,
        description="Tests only: the time from scheduling to a reminder's due time is multiplied by this "
        "(e.g. 1e-5 turns weeks into seconds). Refused in production.",
    )
    guided_today: date | None = Field(
        default=None,
        description="Tests only: the date the guided flows take as today (deadlines that end on a given "
        "holiday whatever the real date). Refused in production.",
    )
    unavailable_handover_s: float = Field(
        default=900.0, description="After this long without Rasa a waiting message is handed to a person."
    )
    inbox_stream_s: float = Field(
        default=300.0,
        description="An inbox event stream ends after this long; the browser reconnects and logs in again.",
    )
    case_overdue_s: float = Field(
        default=4 * 3600, description="A case waiting longer than this is flagged as overdue in the inbox."
    )
    login_account_free_attempts: int = Field(
        default=5, ge=1, description="Wrong passwords per username before each further try must wait."
    )
    login_address_free_attempts: int = Field(
        default=20, ge=1, description="Failed logins per client address before each further try must wait."
    )
    login_backoff_base_s: float = Field(
        default=2.0, gt=0, description="First wait after the free attempts; it doubles with every failure."
    )
    login_account_max_delay_s: float = Field(
        default=60.0,
        gt=0,
        description="Longest wait for one username: short, so no one can keep a caseworker locked out.",
    )
    login_address_max_delay_s: float = Field(
        default=3600.0, gt=0, description="Longest wait for one client address."
    )
    login_failure_window_s: float = Field(
        default=3600.0, gt=0, description="Failures older than this (since the last one) are forgotten."
    )
    api_token_days: int = Field(
        default=90, ge=1, le=3650, description="Lifetime of a new API token; expired tokens are refused."
    )
    case_access_by_language: bool = Field(
        default=False,
        description="Caseworkers see and act only on German cases and cases in their account's languages "
        "(admins see all).",
    )
    telegram_token: SecretStr | None = Field(
        default=None, description="Bot token from BotFather; the Telegram channel runs only when it is set."
    )
    telegram_base_url: str = Field(
        default="https://api.telegram.org", description="Bot API server (another one in tests)."
    )
    telegram_webhook_url: str | None = Field(
        default=None, description="Public HTTPS URL of /telegram/webhook; polling when unset."
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None, description="Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token (webhook mode)."
    )
    office_hours: str = Field(
        default="mon-fri 08:00-16:00",
        description="When caseworkers answer, e.g. 'mon-thu 08:00-16:00; fri 08:00-12:00' (local time).",
    )
    office_timezone: str = Field(default="Europe/Berlin", description="IANA time zone of the office hours.")
    office_holidays: str = Field(
        default="DE-TH",
        description="Public holidays on which the office is closed: ISO country and optional subdivision "
        "(DE-TH: Germany and Thuringia), 'none' for no holidays.",
    )

    translation_backend: Literal["argos", "libretranslate", "none"] = Field(
        default="argos", description="Machine translation engine (offline; 'none' switches it off)."
    )
    argos_packages_dir: Path = Field(
        default=PROJECT_ROOT / "var" / "argos-packages", description="Installed Argos translation packages."
    )
    argos_index_url: str = Field(
        default="https://raw.githubusercontent.com/argosopentech/argospm-index/main/index.json",
        description="Argos package index, only used by 'lotse translate install --from-index'.",
    )
    libretranslate_url: str = Field(
        default="http://127.0.0.1:5000", description="LibreTranslate server for the 'libretranslate' backend."
    )
    nlu_fallback: bool = Field(
        default=True,
        description="Parse an uncertain message again in English when a model to English is installed.",
    )
    nlu_fallback_threshold: float = Field(
        default=0.6, ge=0.0, le=1.0, description="Below this intent confidence the English parse is tried."
    )
    nlu_weak_languages: str = Field(
        default="ps,ti,so,ku",
        description="Languages with little NLU data: always compared with the English parse.",
    )
    crisis_nlu_hint: float = Field(
        default=0.25,
        ge=0.0,
        le=1.0,
        description="When the NLU gives the crisis intent at least this confidence (not the top one), the "
        "crisis numbers go in front of the answer. Tuned with 'lotse tune' on the development split.",
    )
    model_cache_dir: Path = Field(
        default=Path.home() / ".cache" / "lotse" / "models",
        description="Trained Rasa models by a hash of their inputs (scripts/train.sh, the test models): "
        "a fresh checkout of an unchanged tree does not train again.",
    )
    training_dir: Path = Field(
        default=PROJECT_ROOT / "var" / "training",
        description="Retraining from the console: candidate models, logs and the 'active.tar.gz' link to the "
        "activated model (which 'lotse run rasa' then starts from, unless LOTSE_RASA_MODEL is set).",
    )
    training_config: Path = Field(
        default=PROJECT_ROOT / "assistant" / "config.yml", description="Rasa config.yml of a retraining."
    )
    training_nlu_dir: Path = Field(
        default=PROJECT_ROOT / "nlu_data",
        description="NLU data of a retraining (plus the approved staged examples and the dialogues).",
    )
    training_eval_path: Path = Field(
        default=PROJECT_ROOT / "eval" / "questions.jsonl",
        description="Evaluation set (JSON Lines, as lotse eval) comparing retrained and active model.",
    )
    training_timeout_s: float = Field(default=3 * 3600, description="A retraining running longer fails.")
    translation_timeout_s: float = 30.0
    translation_cache_size: int = Field(default=2048, description="Translations kept in memory (LRU).")

    @field_validator(
        "rate_limit_sessions_per_address",
        "rate_limit_messages_per_address",
        "rate_limit_messages_per_session",
        "rate_limit_reads_per_address",
        "rate_limit_reads_per_session",
    )
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError:
            raise ValueError(f"not a rate limit like '20/minute;300/hour': {value!r}") from None
        return value

    @field_validator("office_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            timezone(value)
        except OfficeHoursError as exc:
            raise ValueError(f"LOTSE_OFFICE_TIMEZONE: {exc}") from None
        return value

    @field_validator("office_holidays")
    @classmethod
    def _known_holidays(cls, value: str) -> str:
        try:
            parse_holidays(value)
        except OfficeHoursError as exc:
            raise ValueError(f"LOTSE_OFFICE_HOLIDAYS: {exc}") from None
        return value

    @model_validator(mode="after")
    def _office_hours(self) -> Settings:
        try:
            parse_office_hours(self.office_hours, self.office_timezone, self.office_holidays)
        except OfficeHoursError as exc:
            raise ValueError(f"LOTSE_OFFICE_HOURS={self.office_hours!r}: {exc}") from None
        return self

    @property
    def office(self) -> OfficeHours:
        """The parsed office hours with the public holidays (validated at start-up)."""
        return parse_office_hours(self.office_hours, self.office_timezone, self.office_holidays)

    @model_validator(mode="before")
    @classmethod
    def _safe_default_env(cls, data: Any) -> Any:
        """Without LOTSE_ENV, a non-loopback address means production (real secrets required)."""
        if isinstance(data, dict) and data.get("env") in (None, ""):
            hosts = [str(data.get("app_host") or "127.0.0.1"), _host_of(str(data.get("rasa_url") or ""))]
            data = {**data, "env": "development" if all(map(is_loopback, hosts)) else "production"}
        return data

    @property
    def public_binds(self) -> list[str]:
        """The configured listening addresses that are not loopback (app, Rasa)."""
        binds = {"LOTSE_APP_HOST": self.app_host, "LOTSE_RASA_URL": _host_of(self.rasa_url)}
        return [f"{k}={v}" for k, v in binds.items() if not is_loopback(v)]

    @model_validator(mode="after")
    def _real_time(self) -> Settings:
        if self.env == "production" and (self.reminder_time_scale != 1.0 or self.guided_today is not None):
            raise ValueError("LOTSE_REMINDER_TIME_SCALE and LOTSE_GUIDED_TODAY are for tests, not production")
        return self

    @model_validator(mode="after")
    def _secrets(self) -> Settings:
        public = self.public_binds
        for name, dev_value in _DEV_SECRETS.items():
            value: SecretStr | None = getattr(self, name)
            if self.env == "development" and not public:
                if value is None:
                    setattr(self, name, SecretStr(dev_value))
                continue
            if value is None or value.get_secret_value() in ("", dev_value):
                why = f"LOTSE_ENV={self.env}" if not public else f"listening on {', '.join(public)}"
                raise ValueError(
                    f"LOTSE_{name.upper()} must be set to a real secret when {why} "
                    "(development secrets are refused outside loopback)"
                )
            if len(value.get_secret_value()) < 16:
                raise ValueError(f"LOTSE_{name.upper()} must be at least 16 characters long")
        if not self.app_url:
            self.app_url = f"http://{self.app_host}:{self.app_port}"
        return self

    @property
    def internal_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [
            ipaddress.ip_network(n.strip(), strict=False)
            for n in self.internal_clients.split(",")
            if n.strip()
        ]

    @field_validator("internal_clients")
    @classmethod
    def _networks(cls, value: str) -> str:
        try:
            for n in value.split(","):
                if n.strip():
                    ipaddress.ip_network(n.strip(), strict=False)
        except ValueError as exc:
            raise ValueError(f"LOTSE_INTERNAL_CLIENTS: {exc}") from None
        return value

    @property
    def nlu_weak_language_codes(self) -> frozenset[str]:
        return frozenset(c.strip() for c in self.nlu_weak_languages.split(",") if c.strip())

    def secret(self, name: Literal["internal_token", "rasa_token", "pseudonym_key"]) -> str:
        """Return a secret's value (always set after validation)."""
        value: SecretStr | None = getattr(self, name)
        if value is None:  # pragma: no cover - the validator fills or rejects
            raise RuntimeError(f"{name} is not configured")
        return value.get_secret_value()


def _host_of(url: str) -> str:
    return urlsplit(url).hostname or "127.0.0.1"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process, read once."""
    return Settings()
