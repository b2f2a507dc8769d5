"""``tracehound gate``, ``tracehound compare`` and ``tracehound replay``: evaluation from the command line.

They talk to a server with ``--endpoint`` (or ``TRACEHOUND_ENDPOINT``), else to the embedded store
in ``--data-dir``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from tracehound.cli.output import echo_json
from tracehound.cli.root import data_dir_option, main

endpoint_option = click.option("--endpoint", envvar="TRACEHOUND_ENDPOINT", default=None,
                               help="Server URL [TRACEHOUND_ENDPOINT]; without it the local store is used.")


def _client(endpoint: str | None) -> Any:
    if not endpoint:
        return None
    from tracehound.sdk.client import Client

    return Client(endpoint)


def _data_dir(data_dir: str | None, endpoint: str | None) -> str | None:
    if endpoint:
        return None
    from tracehound.cli.root import load_settings

    return load_settings(data_dir=data_dir).data_dir


def load_evaluators(specs: tuple[str, ...], target_spec: str) -> list[Any]:
    """``--evaluator`` values: built-in names or ``module:attr`` (an evaluator or a list); default: the
    target module's ``EVALUATORS``, else ``exact_match()``."""
    from tracehound.evals.calling import load_target
    from tracehound.evals.evaluators import BUILTINS, exact_match

    evaluators: list[Any] = []
    for spec in specs:
        if spec in BUILTINS:
            evaluators.append(BUILTINS[spec]())
            continue
        module, _, attribute = spec.partition(":")
        value = getattr(sys.modules[module], attribute) if module in sys.modules and attribute else None
        value = value if value is not None else load_target(spec) if ":" in spec else None
        if value is None:
            raise click.BadParameter(f"{spec!r}: not a built-in ({', '.join(BUILTINS)}) or module:attr")
        evaluators.extend(value if isinstance(value, list | tuple) else [value])
    if not evaluators:
        module = sys.modules.get(target_spec.partition(":")[0])
        evaluators = list(getattr(module, "EVALUATORS", None) or [exact_match()])
    return evaluators


def _thresholds(values: tuple[str, ...]) -> dict[str, float]:
    thresholds = {}
    for value in values:
        key, sep, number = value.partition("=")
        try:
            thresholds[key.strip()] = float(number)
        except ValueError:
            raise click.BadParameter(f"{value!r}: expected METRIC=NUMBER", param_hint="--min-score") from None
        if not sep or not key.strip():
            raise click.BadParameter(f"{value!r}: expected METRIC=NUMBER", param_hint="--min-score")
    return thresholds


@main.command()
@click.option("--dataset", required=True, help="Dataset name.")
@click.option("--target", "target_spec", required=True, help="The function under test, as module:function.")
@click.option("--split", default=None, help="Only this split (e.g. smoke).")
@click.option("--evaluator", "evaluator_specs", multiple=True,
              help="Built-in evaluator name or module:attr; repeatable [default: the target module's EVALUATORS,"
                   " else exact_match].")
@click.option("--baseline", default=None, help="Experiment to compare with.")
@click.option("--min-score", multiple=True, help="METRIC=NUMBER: lowest acceptable mean (pass_rate too).")
@click.option("--no-regressions", is_flag=True, help="Fail when an example that passed in the baseline fails.")
@click.option("--no-significant-drop", is_flag=True,
              help="Fail when a metric's bootstrap 95% interval is entirely below zero.")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False), default=None, help="Write JUnit XML here.")
