"""Typed settings read from the environment (and `.env`).

Every tunable lives here, so a test or a deployment changes one place::

    settings = load_settings()            # reads os.environ (+ .env when asked)
    settings = load_settings({"WAN_PROVIDER": "demo"})  # explicit mapping, for tests

A wrong value fails at start with a `SettingsError` naming the variable.
The API key is a `SecretStr`: it never appears in `repr()`, logs or error text.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from . import timings
from .error_base import WanError

ENV_PREFIX = "WAN_"
MIN_OWNER_TOKEN_CHARS = 16  # WAN_OWNER_TOKEN


class SettingsError(WanError, ValueError):
    """A setting has a value the app cannot use; the message names the variable."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: str = "demo"
    # The region of a provider with regions: its host, its key and its rules (durations, models,
    # uploads) go together.
    dashscope_region: str = "singapore"
    api_key: SecretStr | None = None
    api_base_url: str | None = None
    files_base_url: str | None = None
    data_dir: Path = Path("./data")
    # Where the records live (tasks, leases, spend, links): empty is the SQLite file in the data
    # folder; postgresql://user:password@host:5432/db shares them between several replicas.
    database_url: SecretStr | None = None
    # How long a task's watch lease lasts unless renewed (renewed every third of it); a task
    # whose replica died is taken over by another one within about this long.
    lease_seconds: float = Field(default=timings.LEASE_TTL, ge=1, le=3600)
    allow_private_urls: bool = False
    # Visitors must paste their own key even when the server has one.
    require_user_key: bool = False
    # Secret that signs the anonymous browser identity (gr.BrowserState); random when unset.
    session_secret: SecretStr | None = None
    # Price override: JSON object merged into the provider's price table, e.g.
    # {"credits_per_second_720p": "5.0", "source": "my contract"}
    prices_json: str | None = None

    # Simulator (demo mode).
    demo_task_seconds: float = Field(default=15.0, ge=0)
    demo_port: int = Field(default=0, ge=0, le=65535)  # 0: pick a free port

    # HTTP tunables.
    connect_timeout: float = Field(default=10.0, gt=0)
    read_timeout: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=4, ge=0, le=20)
    retry_base_delay: float = Field(default=1.0, ge=0)
    retry_max_delay: float = Field(default=30.0, ge=0)
    max_retry_after: float = Field(default=120.0, ge=0)

    # Polling.
    poll_min_interval: float = Field(default=timings.POLL_MIN_INTERVAL, ge=0)
    poll_max_interval: float = Field(default=timings.POLL_MAX_INTERVAL, gt=0)
    poll_deadline: float = Field(default=timings.POLL_DEADLINE, gt=0)

    # Remote URL probing.
    probe_timeout: float = Field(default=20.0, gt=0)

    # Spend guard (credits, per UTC day; on the server's key only). Unset: no limit, except
    # on a Space with a server key and neither limit set: see `budget.effective_limits`.
    daily_credit_limit: Decimal | None = Field(default=None, ge=0, le=10**9, allow_inf_nan=False)
    visitor_daily_credit_limit: Decimal | None = Field(default=None, ge=0, le=10**9, allow_inf_nan=False)
    visitor_max_active: int = Field(default=2, ge=1, le=1000)
    # The owner's console (`wanvideo/console/`): the token that opens it anywhere, the signed-in
    # Hugging Face users who see it on a Space (comma-separated; default: the Space's author),
    # and the credits spent today on the server's key above which the log warns and the
    # console shows a banner (unset: no alert). The console can change the limits and the
    # threshold without a restart.
    owner_token: SecretStr | None = None
    owner_users: str | None = None
    # The load balancers in front of the app (comma-separated addresses or networks, e.g.
    # "10.0.0.0/8"): behind one, the visitor is the X-Forwarded-For entry it added. Unset: the
    # socket peer (on a Space: the Space's proxy rule).
    trusted_proxies: str = ""
    alert_credits: Decimal | None = Field(default=None, ge=0, le=10**9, allow_inf_nan=False)

    # Serve `estimate` and `generate` as MCP tools (Gradio's MCP server at /gradio_api/mcp/).
    # Off by default: `generate` spends the key's credits, so offering it to agents is the
    # owner's choice, and the MCP server's imports would slow every start.
    mcp_server: bool = False

    # Results: the largest video the app downloads (MB of 10**6 bytes).
    max_result_mb: int = Field(default=1024, ge=1)

    # Disk guards (`wanvideo/uploads.py` applies them). MB of 10**6 bytes a visitor may upload
    # per hour (0: no quota); the free space the app keeps on the cache and data folders'
    # disks (uploads, fixed clips and downloads are refused under it).
    visitor_upload_mb_per_hour: int = Field(default=2000, ge=0)
    min_free_disk_mb: int = Field(default=1000, ge=0)
    # Days a saved video and its poster are kept (the history then says the local copy was
    # deleted). Unset: forever, except on a Space without persistent storage (see
    # `uploads.keep_seconds`); 0: forever.
    keep_days: float | None = Field(default=None, ge=0, le=100000, allow_inf_nan=False)
    # Where saved videos and posters live: empty, the data folder's `videos/` (as before);
    # `s3://bucket/prefix`, an S3-compatible bucket (AWS S3, R2, MinIO) reached with the standard
    # AWS variables (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION).
    storage_url: str = ""

    # Set from SPACE_ID (no WAN_ prefix): the app runs on a Hugging Face Space.
    space_id: str | None = None
    # Set from SPACE_HOST (no WAN_ prefix): the Space's public host name ("user-app.hf.space").
    space_host: str | None = None
    # Set from SPACE_AUTHOR_NAME (no WAN_ prefix): the Space's owner, the console's default user.
    space_author_name: str | None = None
    # The app's public https address when it is not on a Space (`public_base_url` says which
    # wins): where providers fetch the references the app serves and send their callbacks.
    public_url: str | None = None

    @field_validator("provider")
    @classmethod
    def _known_provider(cls, value: str) -> str:
        from .providers import PROVIDERS

        value = value.strip().lower()
        if value not in PROVIDERS:
            raise ValueError(f"unknown provider {value!r}; choose one of {', '.join(PROVIDERS)}")
        return value

    @field_validator("storage_url")
    @classmethod
    def _storage_url(cls, value: str) -> str:
        from .storage import parse_storage_url

        value = value.strip()
        if value:
            parse_storage_url(value)
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies(cls, value: str) -> str:
        for item in filter(None, (part.strip() for part in value.split(","))):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an address or network (e.g. 10.0.0.0/8)") from None
        return value

    @property
    def trusted_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """WAN_TRUSTED_PROXIES as networks (an address is a network of one)."""
        parts = (part.strip() for part in self.trusted_proxies.split(","))
        return tuple(ipaddress.ip_network(part, strict=False) for part in parts if part)

    @field_validator("dashscope_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        from .providers import DASHSCOPE_REGION_NAMES

        value = value.strip().lower()
        if value not in DASHSCOPE_REGION_NAMES:
            raise ValueError(f"unknown region {value!r}; choose one of {', '.join(DASHSCOPE_REGION_NAMES)}")
        return value

    @field_validator("api_base_url", "files_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: SecretStr | None) -> SecretStr | None:
        """Empty: SQLite. Otherwise a PostgreSQL URL (its password is never echoed)."""
        if value is None or value.get_secret_value().strip() == "":
            return None
        if urlsplit(value.get_secret_value().strip()).scheme not in ("postgresql", "postgres"):
            raise ValueError(
                "must start with postgresql:// (or be empty for the SQLite file in WAN_DATA_DIR)"
            )
        return SecretStr(value.get_secret_value().strip())

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("must be the app's public address, like https://video.example.com")
        return value

    @field_validator("space_host")
    @classmethod
    def _space_host(cls, value: str | None) -> str | None:
        value = (value or "").strip().strip("/")
        return value if value and "/" not in value and "@" not in value else None

    @model_validator(mode="after")
    def _public_url_is_https(self) -> Settings:
        """Providers call only https addresses; plain http is allowed for a loopback address
        when WAN_ALLOW_PRIVATE_URLS is on (tests on 127.0.0.1, never a deployment)."""
        if self.public_url and not self.public_url.startswith("https://"):
            host = urlsplit(self.public_url).hostname or ""
            if not (self.allow_private_urls and _is_loopback(host)):
                raise ValueError(
                    "WAN_PUBLIC_URL must start with https:// (providers call only https addresses)"
                )
        return self

    @field_validator("session_secret")
    @classmethod
    def _strong_session_secret(cls, value: SecretStr | None) -> SecretStr | None:
        """A short secret could be guessed offline from any signature it makes."""
        from .identity import MIN_SECRET_BYTES

        if value is None or value.get_secret_value() == "":
            return None
        size = len(value.get_secret_value().encode())
        if size < MIN_SECRET_BYTES:
            raise ValueError(
                f"must be at least {MIN_SECRET_BYTES} bytes (it has {size}); make one with "
                '`python -c "import secrets; print(secrets.token_hex(32))"`, or leave it unset '
                "to let the app keep a random one in the data folder"
            )
        return value

    @field_validator("owner_token")
    @classmethod
    def _strong_owner_token(cls, value: SecretStr | None) -> SecretStr | None:
        """The token opens the console from anywhere: a short one could be guessed online."""
        if value is None or value.get_secret_value() == "":
            return None
        if len(value.get_secret_value()) < MIN_OWNER_TOKEN_CHARS:
            raise ValueError(
                f"must be at least {MIN_OWNER_TOKEN_CHARS} characters; make one with "
                '`python -c "import secrets; print(secrets.token_urlsafe(24))"`'
            )
        return value

    @property
    def owner_user_names(self) -> frozenset[str]:
        """Hugging Face users who see the owner's console: WAN_OWNER_USERS, else the Space's
        author (SPACE_AUTHOR_NAME, else the first part of SPACE_ID)."""
        if self.owner_users is not None and self.owner_users.strip():
            return frozenset(name.strip().lower() for name in self.owner_users.split(",") if name.strip())
        author = self.space_author_name or (
            self.space_id.split("/")[0] if self.space_id and "/" in self.space_id else None
        )
        return frozenset({author.lower()}) if author else frozenset()

    @property
    def is_demo(self) -> bool:
        return self.provider == "demo"

    @property
    def videos_dir(self) -> Path:
        return self.data_dir / "videos"

    @property
    def on_space(self) -> bool:
        return bool(self.space_id)

    @property
    def public_base_url(self) -> str | None:
        """The app's public address (no trailing slash): WAN_PUBLIC_URL, else the Space's
        https://<SPACE_HOST>, else None (then no served references and no callbacks)."""
        if self.public_url:
            return self.public_url
        if self.space_host:
            return f"https://{self.space_host}"
        return None

    @property
    def max_result_bytes(self) -> int:
        return self.max_result_mb * 1000 * 1000


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# Settings read from variables that are not ours (Hugging Face sets them on a Space).
_PLATFORM_ENV = {"SPACE_ID": "space_id", "SPACE_HOST": "space_host", "SPACE_AUTHOR_NAME": "space_author_name"}
_FIELD_FOR_ENV = {
    ENV_PREFIX + name.upper(): name for name in Settings.model_fields if name not in _PLATFORM_ENV.values()
} | _PLATFORM_ENV
# Each setting's environment variable, e.g. "WAN_DATA_DIR" (what the docs must name).
ENV_NAME_FOR_FIELD = {field: name for name, field in _FIELD_FOR_ENV.items()}


def load_settings(env: Mapping[str, str] | None = None, *, dotenv: bool = False) -> Settings:
    """Build settings from `env` (default: the process environment).

    With `dotenv=True` a `.env` file in the working directory is read first; real
    environment variables win over it.
    """
    if env is None:
        env = dict(os.environ)
        if dotenv:
            from dotenv import dotenv_values

            file_values = dotenv_values(Path.cwd() / ".env")
            env = {**{k: v for k, v in file_values.items() if v is not None}, **env}
    values: dict[str, object] = {
        field: env[name] for name, field in _FIELD_FOR_ENV.items() if env.get(name, "") != ""
    }
    if "provider" not in values:
        from .providers import DEFAULT_PROVIDER, DEMO

        values["provider"] = DEFAULT_PROVIDER if values.get("api_key") else DEMO
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            # Never echo the input value: it may be the key.
            message = str(err["msg"]).removeprefix("Value error, ")
            if not err["loc"]:  # a rule across settings: its message names the variables
                problems.append(message)
                continue
            field = str(err["loc"][0])
            name = ENV_NAME_FOR_FIELD.get(field, ENV_PREFIX + field.upper())
            problems.append(f"{name}: {message}")
        raise SettingsError("Invalid settings: " + "; ".join(problems)) from None
