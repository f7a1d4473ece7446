"""taskdesk's tables, made by taskdesk's own migrations (what `taskdesk init` runs) on the
database of every TaskdeskBackend whose DATABASE is the one being migrated. Running it again
is harmless (the upgrade stops at taskdesk's head); later taskdesk releases upgrade with
`manage.py taskdesk init`. Irreversible: taskdesk's tables hold the tasks, and dropping them
is left to a person (docs/django.md)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import migrations


def create_tables(apps: Any, schema_editor: Any) -> None:
    from taskdesk.contrib.django.schema import create_tables_on

    create_tables_on(schema_editor.connection.alias)


class Migration(migrations.Migration):  # type: ignore[misc]
    atomic = False  # taskdesk migrates through its own connection, not Django's transaction
    dependencies: ClassVar[list[tuple[str, str]]] = []
    operations: ClassVar[list[Any]] = [migrations.RunPython(create_tables, reverse_code=None)]
