"""Settings: defaults, TASKDESK_* variables, flag overrides and validation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from taskdesk.config import Settings
from taskdesk.errors import ConfigError


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    settings = Settings.from_env({})

    assert settings.home == tmp_path / "storage"
    assert settings.database_url == f"sqlite:///{tmp_path / 'storage' / 'taskdesk.db'}"
    assert settings.lease_seconds == 30.0
    assert settings.max_attempts == 3
    assert settings.retry_delay_seconds == 10.0


def test_reads_each_variable_from_the_given_mapping(tmp_path: Path) -> None:
    env = {
        "TASKDESK_HOME": str(tmp_path / "desk"),
        "TASKDESK_DATABASE_URL": "postgresql://u@db/taskdesk",
        "TASKDESK_LEASE_SECONDS": "12.5",
        "TASKDESK_HEARTBEAT_SECONDS": "2",
        "TASKDESK_RETENTION_SECONDS": "0",
        "TASKDESK_MAX_ATTEMPTS": "7",
        "TASKDESK_RETRY_DELAY_SECONDS": "0.5",
        "TASKDESK_POLL_SECONDS": "0.25",
    }

    settings = Settings.from_env(env)

    assert settings.home == tmp_path / "desk"
    assert settings.database_url == "postgresql://u@db/taskdesk"
    assert settings.lease_seconds == 12.5
    assert settings.heartbeat_seconds == 2.0
    assert settings.retention_seconds == 0.0
    assert settings.max_attempts == 7
    assert isinstance(settings.max_attempts, int)
    assert settings.retry_delay_seconds == 0.5
    assert settings.poll_seconds == 0.25


def test_the_given_mapping_replaces_the_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TASKDESK_MAX_ATTEMPTS", "9")
    monkeypatch.setenv("TASKDESK_HOME", str(tmp_path / "from_os"))

    assert Settings.from_env({"TASKDESK_HOME": str(tmp_path)}).max_attempts == 3
    assert Settings.from_env().max_attempts == 9
    assert Settings.from_env().home == tmp_path / "from_os"


def test_empty_variables_are_unset(tmp_path: Path) -> None:
    settings = Settings.from_env({"TASKDESK_HOME": str(tmp_path), "TASKDESK_LEASE_SECONDS": "",
                                  "TASKDESK_DATABASE_URL": ""})

    assert settings.lease_seconds == 30.0
    assert settings.database_url == f"sqlite:///{tmp_path / 'taskdesk.db'}"


def test_unrelated_variables_are_ignored(tmp_path: Path) -> None:
    settings = Settings.from_env({"TASKDESK_HOME": str(tmp_path), "TASKDESK_NONSENSE": "x",
                                  "LEASE_SECONDS": "1"})

    assert settings.lease_seconds == 30.0


@pytest.mark.parametrize("value", ["4", "0", "2x"])
def test_the_retired_claim_batch_variable_is_ignored(tmp_path: Path, value: str) -> None:
    """TASKDESK_CLAIM_BATCH no longer names a setting (a claim takes one task): a deployment
    that still sets it, to any text, starts as if it did not, like any other unknown name."""
    settings = Settings.from_env({"TASKDESK_HOME": str(tmp_path), "TASKDESK_CLAIM_BATCH": value})

    assert settings == Settings.from_env({"TASKDESK_HOME": str(tmp_path)})
    assert "TASKDESK_CLAIM_BATCH" not in settings.to_env()


def test_flags_override_the_environment(tmp_path: Path) -> None:
    env = {"TASKDESK_HOME": str(tmp_path / "env"), "TASKDESK_LEASE_SECONDS": "12",
           "TASKDESK_MAX_ATTEMPTS": "7"}

    settings = Settings.from_env(env, home=tmp_path / "flag", lease_seconds=60.0,
                                 max_attempts=None)

    assert settings.home == tmp_path / "flag"
    assert settings.lease_seconds == 60.0
    assert settings.max_attempts == 7  # None means: the flag was not given
    assert settings.database_url == f"sqlite:///{tmp_path / 'flag' / 'taskdesk.db'}"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TASKDESK_LEASE_SECONDS", "thirty"),
        ("TASKDESK_MAX_ATTEMPTS", "1.5"),
        ("TASKDESK_MAX_ATTEMPTS", "three"),
        ("TASKDESK_MAX_CRASHES", "2x"),
        ("TASKDESK_POLL_SECONDS", "1,5"),
        ("TASKDESK_RETRY_DELAY_SECONDS", "ten"),
    ],
)
def test_bad_numbers_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({name: value})

    assert name in caught.value.message
    assert repr(value) in caught.value.message


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN", "Infinity"])
def test_non_finite_numbers_are_rejected(value: str) -> None:
    """NaN compares false with everything, so it would slip past `<= 0`; an infinite lease
    overflows every timedelta computed from it."""
    with pytest.raises(ConfigError, match="TASKDESK_LEASE_SECONDS"):
        Settings.from_env({"TASKDESK_LEASE_SECONDS": value})


@pytest.mark.parametrize("value", ["0", "-1", "-0.5"])
def test_lease_must_be_positive(value: str) -> None:
    with pytest.raises(ConfigError, match="TASKDESK_LEASE_SECONDS must be greater than 0"):
        Settings.from_env({"TASKDESK_LEASE_SECONDS": value})


@pytest.mark.parametrize(
    "name",
    ["TASKDESK_MAX_ATTEMPTS", "TASKDESK_POLL_SECONDS", "TASKDESK_MAX_CRASHES"],
)
def test_other_counts_must_be_positive(name: str) -> None:
    with pytest.raises(ConfigError, match=f"{name} must be greater than 0"):
        Settings.from_env({name: "0"})


@pytest.mark.parametrize(
    "name",
    ["TASKDESK_HEARTBEAT_SECONDS", "TASKDESK_RETENTION_SECONDS", "TASKDESK_RETRY_DELAY_SECONDS",
     "TASKDESK_CANCEL_GRACE_SECONDS"],
)
def test_durations_must_not_be_negative(name: str) -> None:
    with pytest.raises(ConfigError, match=f"{name} must not be negative"):
        Settings.from_env({name: "-1"})


def test_a_non_positive_flag_is_rejected_too() -> None:
    with pytest.raises(ConfigError, match="TASKDESK_LEASE_SECONDS"):
        Settings.from_env({}, lease_seconds=0)


def test_heartbeat_interval_defaults_to_a_third_of_the_lease() -> None:
    assert Settings(lease_seconds=30).heartbeat_interval == 10
    assert Settings(lease_seconds=9, heartbeat_seconds=0).heartbeat_interval == 3


def test_explicit_heartbeat_interval() -> None:
    assert Settings(lease_seconds=30, heartbeat_seconds=4).heartbeat_interval == 4


@pytest.mark.parametrize("heartbeat", ["30", "60"])
def test_heartbeat_must_be_shorter_than_the_lease(heartbeat: str) -> None:
    """A heartbeat that comes only when the lease has already run out loses every lease:
    another runner recovers and reruns each task that takes longer than the lease."""
    with pytest.raises(ConfigError, match="TASKDESK_HEARTBEAT_SECONDS"):
        Settings.from_env({"TASKDESK_LEASE_SECONDS": "30", "TASKDESK_HEARTBEAT_SECONDS": heartbeat})


def test_home_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    settings = Settings.from_env({"TASKDESK_HOME": "relative/home"})

    assert settings.home.is_absolute()
    assert settings.home == tmp_path / "relative" / "home"
    assert settings.database_url == f"sqlite:///{tmp_path / 'relative' / 'home' / 'taskdesk.db'}"


def test_home_expands_the_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))

    assert Settings(home=Path("~/desk")).home == tmp_path / "desk"


def test_paths_below_home(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)

    assert settings.logs_dir == tmp_path / "logs"
    assert settings.error_log == tmp_path / "logs" / "error.log"
    assert settings.runner_log == tmp_path / "logs" / "runner.log"
    assert settings.extensions_dir == tmp_path / "extensions"
    assert settings.packages_dir == tmp_path / "packages"


def test_explicit_database_url_is_kept(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, database_url="sqlite:///elsewhere.db")

    assert settings.database_url == "sqlite:///elsewhere.db"


def test_evolve_changes_fields_and_validates(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)

    changed = settings.evolve(max_attempts=5)

    assert changed.max_attempts == 5
    assert settings.max_attempts == 3
    with pytest.raises(ConfigError, match="TASKDESK_MAX_ATTEMPTS"):
        settings.evolve(max_attempts=0)


def test_evolve_home_moves_the_default_database(tmp_path: Path) -> None:
    """The default database lives in home; a new home must not keep the old home's file."""
    settings = Settings(home=tmp_path / "one")

    moved = settings.evolve(home=tmp_path / "two")

    assert moved.database_url == f"sqlite:///{tmp_path / 'two' / 'taskdesk.db'}"


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)

    with pytest.raises(AttributeError):
        settings.max_attempts = 9  # type: ignore[misc]


def test_process_environment_is_not_modified(tmp_path: Path) -> None:
    before = dict(os.environ)

    Settings.from_env({"TASKDESK_HOME": str(tmp_path)})

    assert dict(os.environ) == before
