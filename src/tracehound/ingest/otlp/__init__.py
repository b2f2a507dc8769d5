"""OTLP trace ingest: OpenTelemetry spans from any agent convention into the one span model.

::

    request = decode_request(body, media_type(content_type))     # protobuf or OTLP/JSON
    result = Translator(max_value_chars=cap).translate(request)  # conventions, ids, per-source stats
    await pipeline.submit(result.spans)
    report.add(result.sources)                                   # the mapping report

Modules: ``decode`` (wire → messages → Python values), ``ids`` (deterministic UUIDs), ``values`` and
``messages`` (the shapes instrumentations write), ``conventions`` (one module per convention plus the
precedence table), ``translate`` (building spans), ``report`` and ``report_store`` (what was mapped).
"""
