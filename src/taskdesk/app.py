"""Taskdesk: the pieces of one installation (settings, store, registry, resolver) built once
from the settings, for the CLI, the runner and (later) the web."""

from __future__ import annotations

from functools import cached_property

from taskdesk.config import Settings
from taskdesk.errorlog import ErrorLog
from taskdesk.extensions.catalogue import Catalogue
from taskdesk.extensions.installer import Installer
from taskdesk.extensions.lifecycle import Lifecycle
from taskdesk.extensions.loader import ControllerLoader
from taskdesk.registry import TaskRegistry
from taskdesk.resolve import Resolver
from taskdesk.runner import Runner, RunnerHooks
from taskdesk.store import SqlStore, open_store
from taskdesk.store.migrate import check_schema, upgrade


class Taskdesk:
    """One installation: its settings and store, and the objects built on them."""

    def __init__(self, settings: Settings, store: SqlStore) -> None:
        self.settings = settings
        self.store = store

    @classmethod
    def open(cls, settings: Settings) -> Taskdesk:
        """Connect and check that `taskdesk init` has brought the schema up to date."""
        store = open_store(settings.database_url)
        try:
            check_schema(store)
        except BaseException:
            store.close()
            raise
        return cls(settings, store)

    @classmethod
    def init(cls, settings: Settings) -> Taskdesk:
        """Create the data folders and create or upgrade the schema."""
        for folder in (settings.home, settings.logs_dir, settings.extensions_dir,
                       settings.packages_dir):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)  # args, responses, logs
        store = open_store(settings.database_url, create=True)
        try:
            upgrade(store)
        except BaseException:
            store.close()
            raise
        return cls(settings, store)

    @cached_property
    def registry(self) -> TaskRegistry:
        return TaskRegistry(self.store, self.settings)

    @cached_property
    def error_log(self) -> ErrorLog:
        return ErrorLog(self.settings.error_log)

    @cached_property
    def catalogue(self) -> Catalogue:
        return Catalogue(self.settings.extensions_dir)

    @cached_property
    def loader(self) -> ControllerLoader:
        return ControllerLoader(self.catalogue.locate)

    @cached_property
    def resolver(self) -> Resolver:
        return Resolver(self.loader)

    @cached_property
    def installer(self) -> Installer:
        return Installer(self.settings, self.catalogue, self.store)

    @cached_property
    def lifecycle(self) -> Lifecycle:
        return Lifecycle(self.catalogue, self.loader, self.store, self.settings, self.error_log)

    def runner(self, hooks: RunnerHooks | None = None) -> Runner:
        return Runner(self.store, self.settings, resolver=self.resolver, hooks=hooks)

    def close(self) -> None:
        self.store.close()
