"""A report and its evidence built in memory, for the rendering tests: every verdict, hostile
finding texts (HTML, Markdown, pipes), a path with a space, a glob location, a ruff rule URL."""

from __future__ import annotations

from typing import Any

from pytest_gates.outputs.documents import EvidenceDocument, ReportDocument

DIGEST = "sha256:" + "ab" * 32
HOSTILE = (
    "<b>bold</b> <img src=x onerror=alert(1)> <details open>d</details> a | b `code` *em*"
    " [click](https://evil.example)"
)


def _finding(rule: str, message: str, path: str | None = None, **extra: Any) -> dict[str, Any]:
    location: dict[str, Any] = {"path": path}
    location.update({k: v for k, v in extra.items() if k in {"line", "column"}})
    finding: dict[str, Any] = {"rule": rule, "message": message, "location": location}
    finding.update({k: v for k, v in extra.items() if k in {"severity", "fix_hint"}})
    return finding


def _item(gate: str, name: str, outcome: str, **extra: Any) -> dict[str, Any]:
    check = extra.pop("check", name)
    item: dict[str, Any] = {
        "nodeid": extra.pop("nodeid", f"manifests/gates.yaml::{gate}::{name}"),
        "gate": gate,
        "check": check,
        "kind": "command" if check else None,
        "outcome": outcome,
        "message": extra.pop("message", ""),
        "blocked_by": extra.pop("blocked_by", []),
        "attempts": extra.pop("attempts", []),
        "flaky": False,
        "findings": extra.pop("findings", []),
        "details": {},
        "output": "",
        "shard": None,
    }
    return item


def _attempt(outcome: str, summary: str) -> dict[str, Any]:
    return {"attempt": 1, "outcome": outcome, "summary": summary}


def _gates() -> list[tuple[str, str, bool, list[str], str, str, list[dict[str, Any]]]]:
    return [
        (
            "author.files",
            "structural",
            True,
            [],
            "PASS",
            "every check passed",
            [_item("author.files", "exist", "passed", attempts=[_attempt("passed", "3 files")])],
        ),
        (
            "qa.lint",
            "structural",
            True,
            ["author.files"],
            "FAIL",
            "ruff failed: 2 findings | see below",
            [
                _item(
                    "qa.lint",
                    "ruff",
                    "failed",
                    message="2 findings",
                    attempts=[_attempt("failed", "exit 1 | 2 findings <b>x</b>")],
                    findings=[
                        _finding(
                            "F401",
                            "`os` imported but unused " + HOSTILE,
                            "src/my app/broken.py",
                            line=1,
                            column=12,
                            fix_hint="see https://docs.astral.sh/ruff/rules/unused-import",
                        ),
                        _finding("files.missing", "no file matches 'src/**/*.py'", "src/**/*.py"),
                    ],
                )
            ],
        ),
        (
            "qa.size",
            "structural",
            False,
            [],
            "DEGRADED",
            "failed, allowed to pass",
            [
                _item(
                    "qa.size",
                    "max-lines",
                    "degraded",
                    attempts=[_attempt("failed", "1 file too long")],
                    findings=[_finding("size.lines", "too long: 900 lines", "src/big.py", line=1)],
                )
            ],
        ),
        (
            "qa.tests",
            "semantic",
            True,
            [],
            "ERROR",
            "Timeout (>120.0s) from pytest-timeout",
            [
                _item(
                    "qa.tests",
                    "coverage",
                    "error",
                    message="Timeout (>120.0s) from pytest-timeout",
                    attempts=[_attempt("error", "timeout")],
                )
            ],
        ),
        (
            "qa.review",
            "semantic",
            True,
            [],
            "FAIL",
            "1 test failed",
            [
                _item(
                    "qa.review",
                    "test_reviewed",
                    "failed",
                    check=None,
                    nodeid="gate_suites/review/test_review.py::test_reviewed",
                    message="AssertionError: assert 1 == 2",
                )
            ],
        ),
        (
            "release.ok",
            "freshness",
            True,
            ["qa.lint", "qa.tests"],
            "BLOCKED",
            "blocked by qa.lint, qa.tests",
            [
                _item(
                    "release.ok",
                    "fresh",
                    "blocked",
                    blocked_by=["qa.lint", "qa.tests"],
                )
            ],
        ),
    ]


def _counts(items: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"error": 0, "warning": 0, "note": 0}
    for item in items:
        for finding in item["findings"]:
            counts[finding.get("severity", "error")] += 1
    return counts


def sample(
    *,
    decision: str = "NO_GO",
    selection: dict[str, Any] | None = None,
    run: dict[str, Any] | None = None,
) -> tuple[ReportDocument, dict[str, EvidenceDocument]]:
    """A NO_GO report over six gates (one of each verdict that matters) and its evidence."""
    manifest = {"path": "manifests/gates.yaml", "digest": DIGEST}
    subject = {"commit": "0123456789abcdef", "dirty": False}
    gates, evidence = [], {}
    for gate_id, class_, blocking, needs, verdict, reason, items in _gates():
        summary = {
            "id": gate_id,
            "class": class_,
            "blocking": blocking,
            "needs": needs,
            "strategy": "block",
            "timeout": 120.0,
            "checks": [i["check"] for i in items if i["check"]],
            "suites": [],
        }
        blocked_by = items[0]["blocked_by"] if verdict == "BLOCKED" else []
        outcomes: dict[str, int] = {}
        for item in items:
            outcomes[item["outcome"]] = outcomes.get(item["outcome"], 0) + 1
        body = {
            "gate": summary,
            "verdict": verdict,
            "reason": reason,
            "blocked_by": blocked_by,
            "flaky": False,
            "complete": True,
            "manifest": manifest,
            "subject": subject,
            "items": items,
            "findings": _counts(items),
            "rollback": None,
        }
        evidence[gate_id] = EvidenceDocument.model_validate(
            {
                "schema": "pytest-gates/evidence/v1",
                "body": body,
                "timing": {"items": {}, "total": 0.0},
            }
        )
        gates.append(
            {
                **summary,
                "verdict": verdict,
                "reason": reason,
                "blocked_by": blocked_by,
                "flaky": False,
                "complete": True,
                "items": outcomes,
                "findings": _counts(items),
                "evidence": {"path": f"evidence/{gate_id}.json", "body_sha256": DIGEST},
            }
        )
    report = ReportDocument.model_validate(
        {
            "schema": "pytest-gates/report/v1",
            "body": {
                "generator": "pytest-gates 0.1.0",
                "project": "demo <b>project</b>",
                "decision": decision,
                "reason": "blocking gates failed: qa.lint | qa.review <img src=x>",
                "manifest": manifest,
                "subject": subject,
                "selection": selection
                or {
                    "markexpr": None,
                    "keyword": None,
                    "args": None,
                    "stopped": None,
                    "shard": None,
                },
                "gates": gates,
                "totals": {},
                "closure": {},
            },
            "run": run or {},
        }
    )
    return report, evidence
