"""One context function per page: reads the stores, returns the plain dict a template renders.

The same dict is the page's JSON twin (``/trace/<id>.json``), so a test or a script can read exactly
what the page shows. One module per area:

    traces.py      home, trace, span detail, session
    runs.py        the runs table (filter language, quick filters, search, cursor paging)
    dashboard.py   per-project charts over a time window
    triage.py      "tool X is failing"
    alerts.py      rules, states, history
    evals.py       datasets, experiments, comparison
    sql.py         the read-only SQL console
"""

from tracehound.ui.context.alerts import alerts_context
from tracehound.ui.context.dashboard import dashboard_context
from tracehound.ui.context.evals import (
    compare_context,
    dataset_context,
    datasets_context,
    experiments_context,
)
from tracehound.ui.context.runs import runs_context
from tracehound.ui.context.sql import sql_context
from tracehound.ui.context.traces import home_context, session_context, span_context, trace_context
from tracehound.ui.context.triage import triage_context

__all__ = ["alerts_context", "compare_context", "dashboard_context", "dataset_context", "datasets_context",
           "experiments_context", "home_context", "runs_context", "session_context", "span_context",
           "sql_context", "trace_context", "triage_context"]
