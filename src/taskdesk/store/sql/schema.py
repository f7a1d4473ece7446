"""The current schema in SQLAlchemy Core, for both dialects; the migrations build the same.
The types and metadata are in schema_base.py, the accounts' tables in schema_accounts.py:
this module names them all, so its `metadata` is always the whole schema."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    literal_column,
    true,
)
from sqlalchemy import false as sa_false
from sqlalchemy.sql.elements import ColumnElement

from taskdesk.store.sql.schema_accounts import ROLES as ROLES
from taskdesk.store.sql.schema_accounts import admin_user as admin_user
from taskdesk.store.sql.schema_accounts import api_token as api_token
from taskdesk.store.sql.schema_accounts import audit_log as audit_log
from taskdesk.store.sql.schema_accounts import login_throttle as login_throttle
from taskdesk.store.sql.schema_accounts import web_session as web_session
from taskdesk.store.sql.schema_base import NAMING_CONVENTION as NAMING_CONVENTION
from taskdesk.store.sql.schema_base import PROCESSING as PROCESSING
from taskdesk.store.sql.schema_base import STATUSES as STATUSES
from taskdesk.store.sql.schema_base import WAITING_VALUES as WAITING_VALUES
from taskdesk.store.sql.schema_base import Id as Id
from taskdesk.store.sql.schema_base import UtcDateTime as UtcDateTime
from taskdesk.store.sql.schema_base import metadata as metadata

task = Table(
    "task",
    metadata,
    Column("task_id", Id, primary_key=True, autoincrement=True),
    Column("code", String(128), nullable=False),
    Column("action", String(255), nullable=False),
    Column("args", Text, nullable=False),
    Column("response", Text, nullable=True),
    Column("status", String(16), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("run_at", UtcDateTime, nullable=False),
    Column("worker_id", String(128), nullable=True),
    Column("lease_expires_at", UtcDateTime, nullable=True),
    Column("date_added", UtcDateTime, nullable=False),
    Column("date_modified", UtcDateTime, nullable=False),
    # A new random value at each claim: finish, heartbeat and release name it, so that an
    # attempt that outlived its lease never touches the attempt that replaced it.
    Column("claim_token", String(32), nullable=True),
    # A pending task written with a run_at still in the future; the claim promotes it when it
    # is due, so that the claim's index never walks tasks that wait (see claims.PROMOTE).
    Column("delayed", Boolean, nullable=False, server_default=sa_false()),
    Column("extension", String(128), nullable=True),  # the extension whose code added it
    # What the running attempt reported last (0-100; text bounded by task_progress): written
    # only while the attempt's claim holds the task, cleared by the next claim.
    Column("progress", Integer, nullable=True),
    Column("progress_message", Text, nullable=True),
    # The named queue it waits in (taskdesk.models.queues checks the name).
    Column("queue", String(64), nullable=False, server_default="default"),
    # The class of what failed the latest failed attempt (taskdesk.models.failures).
    Column("error_class", String(255), nullable=True),
    # Limits by key (taskdesk.models.limits, store/sql/limits.py): the key its slots are
    # counted by, and its limits as added. A limited pending task is `held` (not claimable)
    # until an admission gives it a slot of its key.
    Column("limit_key", String(255), nullable=True),
    Column("concurrency_limit", Integer, nullable=True),
    Column("rate_limit", String(16), nullable=True),
    Column("held", Boolean, nullable=False, server_default=sa_false()),
    # Tracing (taskdesk.tracing): the W3C traceparent of the span that enqueued it, so that
    # its attempts' spans join that trace; NULL when tracing is off.
    Column("trace_context", String(255), nullable=True),
    CheckConstraint(f"status IN {STATUSES!r}", name="status"),
    sqlite_autoincrement=True,  # ids are never reused: the task log refers to them
)
# The claim's indexes are partial: they hold only claimable tasks, so that a task moving on from
# pending leaves them once and never comes back (each move used to rewrite both). Their
# condition is written with literal values, in the claim too (claims.py): SQLite uses a
# partial index only when the query repeats its condition, and a bound parameter does not.
PENDING: ColumnElement[str] = literal_column("'pending'")
CLAIMABLE = and_(task.c.status == PENDING, task.c.delayed == sa_false(),
                 task.c.held == sa_false())
#: What every write that makes a task pending sets `held` to: a limited task waits for a
#: slot again (store/sql/limits.py counts on it: only an admission lets a limited task in).
HELD_AGAIN = task.c.limit_key.is_not(None)
# The claim: pending tasks that are not delayed nor held, highest priority first, then oldest.
Index("ix_task_claim", task.c.priority.desc(), task.c.task_id,
      sqlite_where=CLAIMABLE, postgresql_where=CLAIMABLE)
# The claim of a runner given queues: the same order within one queue (one seek per queue).
Index("ix_task_queue_claim", task.c.queue, task.c.priority.desc(), task.c.task_id,
      sqlite_where=CLAIMABLE, postgresql_where=CLAIMABLE)
# Promoting delayed tasks once their run_at has come. Partial: it holds only delayed tasks, so
# it is small, and no planner takes it for the claim (which seeks tasks that are not delayed).
Index("ix_task_delayed_run_at", task.c.delayed, task.c.run_at,
      sqlite_where=task.c.delayed == true(), postgresql_where=task.c.delayed == true())
# Admissions: held tasks by key, in the claim's order (small: held tasks only).
Index("ix_task_held", task.c.limit_key, task.c.priority.desc(), task.c.task_id,
      sqlite_where=task.c.held == true(), postgresql_where=task.c.held == true())
# A key's slots: its limited tasks admitted or running, and only those (IN_SLOT, written
# as the admission's count writes it: SQLite uses a partial index only then).
IN_SLOT = and_(task.c.held == sa_false(),
               task.c.status.in_([PENDING, literal_column(f"'{PROCESSING}'")]))
Index("ix_task_limit_slots", task.c.limit_key, task.c.status,
      sqlite_where=and_(task.c.limit_key.is_not(None), IN_SLOT),
      postgresql_where=and_(task.c.limit_key.is_not(None), IN_SLOT))
# The reaper: processing tasks whose lease has expired. (Not partial: SQLite, without
# statistics, would read such a seek through ix_task_status_task_id instead.)
Index("ix_task_status_lease_expires_at", task.c.status, task.c.lease_expires_at)
# Pruning completed tasks past their retention.
Index("ix_task_status_date_modified", task.c.status, task.c.date_modified)
# The list page filtered by status, keyset-paginated by id, and the counts per status.
Index("ix_task_status_task_id", task.c.status, task.c.task_id)
# Replace-by-code and delete-by-code, and the list page filtered by an exact code,
# keyset-paginated by id.
Index("ix_task_code_task_id", task.c.code, task.c.task_id)
# An extension's tasks, for uninstall and remove. Partial: tasks no extension added cost nothing.
Index("ix_task_extension", task.c.extension, sqlite_where=task.c.extension.is_not(None),
      postgresql_where=task.c.extension.is_not(None))
# Failures by cause: failed tasks grouped by error class, with their first and last failure,
# and a class's tasks for retry or cancel. Partial: only failed tasks are in it.
FAILED: ColumnElement[str] = literal_column("'failed'")
Index("ix_task_failed_error_class", task.c.error_class, task.c.date_modified, task.c.task_id,
      sqlite_where=task.c.status == FAILED, postgresql_where=task.c.status == FAILED)

task_log = Table(
    "task_log",
    metadata,
    Column("task_log_id", Id, primary_key=True, autoincrement=True),
    Column("task_id", BigInteger, nullable=True),
    Column("code", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("comment", Text, nullable=False),
    Column("duration", Float, nullable=True),
    Column("attempt", Integer, nullable=False),
    Column("worker_id", String(128), nullable=True),
    Column("date_added", UtcDateTime, nullable=False),
    sqlite_autoincrement=True,
)
Index("ix_task_log_task_id", task_log.c.task_id, task_log.c.task_log_id)
# Pruning entries past the log's retention.
Index("ix_task_log_date_added", task_log.c.date_added)

# The task log's counters for /metrics (log_totals.py): every entry up to the one named
# by "log.folded_through" counted in, so that they never fall when entries are pruned or
# cleared, and only the entries after it are counted at each read.
log_total = Table(
    "log_total",
    metadata,
    Column("name", String(320), primary_key=True),  # 64 before 0018 (names per host since)
    Column("value", Float, nullable=False),
)

runner = Table(
    "runner",
    metadata,
    Column("runner_id", String(128), primary_key=True),
    Column("hostname", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("lease_seconds", Float, nullable=True),  # its lease; null: from before 0015
    Column("queues", Text, nullable=True),  # the queues it serves, one per line; null: all
)
Index("ix_runner_hostname", runner.c.hostname)

# The record of each host runners ran on (models.runners.HostInfo): it outlives its runners'
# rows, so that a host whose runners died is shown as lost, and when it was last seen.
host = Table(
    "host",
    metadata,
    Column("hostname", String(255), primary_key=True),
    Column("first_seen_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("stopped_at", UtcDateTime, nullable=True),  # its last runner stopped cleanly
)

# Paused queues (taskdesk.models.queues.QueuePause): every claim skips the tasks of a queue
# named here (claims.py); running ones finish. Usually empty, and read by primary key.
queue_pause = Table(
    "queue_pause",
    metadata,
    Column("queue", String(64), primary_key=True),
    Column("paused_at", UtcDateTime, nullable=False),
    Column("paused_by", String(64), nullable=True),  # who paused it; null: code
)

# Starts of rate-limited keys (store/sql/limits.py): one row per task let in, kept for its
# rate's period (pruned by the admission of its key), so that every runner counts the same.
limit_start = Table(
    "limit_start",
    metadata,
    Column("limit_start_id", Id, primary_key=True, autoincrement=True),
    Column("limit_key", String(255), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
)
Index("ix_limit_start_limit_key_started_at", limit_start.c.limit_key, limit_start.c.started_at)

# Run Tasks' claim on starting a runner: one row per kind of start, held until `expires_at`,
# so that two admin processes pressing Run Tasks at once start one runner between them.
run_start = Table(
    "run_start",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(255), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)

# Installed modules: the state that install()/uninstall() change, as OpenCart's `extension`.
extension = Table(
    "extension",
    metadata,
    Column("extension_id", Id, primary_key=True, autoincrement=True),
    Column("extension", String(128), nullable=False),
    Column("type", String(32), nullable=False),
    Column("code", String(128), nullable=False),
    Column("date_added", UtcDateTime, nullable=False),
    UniqueConstraint("extension", "type", "code"),
    sqlite_autoincrement=True,
)

# Uploaded packages, one per extension code: every host unpacks its extensions from here.
package = Table(
    "package",
    metadata,
    Column("code", String(128), primary_key=True),
    Column("version", Text, nullable=False),  # install.json's, up to 1000 characters
    Column("sha256", String(64), nullable=False),  # hex digest of `data`
    Column("size", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),  # the zip's bytes
    Column("date_added", UtcDateTime, nullable=False),
)

# -- schedules: recurring rules that add one task per firing (taskdesk.schedules) ----------
CYCLES = ("minute", "hour", "day", "week", "month")  # taskdesk.models.schedule_rules.Cycle
MISSED = ("run-once", "skip")  # taskdesk.models.schedule_rules.Missed

schedule = Table(
    "schedule",
    metadata,
    Column("schedule_id", Id, primary_key=True, autoincrement=True),
    Column("code", String(128), nullable=False, unique=True),  # also its tasks' code
    Column("action", String(255), nullable=False),
    Column("args", Text, nullable=False),
    Column("cron", String(255), nullable=True),  # either a cron expression …
    Column("cycle", String(16), nullable=True),  # … or a cycle with an interval
    Column("cycle_interval", Integer, nullable=False),
    Column("missed", String(16), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("next_run_at", UtcDateTime, nullable=False),  # the firing to claim next
    Column("last_run_at", UtcDateTime, nullable=True),
    Column("date_added", UtcDateTime, nullable=False),
    Column("date_modified", UtcDateTime, nullable=False),
    CheckConstraint(f"cycle IS NULL OR cycle IN {CYCLES!r}", name="cycle"),
    CheckConstraint(f"missed IN {MISSED!r}", name="missed"),
    CheckConstraint("(cron IS NULL) <> (cycle IS NULL)", name="rule"),
    sqlite_autoincrement=True,
)
# Runners' look for due firings: enabled schedules by next firing.
Index("ix_schedule_enabled_next_run_at", schedule.c.enabled, schedule.c.next_run_at)

# -- the error log: what self.log.write() wrote, on every host (taskdesk.errorlog) ----------
error_log = Table(
    "error_log",
    metadata,
    Column("error_log_id", Id, primary_key=True, autoincrement=True),
    Column("date_added", UtcDateTime, nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("task_id", BigInteger, nullable=True),  # the task whose controller wrote it
    Column("message", Text, nullable=False),
    sqlite_autoincrement=True,
)
# A page of one host's, or one task's, lines, newest last (keyset on the id).
Index("ix_error_log_host_error_log_id", error_log.c.host, error_log.c.error_log_id)
Index("ix_error_log_task_id_error_log_id", error_log.c.task_id, error_log.c.error_log_id)
# Pruning lines past the error log's retention.
Index("ix_error_log_date_added", error_log.c.date_added)

# -- workflows: tasks with dependencies (taskdesk.models.workflows, store/workflows.py) -------
workflow = Table(
    "workflow",
    metadata,
    Column("workflow_id", Id, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False),
    Column("date_added", UtcDateTime, nullable=False),
    sqlite_autoincrement=True,
)
# One row per task of a workflow, kept after its task is pruned: the count of parents it
# still waits for (lowered by UPDATE … RETURNING as each ends: concurrent parents serialise on
# this row), the run_at it asked for, and once it ended its outcome and response (what its
# children's parent_results read).
workflow_task = Table(
    "workflow_task",
    metadata,
    Column("task_id", BigInteger, primary_key=True, autoincrement=False),
    Column("workflow_id", BigInteger,
           ForeignKey("workflow.workflow_id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("code", String(128), nullable=False),
    Column("action", String(255), nullable=False),
    Column("run_on_failure", Boolean, nullable=False),
    Column("parents_left", Integer, nullable=False),
    Column("run_at", UtcDateTime, nullable=True),  # what it asked for; null: when released
    Column("outcome", String(16), nullable=True),  # complete, failed, cancelled; null: not yet
    Column("response", Text, nullable=True),
    Column("date_ended", UtcDateTime, nullable=True),
)
Index("ix_workflow_task_workflow_id_position", workflow_task.c.workflow_id,
      workflow_task.c.position)
# An edge parent → child; parent_outcome is set once, when the parent ends for good.
task_dependency = Table(
    "task_dependency",
    metadata,
    Column("child_id", BigInteger, primary_key=True, autoincrement=False),
    Column("parent_id", BigInteger, primary_key=True, autoincrement=False),
    Column("parent_outcome", String(16), nullable=True),
)
Index("ix_task_dependency_parent_id", task_dependency.c.parent_id)
