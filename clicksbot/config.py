"""Settings: the YAML config file and the environment, read into one frozen object."""

from __future__ import annotations

import os
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from clicksbot import yamlfile

DEFAULT_API_URL = "https://api.telegram.org/bot"
ENV_TOKEN = "CLICKSBOT_TOKEN"
ENV_API_URL = "CLICKSBOT_API_URL"
ENV_CONFIG = "CLICKSBOT_CONFIG"
ENV_WEBHOOK_SECRET = "CLICKSBOT_WEBHOOK_SECRET"
ENV_DATABASE_URL = "CLICKSBOT_DATABASE_URL"
ENV_EVENT_LOOP = "CLICKSBOT_EVENT_LOOP"  # "asyncio": not uvloop's (clicksbot.app.new_event_loop)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")


class ConfigError(Exception):
    """A config problem, said in one line that names the file, the key and what is expected."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        super().__init__(f"{source}: {key}: {problem}")
        self.source = source
        self.key = key
        self.problem = problem


@dataclass(frozen=True)
class Secret:
    """A string that never shows itself in repr, str or logs."""

    value: str = field(repr=False)

    def __str__(self) -> str:
        return "********" if self.value else ""

    def __repr__(self) -> str:
        return "Secret(********)" if self.value else "Secret('')"

    def __bool__(self) -> bool:
        return bool(self.value)


@dataclass(frozen=True)
class Settings:
    """Everything configurable about one clicksbot instance."""

    token: Secret = Secret("")
    api_url: str = DEFAULT_API_URL
    database: Path = Path("clicksbot.sqlite3")
    # A postgresql:// URL: the store is that PostgreSQL database, not the file `database`.
    # A Secret, as it may carry a password: logs and errors name only host and database.
    database_url: Secret = Secret("")
    packs_dir: Path = Path("quizzes")
    default_language: str = "en"
    default_timezone: str = "UTC"
    admins: frozenset[int] = frozenset()
    log_level: str = "INFO"
    send_rate: float = 25.0
    send_in_flight: int = 8
    # Broadcasts and campaign messages sent as Telegram's paid broadcasts (they cost Stars).
    allow_paid_broadcast: bool = False
    paid_send_rate: float = 1000.0  # their pace, messages a second (Telegram: up to 1000)
    late_tip_grace_minutes: int = 120
    pact_file: Path | None = None  # None: the pact shipped with clicksbot
    retention_days: int = 365
    log_format: str = "text"
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: Secret = Secret("")
    health_listen: str = "127.0.0.1"
    health_port: int = 0  # 0: no health and metrics server
    # Leader and standby (clicksbot.leader): the lease's length, how often the leader renews
    # it, and how often a standby looks whether it has expired.
    leader_lease_seconds: float = 10.0
    leader_renew_seconds: float = 3.0
    standby_check_seconds: float = 2.0
    flood_burst: int = 12
    flood_rate: float = 1.0
    checkup_offer: bool = True  # offer the discernment checkup at the first quiz, then later
    ask_confidence: bool = True  # "how sure are you?" between an answer and its result
    source: str = "defaults"

    @property
    def store_target(self) -> Path | str:
        """What `Store.open` opens: the PostgreSQL URL if one is set, else the SQLite file."""
        return self.database_url.value or self.database

    @property
    def database_name(self) -> str:
        """The database as messages name it (a URL without its user and password)."""
        if self.database_url:
            from clicksbot.store.dialect import describe

            return describe(self.database_url.value)
        return str(self.database)

    @property
    def file_url(self) -> str:
        """Return the Bot API file URL that belongs with `api_url`."""
        if self.api_url.endswith("/bot"):
            return self.api_url[: -len("bot")] + "file/bot"
        return self.api_url.rstrip("/") + "/file/bot"


# Every key the config file may hold, with what its value must be.
KEYS: dict[str, str] = {
    "token": "the bot token from @BotFather, like 123456:ABC-def (or set CLICKSBOT_TOKEN)",
    "api_url": "an http(s) URL of a Bot API server ending in /bot",
    "database": "a path to the SQLite database file, or a postgresql://user@host/dbname URL "
    "(or set CLICKSBOT_DATABASE_URL)",
    "packs_dir": "a path to the folder of content packs",
    "default_language": "a two- or three-letter language code such as en",
    "default_timezone": "an IANA time zone name such as Asia/Manila",
    "admins": "a list of Telegram user ids (whole numbers)",
    "log_level": f"one of {', '.join(LOG_LEVELS)}",
    "send_rate": "messages a second the outbox sends at most, a number above 0 (0: no limit)",
    "send_in_flight": "messages the outbox has on their way at once, a whole number 1 to 100",
    "allow_paid_broadcast": "true or false: send broadcasts and campaign messages as paid "
    "broadcasts (faster; Telegram charges Telegram Stars for them)",
    "paid_send_rate": "messages a second for paid broadcasts, a number from 1 to 1000",
    "pact_file": "a path to a pact YAML file (default: the pact shipped with clicksbot)",
    "log_format": "text (one readable line per event) or json (one JSON object per line)",
    "webhook_url": "the public https URL Telegram posts updates to (empty: long polling)",
    "webhook_listen": "the address the webhook server listens on (behind your TLS proxy)",
    "webhook_port": "the port the webhook server listens on, 1 to 65535",
    "webhook_secret": "the secret token Telegram sends with each update, A-Z a-z 0-9 _ -, "
    "(or set CLICKSBOT_WEBHOOK_SECRET; empty: a new random one at each start)",
    "health_listen": "the address the /healthz and /metrics server listens on",
    "health_port": "the port of the /healthz and /metrics server, 1 to 65535 (0: no server)",
    "leader_lease_seconds": "how long the leader's lease lasts unless renewed, 3 to 300 "
    "seconds (a standby takes over this long after the leader stops renewing)",
    "leader_renew_seconds": "how often the leader renews its lease, 0.5 seconds up to a third "
    "of leader_lease_seconds",
    "standby_check_seconds": "how often a standby looks whether the lease has expired, 0.5 to "
    "60 seconds",
    "retention_days": "days of inactivity after which a person's data is deleted, 0 to 3650 "
    "(0: never)",
    "flood_burst": "messages and button presses one person may send at once, 1 to 1000",
    "flood_rate": "messages and presses a second one person may keep sending, above 0 up to 100",
    "late_tip_grace_minutes": "how late a missed daily tip may still go out, 0 to 1440 minutes",
    "checkup_offer": "true or false: offer the discernment checkup at a person's first quiz "
    "and again later (/checkup works either way)",
    "ask_confidence": 'true or false: ask "how sure are you?" after each quiz answer, before '
    "the result (the rating shows in /progress as calibration)",
}


def load_settings(
    path: Path | None = None, env: Mapping[str, str] | None = None, *, require_token: bool = True
) -> Settings:
    """Read the config file (if any), then the environment, and check every value."""
    env = os.environ if env is None else env
    source = str(path) if path is not None else "defaults"
    raw: dict[str, Any] = {}
    base = Path.cwd()
    if path is not None:
        raw = _read_file(path)
        base = path.resolve().parent
    for key in raw:
        if key not in KEYS:
            raise ConfigError(source, str(key), f"unknown key; known keys are {', '.join(KEYS)}")

    def get(key: str, env_name: str | None = None) -> tuple[Any, str]:
        if env_name and env.get(env_name):
            return env[env_name], env_name
        return raw.get(key), source

    token, token_from = get("token", ENV_TOKEN)
    if token is None or token == "":
        if require_token:
            raise ConfigError(token_from, "token", "missing: " + KEYS["token"])
        token = ""
    elif not isinstance(token, str) or not _TOKEN_RE.match(token.strip()):
        raise ConfigError(token_from, "token", "not a bot token: expected " + KEYS["token"])

    api_url, api_from = get("api_url", ENV_API_URL)
    api_url = DEFAULT_API_URL if api_url in (None, "") else api_url
    if not isinstance(api_url, str) or not re.match(r"^https?://[^\s/]+(/\S*)?$", api_url):
        raise ConfigError(api_from, "api_url", "expected " + KEYS["api_url"])

    database_url, url_from = get("database", ENV_DATABASE_URL)
    if url_from == ENV_DATABASE_URL or (
        isinstance(database_url, str) and database_url.startswith(("postgresql:", "postgres:"))
    ):
        if not isinstance(database_url, str) or not re.match(
            r"^postgres(ql)?://[^\s/]*/?\S*$", database_url.strip()
        ):
            raise ConfigError(url_from, "database", "expected " + KEYS["database"])
        database_url = database_url.strip()
        raw = {k: v for k, v in raw.items() if k != "database"}
    else:
        database_url = ""

    settings = Settings(
        token=Secret(str(token).strip()),
        database_url=Secret(database_url),
        api_url=api_url,
        # Without a `database` key the file sits beside the config file, where a relative
        # `database` would put it too (and where `run` and `chat` find it from any folder).
        database=_path(raw, "database", base / Settings.database, base, source),
        packs_dir=_path(raw, "packs_dir", Settings.packs_dir, base, source),
        default_language=_language(raw, source),
        default_timezone=_timezone(raw, source),
        admins=_admins(raw, source),
        log_level=_log_level(raw, source),
        send_rate=float(_number(raw, "send_rate", Settings.send_rate, 0, 1000, source)),
        send_in_flight=int(
            _number(raw, "send_in_flight", Settings.send_in_flight, 1, 100, source, whole=True)
        ),
        allow_paid_broadcast=_flag(
            raw, "allow_paid_broadcast", Settings.allow_paid_broadcast, source
        ),
        paid_send_rate=float(
            _number(raw, "paid_send_rate", Settings.paid_send_rate, 1, 1000, source)
        ),
        late_tip_grace_minutes=int(
            _number(
                raw,
                "late_tip_grace_minutes",
                Settings.late_tip_grace_minutes,
                0,
                1440,
                source,
                whole=True,
            )
        ),
        log_format=_choice(raw, "log_format", ("text", "json"), source),
        webhook_url=_webhook_url(raw, source),
        webhook_listen=str(raw.get("webhook_listen") or Settings.webhook_listen),
        webhook_port=int(
            _number(raw, "webhook_port", Settings.webhook_port, 1, 65535, source, whole=True)
        ),
        webhook_secret=_webhook_secret(raw, source),
        health_listen=str(raw.get("health_listen") or Settings.health_listen),
        health_port=int(
            _number(raw, "health_port", Settings.health_port, 0, 65535, source, whole=True)
        ),
        leader_lease_seconds=float(
            _number(raw, "leader_lease_seconds", Settings.leader_lease_seconds, 3, 300, source)
        ),
        leader_renew_seconds=_renew(raw, source),
        standby_check_seconds=float(
            _number(raw, "standby_check_seconds", Settings.standby_check_seconds, 0.5, 60, source)
        ),
        retention_days=int(
            _number(raw, "retention_days", Settings.retention_days, 0, 3650, source, whole=True)
        ),
        flood_burst=int(
            _number(raw, "flood_burst", Settings.flood_burst, 1, 1000, source, whole=True)
        ),
        flood_rate=float(_number(raw, "flood_rate", Settings.flood_rate, 0.01, 100, source)),
        checkup_offer=_flag(raw, "checkup_offer", Settings.checkup_offer, source),
        ask_confidence=_flag(raw, "ask_confidence", Settings.ask_confidence, source),
        pact_file=(
            _path(raw, "pact_file", Path("pact.yaml"), base, source)
            if raw.get("pact_file") is not None
            else None
        ),
        source=source,
    )
    return settings


def secrets_of(settings: Settings) -> list[str]:
    """The database URL and its password, for the logs to mask (should a library print it)."""
    url = settings.database_url.value
    if not url:
        return []
    from urllib.parse import urlsplit

    password = urlsplit(url).password
    return [url, password] if password else [url]


def _read_file(path: Path) -> dict[str, Any]:
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            source, "(file)", "not found; copy config.example.yaml to start"
        ) from None
    except OSError as exc:
        raise ConfigError(source, "(file)", f"cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(source, "(file)", "is not UTF-8 text") from None
    try:
        data = yamlfile.load(text)
    except yaml.YAMLError as exc:
        line, problem = yamlfile.problem(exc, text)
        raise ConfigError(source, f"line {line}", problem) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(source, "(file)", "expected a mapping of keys to values")
    return data


def _path(raw: dict[str, Any], key: str, default: Path, base: Path, source: str) -> Path:
    value = raw.get(key)
    if value is None:
        return default if default.is_absolute() else Path.cwd() / default
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(source, key, "expected " + KEYS[key])
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _language(raw: dict[str, Any], source: str) -> str:
    value = raw.get("default_language", Settings.default_language)
    if not isinstance(value, str) or not _LANGUAGE_RE.match(value):
        raise ConfigError(source, "default_language", "expected " + KEYS["default_language"])
    return value


def _timezone(raw: dict[str, Any], source: str) -> str:
    value = raw.get("default_timezone", Settings.default_timezone)
    if not isinstance(value, str):
        raise ConfigError(source, "default_timezone", "expected " + KEYS["default_timezone"])
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            source, "default_timezone", f"unknown time zone {value!r}: expected an IANA name"
        ) from None
    return value


def _admins(raw: dict[str, Any], source: str) -> frozenset[int]:
    value = raw.get("admins", [])
    if value is None:
        return frozenset()
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value
    ):
        raise ConfigError(source, "admins", "expected " + KEYS["admins"])
    return frozenset(value)


def _log_level(raw: dict[str, Any], source: str) -> str:
    value = raw.get("log_level", Settings.log_level)
    if not isinstance(value, str) or value.upper() not in LOG_LEVELS:
        raise ConfigError(source, "log_level", "expected " + KEYS["log_level"])
    return value.upper()


def _number(
    raw: dict[str, Any],
    key: str,
    default: float,
    low: float,
    high: float,
    source: str,
    *,
    whole: bool = False,
) -> float:
    value = raw.get(key, default)
    kinds = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
        raise ConfigError(source, key, f"{value!r} is not {KEYS[key]}")
    return value


def _renew(raw: dict[str, Any], source: str) -> float:
    """The renew interval: at least three renewals fit in a lease, so one or two failing
    (a slow moment of the database) do not make the leader step down."""
    lease = raw.get("leader_lease_seconds", Settings.leader_lease_seconds)
    high = max(0.5, lease / 3) if isinstance(lease, int | float) else 1.0
    return float(
        _number(raw, "leader_renew_seconds", Settings.leader_renew_seconds, 0.5, high, source)
    )


def _choice(raw: dict[str, Any], key: str, allowed: tuple[str, ...], source: str) -> str:
    value = raw.get(key, allowed[0])
    if value not in allowed:
        raise ConfigError(source, key, f"{value!r} is not {KEYS[key]}")
    return str(value)


def _flag(raw: dict[str, Any], key: str, default: bool, source: str) -> bool:
    value = raw.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ConfigError(source, key, f"{value!r} is not {KEYS[key]}")
    return value


def _webhook_url(raw: dict[str, Any], source: str) -> str:
    value = raw.get("webhook_url") or ""
    if value and (not isinstance(value, str) or not re.match(r"^https?://[^\s/]+/\S*$", value)):
        raise ConfigError(source, "webhook_url", "expected " + KEYS["webhook_url"])
    return str(value)


def _webhook_secret(raw: dict[str, Any], source: str) -> Secret:
    value = raw.get("webhook_secret") or ""
    if value and (not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value)):
        raise ConfigError(source, "webhook_secret", "expected " + KEYS["webhook_secret"])
    return Secret(str(value))
