"""Settings: defaults, then a TOML file, then ``CTI_*`` environment variables, then flags.

One object, validated at start; a bad value stops the service with one clear line.

>>> s = Settings(_env_file=None, language="en", http_port=9000)
>>> s.http_port, s.language, s.default_region
(9000, 'en', 'CN')
"""

from __future__ import annotations

import os
import zoneinfo
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Any

import phonenumbers
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from cti.users.models import ROLES

LANGUAGES = ("zh", "en")


class SettingsError(Exception):
    """A setting is wrong; the message is one line a person can act on."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CTI_", extra="forbid", frozen=True)

    database_url: str = "sqlite+aiosqlite:///./var/cti.db"

    ami_host: str | None = None  # None: start the bundled PBX simulator
    ami_port: int = Field(5038, ge=1, le=65535)
    ami_username: str = "cti"
    ami_secret: SecretStr = SecretStr("ctisecret")
    ami_ping_interval: float = Field(5.0, gt=0)
    ami_action_timeout: float = Field(5.0, gt=0)
    ami_reconnect_max: float = Field(30.0, gt=0)

    http_host: str = "127.0.0.1"
    http_port: int = Field(8080, ge=1, le=65535)
    public_origin: str = ""  # e.g. https://cti.example.com behind a proxy; "" = derive from Host
    # the reverse proxies whose X-Forwarded-For is believed: "10.0.0.5" or "10.0.0.5,10.1.0.0/16"
    trusted_proxies: Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode] = ()

    default_region: str = "CN"
    timezone: str = "Asia/Shanghai"
    language: str = "zh"
    # the call log and the calls-join-tickets linker in a process of their own (a second core; see
    # docs/PERFORMANCE.md); off: everything in one process
    writer_process: bool = False
    # the PBX connection, the framer and the call tracker in a process of their own (a second core for
    # the AMI stream; see docs/PERFORMANCE.md); off: in the service's process
    ami_process: bool = False
    # this process dials the running campaigns (the job every second); false on a process that should only
    # serve the console: the processes that dial share the campaigns' lines (claims are taken in the database)
    campaign_dialer: bool = True
    outside_prefixes: Annotated[tuple[str, ...], NoDecode] = ()  # "9" or "9,0": dial-out digits a PBX may prefix

    session_hours: float = Field(12.0, gt=0)
    export_roles: Annotated[tuple[str, ...], NoDecode] = ("supervisor", "manager", "admin")  # who may export data
    cookie_secure: bool = False  # set true behind HTTPS

    sim_calls_per_minute: float = Field(10.0, ge=0)
    sim_time_scale: float = Field(1.0, gt=0)
    sim_control_port: int = Field(8089, ge=0, le=65535)
    seed_demo: bool = True  # `cti serve` without a PBX seeds demo data into an empty database

    # the supervisors' floor (cti.supervision): the wallboard's period, the pause reasons agents pick from,
    # after-call work started by itself after each answered call
    wallboard_window_hours: float = Field(0.0, ge=0, le=168)  # 0: since local midnight; else a sliding window
    pause_reasons: Annotated[tuple[str, ...], NoDecode] = ("lunch", "break", "training", "meeting", "after-call work")
    wrap_up_seconds: int = Field(0, ge=0, le=900)  # 0: none; else this many seconds paused after each call

    # tickets: the SLA tick, complaint escalation (cti.tickets.escalation), the escalation webhook (docs/WEBHOOKS.md)
    sla_tick_seconds: float = Field(30.0, ge=1, le=3600)  # how often promises falling due are looked for
    escalation_repeat_calls: int = Field(3, ge=2, le=100)  # inbound calls about a complaint ...
    escalation_repeat_hours: float = Field(48.0, gt=0)  # ... within this many hours: level 1
    escalation_ack_minutes: float = Field(120.0, gt=0)  # level 1 not acknowledged within this: level 2
    webhook_url: str = ""  # "" = no webhook; else every escalation is POSTed there, signed
    webhook_secret: SecretStr = SecretStr("")  # the HMAC-SHA256 key; required (16+ characters) with a URL
    webhook_timeout: float = Field(10.0, gt=0, le=120)  # seconds per attempt
    webhook_max_attempts: int = Field(8, ge=1, le=50)  # then the delivery is given up (recorded)

    @field_validator("default_region")
    @classmethod
    def _region_known(cls, v: str) -> str:
        v = v.upper()
        if v not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown region {v!r}; use a two-letter code such as CN")
        return v

    @field_validator("timezone")
    @classmethod
    def _zone_known(cls, v: str) -> str:
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}; use an IANA name such as Asia/Shanghai") from None
        return v

    @field_validator("language")
    @classmethod
    def _language_known(cls, v: str) -> str:
        v = v.lower().replace("_", "-")
        v = {"zh-cn": "zh", "zh-hans": "zh", "en-us": "en", "en-gb": "en"}.get(v, v)
        if v not in LANGUAGES:
            raise ValueError(f"unsupported language {v!r}; use zh or en")
        return v

    @field_validator("outside_prefixes", mode="before")
    @classmethod
    def _split_prefixes(cls, v: Any) -> Any:
        return _comma_list(v) if isinstance(v, str) else v

    @field_validator("pause_reasons", mode="before")
    @classmethod
    def _reasons(cls, v: Any) -> Any:
        reasons = _comma_list(v) if isinstance(v, str) else tuple(v)
        for reason in reasons:
            if not reason.strip() or len(reason) > 40 or any(c in reason for c in "\r\n\t,;|"):
                raise ValueError(f"pause reason {reason!r}: 1-40 characters, no comma, semicolon or line break")
        if not reasons:
            raise ValueError("at least one pause reason is needed")
        return tuple(r.strip() for r in reasons)

    @field_validator("export_roles", mode="before")
    @classmethod
    def _known_roles(cls, v: Any) -> Any:
        roles = _comma_list(v) if isinstance(v, str) else tuple(v)
        for role in roles:
            if role not in ROLES:
                raise ValueError(f"unknown role {role!r}; use {', '.join(ROLES[:-1])} or {ROLES[-1]}")
        return roles

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_networks(cls, v: Any) -> Any:
        networks = []
        for item in _comma_list(v) if isinstance(v, str) else v:
            text = str(item).strip()
            if not text:
                continue
            try:
                networks.append(ip_network(text))
            except ValueError as exc:
                raise ValueError(f"not an IP address or network: {text!r} ({exc})") from None
        return tuple(networks)

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, v: str) -> str:
        v = v.strip()
        if v and not v.startswith(("https://", "http://")):
            raise ValueError("use an http:// or https:// URL, or leave it empty for no webhook")
        return v

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, v: SecretStr, info: ValidationInfo) -> SecretStr:
        if info.data.get("webhook_url") and len(v.get_secret_value()) < 16:
            raise ValueError("a webhook needs a secret of at least 16 characters to sign its messages")
        return v

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, v: str) -> str:
        if v.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + v.removeprefix("sqlite:///")
        if v.startswith(("postgresql://", "postgres://")):
            return "postgresql+asyncpg://" + v.split("://", 1)[1]
        if not v.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///path or postgresql+asyncpg://user:pass@host/db")
        return v

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def embedded_pbx(self) -> bool:
        """True when no PBX is configured: the service starts the bundled simulator."""
        return not self.ami_host

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_path = os.environ.get("CTI_CONFIG_FILE")
        if toml_path:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(toml_path)))
        return tuple(sources)


def _comma_list(text: str) -> tuple[str, ...]:
    """``"a, b,,c"`` → ``("a", "b", "c")``: how every list setting is written in the environment."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


def load_settings(config_file: str | None = None, **overrides: Any) -> Settings:
    """Build the settings; raise SettingsError with one readable line per problem."""
    if config_file:
        if not Path(config_file).is_file():
            raise SettingsError(f"config file not found: {config_file}")
        os.environ["CTI_CONFIG_FILE"] = config_file
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise SettingsError(_explain(exc)) from None
    except ValueError as exc:  # a malformed TOML file
        raise SettingsError(f"cannot read settings: {exc}") from None


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        name = "CTI_" + "_".join(str(p) for p in err["loc"]).upper()
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown setting"
        parts.append(f"{name}: {msg}")
    return "; ".join(parts)
