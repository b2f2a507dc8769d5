"""LangSmith examples: ``POST /examples``, ``POST``/``PATCH /examples/bulk``, ``GET /examples``,
``GET``/``PATCH``/``DELETE /examples/{id}``, ``DELETE /examples?example_ids=``.

An example is one of ours: ``split`` becomes our ``splits`` and is shown as ``metadata.dataset_split``
(``evaluate()`` reads it); ``modified_at`` is when the current revision was made. Every change is a
new dataset version, so ``as_of`` (an ISO time or ``latest``) lists the examples as they were.
``source_run_id`` with ``use_source_run_io`` copies the run's inputs and outputs (promotion).
Listing filters: ``dataset``, repeated ``id`` and ``splits``, ``metadata`` (JSON containment) and
``filter`` over ``inputs``/``outputs``/``metadata`` (``exists``, ``has``, ``eq``/``neq``/``in``,
``and``/``or``/``not``).
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from typing import Any

import msgspec
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from tracehound.errors import FilterSyntaxError, MalformedRequest, NotFound
from tracehound.server.langsmith._params import contains, query_json, query_list
from tracehound.server.langsmith.bodies import json_object, json_value
from tracehound.server.langsmith.datasets import require_dataset
from tracehound.server.langsmith.unsupported import NotSupported
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services
from tracehound.store.base import Example, NewExample
from tracehound.timefmt import iso, parse_iso_us

router = APIRouter()


def example_record(example: Example) -> dict[str, Any]:
    """Our example as LangSmith's ``Example``."""
    metadata = dict(example.metadata)
    if example.splits:
        metadata["dataset_split"] = list(example.splits)
    return {"id": example.id, "dataset_id": example.dataset_id, "inputs": example.inputs, "outputs": example.outputs,
            "metadata": metadata, "created_at": iso(example.created_us), "modified_at": iso(example.created_us),
            "source_run_id": example.source_run_id, "runs": []}


def _splits(body: dict[str, Any]) -> list[str]:
    split = body.get("split")
    if split is None:
        split = (body.get("metadata") or {}).get("dataset_split") if isinstance(body.get("metadata"), dict) else None
    if split is None:
        return []
    return [str(s) for s in split] if isinstance(split, list) else [str(split)]


def _new_example(svc: Services, body: dict[str, Any]) -> NewExample:
    metadata = {k: v for k, v in (body.get("metadata") or {}).items() if k != "dataset_split"}
    inputs, outputs = body.get("inputs"), body.get("outputs")
    source = body.get("source_run_id")
    if source and body.get("use_source_run_io"):
        run = svc.spans.get_span(str(source).lower())
        if run is None:
            raise NotFound(f"no run with id {source}")
        inputs, outputs = run.inputs, run.outputs
    if inputs is None:
        raise MalformedRequest("an example needs `inputs`", field="inputs")
    return NewExample(inputs=inputs, outputs=outputs, metadata=metadata, splits=_splits(body),
                      source_run_id=str(source).lower() if source else None,
                      id=str(uuid.UUID(str(body["id"]))) if body.get("id") else None)


def create_from_bodies(svc: Services, bodies: list[Any]) -> list[Example]:
    """Examples from LangSmith example bodies; one new dataset version per dataset."""
    by_dataset: dict[str, list[NewExample]] = defaultdict(list)
    for body in bodies:
        if not isinstance(body, dict) or not body.get("dataset_id"):
            raise MalformedRequest("each example needs a `dataset_id`", field="dataset_id")
        dataset = require_dataset(svc, str(body["dataset_id"]))
        by_dataset[dataset.id].append(_new_example(svc, body))
    created = []
    for dataset_id, news in by_dataset.items():
        created += svc.meta.datasets.add_examples(dataset_id, news)
    return created


@router.post("/examples")
async def create_example(request: Request, svc: Services = Depends(services)) -> FastJSON:
    body = await json_value(request, svc.settings.max_request_bytes)
    return FastJSON(example_record((await run_in_threadpool(create_from_bodies, svc, [body]))[0]))


@router.post("/examples/bulk")
async def create_examples(request: Request, svc: Services = Depends(services)) -> FastJSON:
    """A JSON array of examples; one new dataset version per dataset."""
    body = await json_value(request, svc.settings.max_request_bytes)
    if not isinstance(body, list):
        raise MalformedRequest("expected a JSON array of examples")
    return FastJSON([example_record(e) for e in await run_in_threadpool(create_from_bodies, svc, body)])


