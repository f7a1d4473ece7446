"""Settings: read once from the environment, overridden by command-line flags, then frozen."""

from __future__ import annotations

import dataclasses
import math
import os
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from sqlalchemy import URL

from taskdesk.errors import ConfigError

ENV_PREFIX = "TASKDESK_"
DEFAULT_PACKAGE_MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_PACKAGE_MAX_FILE_BYTES = 4 * 1024**3  # bytes: a zip without zip64 ends here
MAX_TASK_TIMEOUT_SECONDS = 86_400.0  # a day: a task's timeout, in seconds
#: Upper bounds of the timing settings, in seconds: far beyond any sensible value, and far
#: below what a datetime, a timedelta or a thread's wait can hold.
MAX_SECONDS = {
    "lease_seconds": (86_400.0, "a day"),
    "poll_seconds": (3_600.0, "an hour"),
    "retry_delay_seconds": (3_600.0, "an hour, the longest retry delay"),
    "retention_seconds": (3_155_760_000.0, "100 years"),
    "error_log_retention_seconds": (3_155_760_000.0, "100 years"),
    "session_seconds": (31_536_000.0, "a year"),
    "task_timeout_seconds": (MAX_TASK_TIMEOUT_SECONDS, "a day"),
    "health_timeout_seconds": (3_600.0, "an hour"),
    "read_timeout_seconds": (3_600.0, "an hour"),
    "body_timeout_seconds": (86_400.0, "a day"),
    "add_wait_seconds": (3_600.0, "an hour"),
    "counts_seconds": (3_600.0, "an hour"),
    "cancel_grace_seconds": (3_600.0, "an hour"),
}


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything an operator can tune; each field is read from TASKDESK_<FIELD NAME>."""

    home: Path = Path("storage")
    database_url: str = ""  # empty: SQLite file in `home`
    lease_seconds: float = 30.0  # a claim lives this long without a heartbeat
    heartbeat_seconds: float = 0.0  # 0: a third of lease_seconds
    retention_seconds: float = 86_400.0  # completed tasks stay visible this long; 0 deletes at once
    log_retention_seconds: float = 30 * 86_400.0  # task log entries are kept this long
    error_log_retention_seconds: float = 30 * 86_400.0  # error log lines are kept this long
    max_attempts: int = 3  # default for new tasks: starts allowed, retries included
    retry_delay_seconds: float = 10.0  # first retry waits this long, then doubles
    poll_seconds: float = 1.0  # an idle worker looks for due tasks this often
    package_max_entries: int = 1_000  # files and folders in an extension zip
    package_max_bytes: int = 50 * 1024 * 1024  # total uncompressed size of an extension zip
    package_max_ratio: float = 100.0  # uncompressed / compressed size of one entry (zip bombs)
    package_max_file_bytes: int = DEFAULT_PACKAGE_MAX_FILE_BYTES  # the uploaded zip file itself
    #: Module prefixes whose import-path actions may run besides registered tasks and
    #: extension routes (TASKDESK_ALLOWED_ACTIONS="mypkg.jobs,reports"); empty: none.
    allowed_actions: tuple[str, ...] = ()
    app: str = ""  # module:attribute of the application's Taskdesk, imported by the CLI
    session_seconds: float = 8 * 3_600.0  # an admin web session ends this long after login
    #: Seconds a task's attempt may take (a task's own `timeout=` wins); past it, the child
    #: process that runs it is killed. 0: no timeout, tasks run in the runner's threads
    #: (but those declared process=True, which run in a child of their own).
    task_timeout_seconds: float = 0.0
    #: Deaths of a task's child process (a signal, os._exit) after which it is failed for good.
    max_crashes: int = 2
    #: How long a cancelled task's child process has to stop on its own (it is told:
    #: taskdesk.cancelled()) before it is terminated (SIGTERM, then SIGKILL); 0: at once.
    cancel_grace_seconds: float = 5.0
    #: /metrics to anyone who can reach it (1); else only to a bearer token or a session.
    metrics_public: bool = False
    #: Password checks (argon2id: 64 MiB each) one web process runs at once; more logins
    #: at the same moment are answered 503 at once.
    login_checks: int = 2
    #: /healthz answers within this long, whatever the database does (503 past it).
    health_timeout_seconds: float = 5.0
    #: `taskdesk serve`: a request's head must arrive in full, and each part of its body,
    #: within this long; the whole body within body_timeout_seconds (408 past either).
    read_timeout_seconds: float = 30.0
    body_timeout_seconds: float = 600.0
    #: SQLite: how long an add retries while another writer holds the database's lock, then
    #: fails with one error, nothing written (taskdesk.store.sql.busy).
    add_wait_seconds: float = 30.0
    #: The dashboard's and /metrics' tasks per status: one count of the task table serves every
    #: caller of a process this long (0: count at every call).
    counts_seconds: float = 2.0
    #: The name this machine gives its host: its runners are grouped by it, a host that stops
    #: heartbeating is shown as lost by it, and its error log lines carry it. The machine's
    #: host name unless set, e.g. where containers all share one.
    host_name: str = dataclasses.field(default_factory=socket.gethostname)
    #: OpenTelemetry spans for enqueues and attempts (docs/tracing.md), when the extra
    #: `taskdesk[otel]` is installed; off: none, and no trace context is stored.
    tracing: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "home", Path(self.home).expanduser().absolute())
        given: object = self.database_url  # a SQLAlchemy URL too: str() would hide its password
        if isinstance(given, URL):
            object.__setattr__(self, "database_url", given.render_as_string(hide_password=False))
        if not self.database_url:
            object.__setattr__(self, "database_url", default_database_url(self.home))
        _check_positive(self)
        _check_allowed_actions(self.allowed_actions)
        if self.app:
            _check_app(self.app)
        _convert("TASKDESK_HOST_NAME", self.host_name, host_name)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from TASKDESK_* variables; keyword overrides (flags) win when not None."""
        values = cls.set_in_env(env)
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)

    @classmethod
    def set_in_env(cls, env: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The settings that TASKDESK_* variables give, by field name (unset ones absent)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for field in fields(cls):
            name = ENV_PREFIX + field.name.upper()
            if env.get(name, "") != "":
                values[field.name] = _convert(name, env[name], _PARSERS[field.name])
        return values

    def to_env(self) -> dict[str, str]:
        """The TASKDESK_* variables that give a child process these settings."""
        return {ENV_PREFIX + field.name.upper(): _FORMATTERS.get(field.name, str)(
            getattr(self, field.name)) for field in fields(self)}

    def evolve(self, **changes: Any) -> Settings:
        if "home" in changes and "database_url" not in changes and (
            self.database_url == default_database_url(self.home)
        ):
            changes["database_url"] = ""  # the default database follows the new home
        return replace(self, **changes)

    @property
    def heartbeat_interval(self) -> float:
        return self.heartbeat_seconds or self.lease_seconds / 3

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def error_log(self) -> Path:
        """The text log that Controller.log writes: OpenCart's System > Maintenance > Error logs."""
        return self.logs_dir / "error.log"

    @property
    def runner_log(self) -> Path:
        """Where a background runner's own output goes."""
        return self.logs_dir / "runner.log"

    @property
    def extensions_dir(self) -> Path:
        return self.home / "extensions"

    @property
    def packages_dir(self) -> Path:
        """Uploaded extension zips, kept as uploaded."""
        return self.home / "packages"

    @property
    def scratch_dir(self) -> Path:
        """Where uploads are checked and unpacked before they move into place."""
        return self.home / "tmp"


def default_database_url(home: Path) -> str:
    """SQLite in the data folder; quoted, so that a '?', '#' or '%' in the path stays in it."""
    return URL.create("sqlite", database=str(home / "taskdesk.db")).render_as_string()


def module_prefixes(text: str) -> tuple[str, ...]:
    """TASKDESK_ALLOWED_ACTIONS: module names separated by commas or spaces."""
    return tuple(part for part in text.replace(",", " ").split() if part)


def flag(text: str) -> bool:
    """1/true/yes/on or 0/false/no/off (any case; empty is off)."""
    word = text.strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("", "0", "false", "no", "off"):
        return False
    raise ValueError(text)


MAX_HOST_NAME = 100  # characters: a runner's id (128) holds its host, pid and a random part


def host_name(text: str) -> str:
    """A host's name as given: not blank, at most MAX_HOST_NAME characters."""
    if not text.strip() or len(text) > MAX_HOST_NAME:
        raise ValueError(f"a host name of 1 to {MAX_HOST_NAME} characters, not blank")
    return text


_PARSERS: dict[str, Callable[[str], Any]] = {
    "home": Path,
    "database_url": str,
    "lease_seconds": float,
    "heartbeat_seconds": float,
    "retention_seconds": float,
    "log_retention_seconds": float,
    "error_log_retention_seconds": float,
    "max_attempts": int,
    "retry_delay_seconds": float,
    "poll_seconds": float,
    "package_max_entries": int,
    "package_max_bytes": int,
    "package_max_ratio": float,
    "package_max_file_bytes": int,
    "allowed_actions": module_prefixes,
    "app": str,
    "session_seconds": float,
    "task_timeout_seconds": float,
    "max_crashes": int,
    "metrics_public": flag,
    "login_checks": int,
    "health_timeout_seconds": float,
    "read_timeout_seconds": float,
    "body_timeout_seconds": float,
    "add_wait_seconds": float,
    "counts_seconds": float,
    "cancel_grace_seconds": float,
    "host_name": host_name,
    "tracing": flag,
}
_FORMATTERS: dict[str, Callable[[Any], str]] = {
    "allowed_actions": ",".join,
    "home": str,
    "metrics_public": lambda value: "1" if value else "0",
    "tracing": lambda value: "1" if value else "0",
}
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")

_MUST_BE_POSITIVE = (
    "lease_seconds", "session_seconds", "max_attempts", "poll_seconds",
    "package_max_entries", "package_max_bytes", "package_max_ratio", "package_max_file_bytes",
    "max_crashes", "login_checks", "health_timeout_seconds", "read_timeout_seconds",
    "body_timeout_seconds", "add_wait_seconds",
)
_MUST_NOT_BE_NEGATIVE = ("heartbeat_seconds", "retention_seconds", "log_retention_seconds",
                         "error_log_retention_seconds",
                         "retry_delay_seconds", "task_timeout_seconds", "counts_seconds",
                         "cancel_grace_seconds")


def _check_allowed_actions(prefixes: tuple[str, ...]) -> None:
    for prefix in prefixes:
        if not isinstance(prefix, str) or not _MODULE.fullmatch(prefix):
            raise ConfigError(f"{ENV_PREFIX}ALLOWED_ACTIONS: {prefix!r} is not a module name "
                              "(write module prefixes such as mypkg.jobs, separated by commas)")


def _check_app(app: str) -> None:
    module, _, attribute = app.partition(":")
    if not _MODULE.fullmatch(module) or not _MODULE.fullmatch(attribute):
        raise ConfigError(f"{ENV_PREFIX}APP {app!r} must read module:attribute "
                          "(for example myapp.tasks:desk)")


def _convert(name: str, text: str, parse: Callable[[str], Any]) -> Any:
    try:
        return parse(text)
    except ValueError:
        raise ConfigError(f"{name}={text!r} is not a valid {parse.__name__}") from None


def _check_positive(settings: Settings) -> None:
    for field in fields(settings):
        value = getattr(settings, field.name)
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{ENV_PREFIX}{field.name.upper()} must be a finite number")
    for name in _MUST_BE_POSITIVE:
        if getattr(settings, name) <= 0:
            raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be greater than 0")
    for name in _MUST_NOT_BE_NEGATIVE:
        if getattr(settings, name) < 0:
            raise ConfigError(f"{ENV_PREFIX}{name.upper()} must not be negative")
    _check_relations(settings)


def _check_relations(settings: Settings) -> None:
    for name, (limit, words) in MAX_SECONDS.items():
        if getattr(settings, name) > limit:
            raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be at most {limit:.0f} "
                              f"({words}), not {getattr(settings, name):g}")
    if settings.package_max_file_bytes > MAX_PACKAGE_MAX_FILE_BYTES:
        raise ConfigError(f"{ENV_PREFIX}PACKAGE_MAX_FILE_BYTES must be at most "
                          f"{MAX_PACKAGE_MAX_FILE_BYTES} (4 GiB)")
    if settings.heartbeat_seconds >= settings.lease_seconds:
        raise ConfigError(f"{ENV_PREFIX}HEARTBEAT_SECONDS must be shorter than "
                          f"{ENV_PREFIX}LEASE_SECONDS ({settings.lease_seconds:g})")
