"""Write docs/clinical-reference.md from the data and rules the product runs on.

    python tools/clinical_reference.py           # rewrite docs/clinical-reference.md
    python tools/clinical_reference.py --check   # exit 1 when the file is out of date

A clinician reviewing backpain reads that file, not the code: the questionnaires as shipped
(every question, its choices and when it is asked), the named conditions, the warning signs
and triage, every recommendation in plan order with its rule, words and evidence, and the
exercise library. tests/test_docs.py fails when the file is out of date, so a change to a
rule or a text shows up in review as a change to the reference too.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import sys
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "clinical-reference.md"
GUARDRAIL_TESTS = ("tests/test_guardrails.py",)

sys.path.insert(0, str(ROOT))

from backpain_cli.clinical import conditions, exercises, recommender, triage  # noqa: E402
from backpain_cli.clinical.questionnaire import (  # noqa: E402
    Module,
    Question,
    When,
    load_registry,
)


def _cell(text: object) -> str:
    """One Markdown table cell: no line breaks, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _when(when: When | None) -> str:
    if when is None:
        return "always"
    parts = [f"`{c.question}` {c.operator} {_value(c.value)}" for c in when.conditions]
    return (" and " if when.mode == "all" else " or ").join(parts)


def _value(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"`{value}`"


def _answer(q: Question) -> str:
    if q.type == "yesno":
        return "yes / no"
    if q.type == "int":
        return f"number {q.min if q.min is not None else ''}–{q.max if q.max is not None else ''}"
    kind = "one of" if q.type == "choice" else "any of"
    return f"{kind}: " + "; ".join(f"`{c.value}` {c.label}" for c in q.choices)


def _module(m: Module) -> list[str]:
    out = [f"### {m.title} (`{m.id}`, version {m.version}"
           + (", optional instrument" if m.optional else "") + ")", ""]
    if m.description:
        out += [_cell(m.description), ""]
    out += ["| id | question | answer | asked when | help |", "|---|---|---|---|---|"]
    for q in m.questions:
        out.append(f"| `{q.id}` | {_cell(q.text)} | {_cell(_answer(q))} | "
                   f"{_cell(_when(q.when))} | {_cell(q.help or '')} |")
    return [*out, ""]


def _source(fn: Callable[..., Any]) -> str:
    """A rule's test as written: a docstring when it has one, else its code in one line."""
    doc = inspect.getdoc(fn)
    if doc and fn.__name__ != "<lambda>":
        return _cell(doc)
    try:
        code = textwrap.dedent(inspect.getsource(fn)).strip()
    except (OSError, TypeError):
        return f"`{getattr(fn, '__qualname__', fn)!s}`"
    if fn.__name__ == "<lambda>":
        code = _lambda_body(code)
    else:
        body = [ln for ln in code.splitlines()[1:]
                if ln.strip() and not ln.strip().startswith("#")]
        code = " ".join(ln.strip() for ln in body)
        code = code.removeprefix("return ")
    return f"`{_cell(code)}`"


def _lambda_body(code: str) -> str:
    """The body of the lambda in a table row's source (`Rule("id", lambda f: ...),`)."""
    start = code.index("lambda")
    body = code[code.index(":", start) + 1:]
    depth = 0
    for i, ch in enumerate(body):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth < 0 or (depth == 0 and ch == ","):
            return body[:i].strip()
    return body.strip()


def _test_name(test: Callable[..., Any]) -> str:
    closure = getattr(test, "__closure__", None) or ()
    values = [c.cell_contents for c in closure]
    if test.__qualname__.startswith("_triage_is") and values:
        return f"triage is `{values[0]}`"
    return _source(test)


def _recommendations() -> list[str]:
    out = ["## Recommendations in plan order", "",
           "Each rule's test decides whether the recommendation is in the plan; its words and",
           "evidence note are data (`backpain_cli/clinical/advice.toml`). Named sentences",
           "are picked by the rule's wording function when several exist.", ""]
    strategy = None
    for rule in recommender.RULES:
        if rule.strategy != strategy:
            strategy = rule.strategy
            out += [f"### {strategy}", ""]
        advice = rule.advice
        out += [f"#### `{rule.id}`: {advice.title}", "", f"- **When:** {_test_name(rule.test)}"]
        for key in sorted(advice.texts.maps[0]) if hasattr(advice.texts, "maps") else sorted(
                advice.texts):
            out.append(f"- **{key}:** {_cell(advice.texts[key])}")
        # On the client's handout, when the practitioner dropped the exercise (issue 20).
        for row in recommender.withouts():
            if row.rule == rule.id:
                out.append(f"- **Without `{row.exercise}` (dropped):** "
                           f"{_cell(row.says)} → {_cell(row.instead)}")
        out += [f"- **Evidence:** {_cell(advice.evidence)}", ""]
    return out


def _named_conditions() -> list[str]:
    out = ["## Named conditions", "",
           "Conditions the rules and the exercise library refer to by name.", "",
           "| name | holds when |", "|---|---|"]
    for name, fn in conditions.NAMED_CONDITIONS.items():
        out.append(f"| `{name}` | {_source(fn)} |")
    return [*out, ""]


def _triage() -> list[str]:
    out = ["## Warning signs and triage", ""]
    doc = inspect.getdoc(triage)
    if doc:
        out += [doc, ""]
    out += ["| flag (question id) | kind | tier alone |", "|---|---|---|"]
    out += [f"| `{qid}` | {kind} | {tier} |" for qid, kind, tier in triage.RED_FLAG_TABLE]
    out.append("")
    out += ["Tier rules: when every group of flags named holds (and the condition, if any),",
            "the flags raised take the rule's tier.", "",
            "| rule | needs one of each group | raises | to | only when |",
            "|---|---|---|---|---|"]
    for rule in triage.TIER_RULES:
        needs = " and ".join("(" + " or ".join(f"`{q}`" for q in group) + ")"
                             for group in rule.needs)
        raises = ", ".join(f"`{q}`" for q in rule.raises)
        when = "" if rule.condition is None else f"`{rule.condition.__name__}`"
        out.append(f"| {rule.id} | {needs} | {raises} | {rule.tier} | {when} |")
    return [*out, ""]


def _exercises() -> list[str]:
    lib = exercises.library()
    out = ["## Exercise library", "",
           "From `backpain_cli/clinical/exercises.toml`; pictures in `docs/pictures.html`.", ""]
    for ex in lib.exercises:
        out += [f"### `{ex.id}`: {ex.name}", ""]
        out += [f"{n}. {_cell(step)}" for n, step in enumerate(ex.steps, 1)]
        out += ["", f"- **Dose:** {_cell(ex.dose)}", f"- **Easier:** {_cell(ex.easier)}",
                f"- **Harder:** {_cell(ex.progress)}"]
        if ex.requires:
            out.append("- **Only when:** " + ", ".join(f"`{r}`" for r in ex.requires))
        if ex.excluded:
            out.append("- **Never when:** " + ", ".join(f"`{r}`" for r in ex.excluded))
        out += [f"- **When `{ch.when}`:** {_cell(ch.text)}" for ch in ex.changed]
        out += [""]
    return out


def _guardrails(paths: Iterable[str]) -> list[str]:
    out = ["## Guardrails checked as properties", "",
           "Each holds for every set of answers hypothesis generates (see the tests named).",
           ""]
    for rel in paths:
        path = ROOT / rel
        if not path.is_file():
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                doc = ast.get_docstring(node)
                words = node.name.removeprefix("test_").replace("_", " ")
                out.append(f"- {_cell(doc.splitlines()[0]) if doc else words} "
                           f"(`{rel}::{node.name}`)")
    return [*out, ""]


def render() -> str:
    registry = load_registry(None)
    lines = [
        "# Clinical reference",
        "",
        "<!-- Generated by tools/clinical_reference.py from the data the product runs on;",
        "     do not edit by hand (tests/test_docs.py checks it is up to date). -->",
        "",
        "What backpain asks, how it weighs warning signs, what it recommends and why, and",
        "which exercises it may give. Every id here is part of the contract that answers",
        "files, session files and exports use.",
        "",
        "## Questionnaires (interview order)",
        "",
    ]
    for module in registry.modules:
        lines += _module(module)
    lines += _named_conditions()
    lines += _triage()
    lines += _recommendations()
    lines += _exercises()
    lines += _guardrails(GUARDRAIL_TESTS)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(ROOT)} is out of date: "
                  "run python tools/clinical_reference.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