def _update(svc: Services, example_id: str, body: dict[str, Any]) -> Example:
    current = svc.meta.datasets.get_example(example_id.lower())
    if current is None:
        raise NotFound(f"no example with id {example_id}")
    metadata = body.get("metadata")
    splits = _splits(body) if body.get("split") is not None or (isinstance(metadata, dict) and \
        "dataset_split" in metadata) else None
    if isinstance(metadata, dict):
        metadata = {k: v for k, v in metadata.items() if k != "dataset_split"}
    return svc.meta.datasets.update_example(
        current.id, inputs=body["inputs"] if body.get("inputs") is not None else ...,
        outputs=body["outputs"] if body.get("outputs") is not None else ..., metadata=metadata, splits=splits)


@router.patch("/examples/bulk")
async def update_examples(request: Request, svc: Services = Depends(services)) -> FastJSON:
    body = await json_value(request, svc.settings.max_request_bytes)
    if not isinstance(body, list):
        raise MalformedRequest("expected a JSON array of example updates")
    for item in body:
        await run_in_threadpool(_update, svc, str(item.get("id")), item)
    return FastJSON({"message": f"{len(body)} examples updated"})


@router.get("/examples")
def list_examples(request: Request, limit: int = 100, offset: int = 0, svc: Services = Depends(services)) -> FastJSON:
    """``?dataset=&id=&splits=&as_of=&metadata=&filter=&offset=&limit=``, offset-paged."""
    params = request.query_params
    ids = [i.lower() for i in query_list(params, "id")]
    splits = set(query_list(params, "splits"))
    metadata, text = query_json(params, "metadata"), params.get("filter")
    dataset_id = params.get("dataset")
    if dataset_id:
        dataset = require_dataset(svc, dataset_id)
        version = _version(svc, dataset.id, params.get("as_of"))
        examples = svc.meta.datasets.list_examples(dataset.id, version=version)
        if ids:
            examples = [e for e in examples if e.id in set(ids)]
    else:
        examples = [e for e in (svc.meta.datasets.get_example(i) for i in ids) if e is not None]
    test = _example_filter(text) if text else None
    records = []
    for example in examples:
        if splits and not splits & set(example.splits or ["base"]):
            continue
        record = example_record(example)
        if (metadata and not contains(record["metadata"], metadata)) or (test and not test(record)):
            continue
        records.append(record)
    return FastJSON(records[offset:offset + limit])


def _version(svc: Services, dataset_id: str, as_of: str | None) -> int | None:
    if not as_of or as_of == "latest":
        return None
    try:
        moment = parse_iso_us(as_of.replace("Z", "+00:00"))
    except ValueError:
        raise NotSupported(f"dataset version tags (as_of={as_of[:40]!r}); use an ISO time or 'latest'") from None
    versions = [v.version for v in svc.meta.datasets.list_versions(dataset_id) if v.created_us <= moment]
    return max(versions) if versions else 0


