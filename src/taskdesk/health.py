"""Is this installation fit to work: the database answers and its schema is the one this
taskdesk needs (what /healthz reports to a load balancer or an orchestrator)."""

from __future__ import annotations

from collections.abc import Callable

from taskdesk.store import SqlStore, Store
from taskdesk.store.sql import check_schema
from taskdesk.text import error_text
from taskdesk.views import HealthView


def check_health(open_store: Callable[[], Store]) -> HealthView:
    """Asks the database now (one small query), never from a cached answer."""
    try:
        store = open_store()
        if isinstance(store, SqlStore):
            check_schema(store)  # reads the schema's revision: the database must answer
        else:
            store.get(0)
    except Exception as error:  # whatever the failure, the answer is 'not fit'
        return HealthView(ok=False, detail=error_text(error))
    return HealthView(ok=True, detail="database reachable, schema current")
