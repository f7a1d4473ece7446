"""PostgreSQL: a runner's outcomes, their log rows and its next claim in one statement.

Each outcome travels as one element of parallel arrays (`unnest`); the statement stores every
outcome whose claim still holds its task (updated, or deleted when complete with no retention),
logs every attempt — "(lease lost: not stored)" where the claim no longer held it — and
returns the ids it stored. One round trip and one plan for the batch, where one statement per
task and per log row cost the server a parse, a plan and an executor start each.

The fencing is the same as statements.FINISH_UPDATE's: worker, status processing, claim token.

finish_then_claim() adds the claim (statements.CLAIM or claim_in, as compiled) to the same
statement, which the runner sends in autocommit: one statement is one transaction, so storing
the outcomes and claiming the next task cost one round trip, where BEGIN, the finish, the claim
and COMMIT took one each. The claim cannot take a task this statement finishes: every part
of a statement sees the rows as they were when it began (processing, not pending), and the two
parts change different rows.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from taskdesk.models.runners import Finished
from taskdesk.models.tasks import Status
from taskdesk.store.base import COMPLETE_PERCENT, LEASE_LOST

_FINISH_PARTS = f"""
WITH o AS (
    SELECT * FROM unnest(
        %(ids)s::bigint[], %(tokens)s::text[], %(outcomes)s::text[], %(texts)s::text[],
        %(retry_ats)s::timestamp[], %(delayed)s::boolean[], %(done)s::integer[],
        %(removed)s::boolean[], %(codes)s::text[], %(comments)s::text[],
        %(durations)s::double precision[], %(attempts)s::integer[]
    ) AS o(id, token, outcome, text, retry_at, delayed, done, removed, code, comment,
           duration, attempt)
),
updated AS (
    UPDATE task SET status = o.outcome, response = o.text, worker_id = NULL,
        lease_expires_at = NULL, run_at = coalesce(o.retry_at, task.run_at),
        date_modified = %(now)s, claim_token = NULL, delayed = o.delayed,
        progress = coalesce(o.done, task.progress)
    FROM o
    WHERE NOT o.removed AND task.task_id = o.id AND task.worker_id = %(worker)s
        AND task.status = 'processing' AND task.claim_token = o.token
    RETURNING task.task_id
),
deleted AS (
    DELETE FROM task USING o
    WHERE o.removed AND task.task_id = o.id AND task.worker_id = %(worker)s
        AND task.status = 'processing' AND task.claim_token = o.token
    RETURNING task.task_id
),
stored AS (SELECT task_id FROM updated UNION ALL SELECT task_id FROM deleted),
logged AS (
    INSERT INTO task_log (task_id, code, status, comment, duration, attempt, worker_id,
                          date_added)
    SELECT o.id, o.code, o.outcome,
        CASE WHEN stored.task_id IS NULL THEN o.comment || '{LEASE_LOST}' ELSE o.comment END,
        o.duration, o.attempt, %(worker)s, %(now)s
    FROM o LEFT JOIN stored ON stored.task_id = o.id
)"""
FINISH_ALL = f"{_FINISH_PARTS}\nSELECT task_id FROM stored"
_CLAIM_HEAD = "WITH due AS"  # how SQLAlchemy writes statements.CLAIM and claim_in
_CLAIM_UPDATE = "\n UPDATE task SET "


@functools.cache  # one per claim statement: the text is the same at each call
def finish_then_claim(claim_sql: str) -> str:
    """FINISH_ALL and then the claim, in one statement whose rows are the claimed tasks'
    columns after the ids stored (an array, in each row); one row of NULL columns when
    nothing was claimed."""
    head, update = claim_sql.split(_CLAIM_UPDATE, 1)
    if not head.startswith(_CLAIM_HEAD):
        raise ValueError(f"not a claim that finish_then_claim knows: {claim_sql[:40]!r}")
    return (f"{_FINISH_PARTS},\n{head.removeprefix('WITH ')},\n"
            f"claimed AS (UPDATE task SET {update})\n"
            "SELECT (SELECT array_agg(task_id) FROM stored), claimed.*\n"
            "FROM (SELECT) AS one LEFT JOIN claimed ON true")


def finish_all_params(worker_id: str, finished: Sequence[Finished], *, now: datetime,
                      retention_seconds: float) -> dict[str, Any]:
    """FINISH_ALL's arrays; times naive UTC, as the schema stores them."""
    def naive(moment: datetime | None) -> datetime | None:
        return None if moment is None else moment.astimezone(UTC).replace(tzinfo=None)

    complete = [outcome.status is Status.COMPLETE for _, outcome in finished]
    return {
        "worker": worker_id, "now": naive(now),
        "ids": [task.task_id for task, _ in finished],
        "tokens": [task.claim_token for task, _ in finished],
        "outcomes": [outcome.status.value for _, outcome in finished],
        "texts": [outcome.response for _, outcome in finished],
        "retry_ats": [naive(outcome.retry_at) for _, outcome in finished],
        "delayed": [outcome.retry_at is not None and outcome.retry_at > now
                    for _, outcome in finished],
        "done": [COMPLETE_PERCENT if done else None for done in complete],
        "removed": [done and retention_seconds <= 0 for done in complete],
        "codes": [task.code for task, _ in finished],
        "comments": [outcome.comment for _, outcome in finished],
        "durations": [outcome.duration for _, outcome in finished],
        "attempts": [task.attempts for task, _ in finished],
    }
