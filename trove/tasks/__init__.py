"""Background jobs: enqueue after commit; RQ on Redis when configured, in-process otherwise.

Every job is a row in ``jobs`` written in the same transaction as the work that asked for
it, and handed to a runner only after that transaction commits. If the hand-off fails
(Redis down, process killed), the row stays ``queued`` and :func:`sweep` hands it over
again. Jobs are module-level functions taking ids, declared with :func:`job`, and must be
idempotent: running one twice, or again after a crash midway, is harmless.

Modes (``TASKS_MODE``): ``rq`` (a worker started by ``flask trove worker`` runs them),
``thread`` (a small in-process pool; the embedded default), ``sync`` (run at commit, in
the committing thread, for tests).

Modules: ``core`` (job rows, ``@job``, ``enqueue``, heartbeats), ``runners`` (dispatch and
``run_job``), ``sweep`` (re-enqueue what was left behind), ``health`` (the admin page).
"""

from trove.tasks.core import (
    CURRENT_WORKER,
    QUEUES,
    Heartbeat,
    JobRecord,
    JobSpec,
    JobStatus,
    Timings,
    beat,
    enqueue,
    hand_over_after_commit,
    job,
    last_beat,
    redis_connection,
    register_sweep,
    retry_job,
    rq_job_id,
)
from trove.tasks.health import QueueHealth, queue_health
from trove.tasks.runners import dispatch, init_app, run_job
from trove.tasks.sweep import (
    hand_over_orphans,
    scheduled_sweep,
    sweep,
    sweep_if_due,
)

__all__ = [
    "CURRENT_WORKER",
    "QUEUES",
    "Heartbeat",
    "JobRecord",
    "JobSpec",
    "JobStatus",
    "QueueHealth",
    "Timings",
    "beat",
    "dispatch",
    "enqueue",
    "hand_over_after_commit",
    "init_app",
    "job",
    "last_beat",
    "queue_health",
    "redis_connection",
    "register_sweep",
    "retry_job",
    "rq_job_id",
    "run_job",
    "scheduled_sweep",
    "hand_over_orphans",
    "sweep",
    "sweep_if_due",
]