@router.get("/examples/{example_id}")
def read_example(example_id: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    current = svc.meta.datasets.get_example(example_id.lower())
    as_of = request.query_params.get("as_of")
    example = current
    if as_of and as_of != "latest":
        any_revision = current or _any_revision(svc, example_id.lower())
        if any_revision is not None:
            example = svc.meta.datasets.get_example(example_id.lower(),
                                                    _version(svc, any_revision.dataset_id, as_of))
    if example is None:
        raise NotFound(f"no example with id {example_id}")
    return FastJSON(example_record(example))


def _any_revision(svc: Services, example_id: str) -> Example | None:
    for version in range(1, 10_000):  # a retired example: find any revision (rare; bounded)
        example = svc.meta.datasets.get_example(example_id, version)
        if example is not None:
            return example
    return None


@router.patch("/examples/{example_id}")
async def update_example(example_id: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    """``{inputs, outputs, metadata, split}``; nulls unchanged; a new dataset version."""
    body = await json_object(request, svc.settings.max_request_bytes)
    return FastJSON(example_record(await run_in_threadpool(_update, svc, example_id, body)))


@router.delete("/examples/{example_id}")
def delete_example(example_id: str, svc: Services = Depends(services)) -> FastJSON:
    svc.meta.datasets.retire_examples([example_id.lower()])
    return FastJSON({})


@router.delete("/examples")
def delete_examples(request: Request, svc: Services = Depends(services)) -> FastJSON:
    ids = [i.lower() for i in query_list(request.query_params, "example_ids")]
    if ids:
        svc.meta.datasets.retire_examples(ids)
    return FastJSON({})


# The example filter: a small interpreter over LangSmith's grammar -------------------------------------

_TOKEN = re.compile(r"""\s*(?:(?P<name>[A-Za-z_][\w.]*)|(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
                    r"""|(?P<num>-?\d+(?:\.\d+)?)|(?P<punct>[(),\[\]]))""")


def _example_filter(text: str) -> Any:
    """A predicate over example records for a filter like ``and(exists(metadata, "k"), has(metadata, '{...}'))``.

    Raises:
        FilterSyntaxError: the text does not parse or names an unknown function.
    """
    tokens: list[tuple[str, Any, int]] = []
    pos = 0
    while pos < len(text.rstrip()):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise FilterSyntaxError(text, pos, "a name, string, number or ( ) , [ ]")
        kind = match.lastgroup or "punct"
        raw = match.group(kind)
        value: Any = raw
        if kind == "str":
            value = msgspec.json.decode(('"' + raw[1:-1].replace('"', '\\"') + '"') if raw[0] == "'" else raw)
        elif kind == "num":
            value = float(raw) if "." in raw else int(raw)
        elif kind == "name" and raw in ("true", "false", "null"):
            kind, value = "lit", {"true": True, "false": False, "null": None}[raw]
        tokens.append((kind, value, match.start(kind)))
        pos = match.end()
    index = 0

    def expect(punct: str) -> None:
        nonlocal index
        if index >= len(tokens) or tokens[index][1] != punct:
            raise FilterSyntaxError(text, tokens[index][2] if index < len(tokens) else len(text), repr(punct))
        index += 1

    def arg() -> Any:
        nonlocal index
        if index >= len(tokens):
            raise FilterSyntaxError(text, len(text), "an argument")
        kind, value, _at = tokens[index]
        if kind == "name" and index + 1 < len(tokens) and tokens[index + 1][1] == "(":
            return call()
        if value == "[":
            index += 1
            items = []
            while tokens[index][1] != "]":
                items.append(arg())
                if tokens[index][1] == ",":
                    index += 1
            index += 1
            return ("list", items)
        index += 1
        return ("field", value) if kind == "name" else ("lit", value)

    def call() -> Any:
        nonlocal index
        _kind, name, at = tokens[index]
        index += 1
        expect("(")
        args = []
        while index < len(tokens) and tokens[index][1] != ")":
            args.append(arg())
            if index < len(tokens) and tokens[index][1] == ",":
                index += 1
        expect(")")
        return _compile(text, name, args, at)

    predicate = call()
    if index != len(tokens):
        raise FilterSyntaxError(text, tokens[index][2], "end of input")
    return predicate


def _value(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _lit(node: Any) -> Any:
    if node[0] == "list":
        return [_lit(item) for item in node[1]]
    value = node[1]
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return msgspec.json.decode(value)
        except msgspec.DecodeError:
            return value
    return value


def _compile(text: str, name: str, args: list[Any], at: int) -> Any:
    if name in ("and", "or"):
        parts = args
        return (lambda r: all(p(r) for p in parts)) if name == "and" else (lambda r: any(p(r) for p in parts))
    if name == "not" and len(args) == 1:
        inner = args[0]
        return lambda r: not inner(r)
    if len(args) != 2 or args[0][0] != "field":
        raise FilterSyntaxError(text, at, "and/or/not, or exists/has/eq/neq/in(field, value)")
    field, wanted = args[0][1], _lit(args[1])
    if name == "exists":
        return lambda r: isinstance(_value(r, field), dict) and wanted in _value(r, field)
    if name == "has":
        return lambda r: contains(_value(r, field), wanted)
    if name == "eq":
        return lambda r: _value(r, field) == wanted
    if name == "neq":
        return lambda r: _value(r, field) != wanted
    if name == "in":
        return lambda r: _value(r, field) in (wanted if isinstance(wanted, list) else [wanted])
    raise FilterSyntaxError(text, at, "and/or/not, or exists/has/eq/neq/in(field, value)")
