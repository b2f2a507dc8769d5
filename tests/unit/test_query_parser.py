"""The filter parser: the grammar, errors with position and expectation, and fuzzing (hypothesis)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracehound.errors import FilterSyntaxError, QueryError
from tracehound.query.ast import And, Compare, MetadataMatch, Not, Or, Search
from tracehound.query.fields import check
from tracehound.query.parser import MAX_DEPTH, parse_filter
from tracehound.store.sqlite.filter_sql import compile_filter, fts_query


def test_langsmith_examples_parse() -> None:
    assert parse_filter('and(eq(run_type, "tool"), gt(latency, 5))') == And((
        Compare("eq", "run_type", "tool", 4), Compare("gt", "latency", 5, 26)))
    assert parse_filter('and(gte(start_time, "2026-04-15"), lte(start_time, "2026-05-01"))') == And((
        Compare("gte", "start_time", "2026-04-15", 4), Compare("lte", "start_time", "2026-05-01", 35)))


def test_values_lists_quotes_and_keywords() -> None:
    node = parse_filter("""or(in(tags, ['a', "b\\"c"]), eq(error, TRUE), eq(model, null), lt(x, -1.5e3),
                           not(search('it\\'s')), search(error, "\\u00e9"))""")
    assert isinstance(node, Or)
    assert node.children[0] == Compare("in", "tags", ("a", 'b"c'), 3)
    assert node.children[1].value is True and node.children[2].value is None  # type: ignore[union-attr]
    assert node.children[3].value == -1500.0  # type: ignore[union-attr]
    assert node.children[4] == Not(Search("it's", None, 108))
    assert node.children[5].text == "é" and node.children[5].field == "error"  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "position", "expected"), [
    ("", 0, "a comparator"),
    ("eq(run_type", 11, "','"),
    ('eq(run_type, "tool"', 19, "')'"),
    ('eq(run_type, "tool"))', 20, "end of input"),
    ('frob(run_type, "tool")', 0, "a comparator"),
    ("eq(run_type, tool)", 13, "a value"),
    ('and(eq(a, 1) eq(b, 2))', 13, "',' or ')'"),
    ('eq(name, "unterminated)', 23, "a closing \""),
    ('eq(name, "bad \\q escape")', 14, "a valid escape"),
    ("not(eq(a, 1), eq(b, 2))", 12, "not takes one condition"),
    ('eq(1, "x")', 3, "a field name"),
    ("in(tags, [1, 2)", 14, "',' or ']'"),
])
def test_syntax_errors_say_where_and_what(text: str, position: int, expected: str) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter(text)
    assert info.value.position == position
    assert expected in info.value.expected
    assert f"at position {position}" in str(info.value)


def test_nesting_and_length_are_bounded() -> None:
    with pytest.raises(QueryError, match="nest at most"):
        parse_filter("not(" * (MAX_DEPTH + 1) + "eq(a, 1)" + ")" * (MAX_DEPTH + 1))
    with pytest.raises(QueryError, match="limited to"):
        parse_filter('eq(name, "' + "x" * 30_000 + '")')


def test_metadata_pairs_fold_into_one_entry() -> None:
    node = check(parse_filter('and(eq(metadata_key, "k"), eq(metadata_value, "v"), eq(name, "n"))'), now_us=0)
    assert isinstance(node, And)
    assert node.children[0] == Compare("eq", "name", "n", 52)
    assert node.children[1] == MetadataMatch(Compare("eq", "metadata_key", "k", 4),
                                             Compare("eq", "metadata_value", "v", 27), 4)
    lone = check(parse_filter('eq(metadata_value, "v")'), now_us=0)
    assert lone == MetadataMatch(None, Compare("eq", "metadata_value", "v", 0), 0)


def test_times_and_latency_are_checked_into_microseconds() -> None:
    node = check(parse_filter('and(gte(start_time, "-15m"), gt(latency, 2.5))'), now_us=1_000_000_000)
    assert node == And((Compare("gte", "start_time", 1_000_000_000 - 900_000_000, 4),
                        Compare("gt", "latency", 2_500_000, 29)))


def test_search_text_cannot_inject_fts_syntax() -> None:
    assert fts_query('refund OR "x" NEAR(a b) *') == '"refund" "OR" "x" "NEAR" "a" "b"'
    assert fts_query("", "error") == '"\x00"'
    assert fts_query("timeout", "error") == '{error} : ("timeout")'


# Fuzzing -----------------------------------------------------------------------------------------

_FIELDS = st.sampled_from(["name", "run_type", "latency", "start_time", "tags", "metadata_value", "user_id",
                           "nope", "error", "id"])
_SCALARS = st.one_of(st.text(max_size=20), st.integers(-10**6, 10**6), st.floats(allow_nan=False,
                                                                                 allow_infinity=False),
                     st.booleans(), st.none())


def _literal(value: object) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


_COMPARE = st.builds(lambda op, field, value: f"{op}({field}, {_literal(value)})",
                     st.sampled_from(["eq", "neq", "gt", "gte", "lt", "lte", "has", "like"]), _FIELDS, _SCALARS)
_SEARCH = st.builds(lambda text: f"search({_literal(text)})", st.text(max_size=30))
_FILTERS = st.recursive(
    st.one_of(_COMPARE, _SEARCH),
    lambda inner: st.one_of(
        st.builds(lambda items: f"and({', '.join(items)})", st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda items: f"or({', '.join(items)})", st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda item: f"not({item})", inner),
    ),
    max_leaves=8,
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=80))
def test_no_text_crashes_the_parser(text: str) -> None:
    with contextlib.suppress(QueryError):
        parse_filter(text)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_FILTERS, st.integers(0, 60))
def test_mutated_filters_fail_cleanly(text: str, cut: int) -> None:
    for variant in (text[:cut], text[cut:], text[:cut] + ")" + text[cut:], text.replace(",", "", 1)):
        with contextlib.suppress(QueryError):
            check(parse_filter(variant), now_us=0)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_FILTERS)
def test_values_only_ever_reach_sql_as_parameters(text: str) -> None:
    try:
        node = check(parse_filter(text), now_us=0)
    except QueryError:
        return
    params: list[object] = []
    sql = compile_filter(node, "s", params)
    # Every literal the filter carried is bound; the SQL is built from our own fixed vocabulary only.
    assert sql.count("?") == len(params)
    assert "'" not in sql.replace("'error'", "")
    assert '"' not in sql
