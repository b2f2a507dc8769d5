"""The tracing SDK behind ``import tracehound``: decorator, context, exporters.

Modules, one job each: ``traceable`` (the decorator), ``block`` (``span()``), ``session``,
``run`` (the live span), ``context`` (context variables), ``ids``, ``wire`` (span → JSON, off the
caller's thread), ``exporter`` and ``transport`` (batching, HTTP, local store), ``memory``
(``InMemoryExporter``), ``config``, ``clock`` (the time spans are stamped with,
simulated for backfills). Only the standard library and msgspec are imported here.
"""
