"""JUnit XML for CI: one test case per example run, plus one per gate check."""

from __future__ import annotations

from collections.abc import Sequence
from xml.etree import ElementTree as ET

from tracehound.evals.runner import ExperimentResults


def junit_xml(results: ExperimentResults, checks: Sequence[tuple[str, str | None]] = ()) -> str:
    """The experiment as a ``<testsuite>``; ``checks`` are ``(name, failure message or None)``."""
    suite = ET.Element("testsuite", name=results.name)
    failures = errors = 0
    for row in results:
        case = ET.SubElement(suite, "testcase", classname=results.name,
                             name=f"{row.example.id}#{row.result.repetition}",
                             time=f"{row.run.latency_s or 0:.3f}")
        if row.result.error:
            errors += 1
            ET.SubElement(case, "error", message=row.result.error.splitlines()[0][:200]).text = row.result.error
        elif not row.result.passed:
            failures += 1
            reasons = [f"{e.key}={e.score}: {e.comment or ''}".strip() for e in row.evaluations if not e.ok]
            reasons += [f"{name} raised {text}" for name, text in row.result.errors.items()]
            ET.SubElement(case, "failure", message="; ".join(reasons)[:500]).text = "\n".join(reasons)
    for name, failure in checks:
        case = ET.SubElement(suite, "testcase", classname=f"{results.name}.gate", name=name, time="0")
        if failure is not None:
            failures += 1
            ET.SubElement(case, "failure", message=failure)
    suite.set("tests", str(len(results) + len(checks)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)