@click.option("--markdown", "markdown_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the Markdown summary here (it is always printed).")
@click.option("--prefix", default="gate", show_default=True, help="Experiment name prefix.")
@click.option("--max-concurrency", type=int, default=4, show_default=True)
@endpoint_option
@data_dir_option
def gate(dataset: str, target_spec: str, split: str | None, evaluator_specs: tuple[str, ...], baseline: str | None,
         min_score: tuple[str, ...], no_regressions: bool, no_significant_drop: bool, junit_path: str | None,
         markdown_path: str | None, prefix: str, max_concurrency: int, endpoint: str | None,
         data_dir: str | None) -> None:
    """Evaluate TARGET on a dataset and exit non-zero when a threshold is missed or an example regressed."""
    from tracehound.errors import TracehoundError
    from tracehound.evals.calling import load_target
    from tracehound.evals.gate import run_gate
    from tracehound.evals.junit import junit_xml

    try:
        target = load_target(target_spec)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--target") from None
    evaluators = load_evaluators(evaluator_specs, target_spec)
    try:
        result = run_gate(target, dataset=dataset, evaluators=evaluators, split=split, baseline=baseline,
                          min_scores=_thresholds(min_score), no_regressions=no_regressions,
                          no_significant_drop=no_significant_drop, experiment_prefix=prefix,
                          max_concurrency=max_concurrency, client=_client(endpoint),
                          data_dir=_data_dir(data_dir, endpoint))
    except TracehoundError as exc:
        raise click.ClickException(str(exc)) from None
    text = result.markdown()
    click.echo(text)
    if markdown_path:
        Path(markdown_path).write_text(text)
    if junit_path:
        Path(junit_path).write_text(junit_xml(result.results, result.checks))
    click.echo(f"experiment: {result.results.name}")
    if not result.passed:
        sys.exit(1)


@main.command()
@click.argument("baseline")
@click.argument("candidate")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@endpoint_option
@data_dir_option
def compare(baseline: str, candidate: str, as_json: bool, endpoint: str | None, data_dir: str | None) -> None:
    """Compare experiment CANDIDATE with BASELINE: fixed/regressed examples, metric deltas with 95% CIs."""
    from tracehound.errors import TracehoundError
    from tracehound.evals.backend import open_backend
    from tracehound.evals.compare import compare_experiments

    backend = open_backend(_client(endpoint), _data_dir(data_dir, endpoint))
    try:
        a, a_results = backend.get_experiment(baseline)
        b, b_results = backend.get_experiment(candidate)
    except TracehoundError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        backend.close()
    comparison = compare_experiments(a, a_results, b, b_results)
    if as_json:
        echo_json(comparison.to_dict())
        return
    if not comparison.same_dataset_version:
        click.echo(f"note: dataset versions differ ({a.dataset_version} vs {b.dataset_version});"
                   " compared on the examples both ran")
    click.echo(f"{comparison.count('fixed')} fixed, {comparison.count('regressed')} regressed,"
               f" {comparison.count('unchanged')} unchanged")
    click.echo(f"{'metric':<20} {'baseline':>9} {'candidate':>9} {'delta':>8}  95% CI")
    for m in comparison.metrics:
        if m.delta is None:
            continue
        flag = "  drop" if m.significant_drop else "  gain" if m.significant_gain else ""
        click.echo(f"{m.key:<20} {m.baseline_mean:>9.3f} {m.candidate_mean:>9.3f} {m.delta:>+8.3f}"
                   f"  [{m.ci_low:+.3f}, {m.ci_high:+.3f}]{flag}")
    for outcome in comparison.examples:
        if outcome.status in ("fixed", "regressed"):
            click.echo(f"{outcome.status:<10} {outcome.example_id}")


@main.command()
@click.argument("run_id")
@click.option("--target", "target_spec", required=True, help="The function to re-run, as module:function.")
@click.option("--times", type=int, default=1, show_default=True, help="Replays (more than one shows the spread).")
@endpoint_option
@data_dir_option
def replay(run_id: str, target_spec: str, times: int, endpoint: str | None, data_dir: str | None) -> None:
    """Re-run TARGET with the stored inputs of RUN_ID and report whether the output matches the original."""
    import tracehound
    from tracehound.errors import TracehoundError
    from tracehound.evals.calling import load_target
    from tracehound.evals.replay import replay as run_replay

    try:
        target = load_target(target_spec)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--target") from None
    local_dir = _data_dir(data_dir, endpoint)
    tracehound.configure(endpoint=endpoint, data_dir=local_dir)
    try:
        report = run_replay(run_id, target, times=times, client=_client(endpoint), data_dir=local_dir)
    except TracehoundError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        tracehound.shutdown()
    click.echo(f"original {report.original.id}: {json.dumps(report.original.outputs, default=str)[:200]}")
    for run_id_, output, error, same in zip(report.run_ids, report.outputs, report.errors, report.matches,
                                            strict=True):
        shown = error.splitlines()[0] if error else json.dumps(output, default=str)[:200]
        click.echo(f"{'=' if same else '≠'} {run_id_}  {shown}")
    for outcome, count in report.distinct.most_common():
        click.echo(f"  {count}x {outcome[:200]}")
    click.echo(report.summary())
