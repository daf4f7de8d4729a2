"""The question model: the loader's validation, cross-module checks, `when` evaluation and
the registry (shipped modules, the practitioner's own folder, instruments)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from backpain_cli.clinical import questionnaire
from backpain_cli.clinical.questionnaire import (
    UNKNOWN,
    Answers,
    Condition,
    Module,
    Tristate,
    When,
    check,
    evaluate,
    load_module_file,
    load_registry,
    parse_module,
    shipped_paths,
    validate_modules,
)
from backpain_cli.errors import Problem, QuestionnaireError, UsageError

SOURCE = "m.toml"
HEAD = 'id = "m"\nversion = "1"\ntitle = "M"\n'
YESNO = '[[questions]]\nid = "q"\ntype = "yesno"\ntext = "Q?"\n'


def problems_of(text: str | bytes) -> list[Problem]:
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(QuestionnaireError) as info:
        parse_module(data, SOURCE, shipped=False)
    return list(info.value.problems)


def q(body: str, qid: str = "q") -> str:
    """One question table with the given lines after its id."""
    return f'[[questions]]\nid = "{qid}"\n{body}\n'


CHOICES_AB = 'choices = [{ value = "a", label = "A" }, { value = "b", label = "B" }]'

# (case, file text, expected problems as (where, reason)). Each file has exactly the
# listed problems, so a validator that stops at the first one, or reports extra noise,
# fails here.
BROKEN_FILES: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("unknown module key", HEAD + "colour = 1\n" + YESNO,
     [(SOURCE, "unknown key 'colour' in module")]),
    ("module id missing", 'version = "1"\ntitle = "M"\n' + YESNO,
     [(SOURCE, "module id missing or not a simple name")]),
    ("module id with a dash", 'id = "my-mod"\nversion = "1"\ntitle = "M"\n' + YESNO,
     [(SOURCE, "module id missing or not a simple name")]),
    ("version missing", 'id = "m"\ntitle = "M"\n' + YESNO,
     [(SOURCE, "module version missing")]),
    ("title missing", 'id = "m"\nversion = "1"\n' + YESNO,
     [(SOURCE, "module title missing")]),
    ("order not a whole number", HEAD + "order = 1.5\n" + YESNO,
     [(SOURCE, "order must be a whole number")]),
    ("optional not a boolean", HEAD + 'optional = "yes"\n' + YESNO,
     [(SOURCE, "optional must be true or false")]),
    ("description not text", HEAD + "description = 3\n" + YESNO,
     [(SOURCE, "description must be a string")]),
    ("no questions", HEAD, [(SOURCE, "no [[questions]]")]),
    ("question not a table", HEAD + "questions = [1]\n",
     [(f"{SOURCE}: question 1", "is not a table")]),
    ("question id missing", HEAD + '[[questions]]\ntype = "yesno"\ntext = "Q?"\n',
     [(f"{SOURCE}: question 1", "id missing or not a simple name (letters, digits, _)")]),
    ("question id not a name", HEAD + q('type = "yesno"\ntext = "Q?"', qid="pain-now"),
     [(f"{SOURCE}: question 1", "id missing or not a simple name (letters, digits, _)")]),
    ("unknown question key", HEAD + q('type = "yesno"\ntext = "Q?"\nhint = "x"'),
     [(f"{SOURCE}: q", "unknown key 'hint' in question")]),
    ("unknown type", HEAD + q('type = "float"\ntext = "Q?"'),
     [(f"{SOURCE}: q", "type 'float' is not one of yesno, choice, multi, int")]),
    ("type missing", HEAD + q('text = "Q?"'),
     [(f"{SOURCE}: q", "type None is not one of yesno, choice, multi, int")]),
    ("text missing", HEAD + q('type = "yesno"'), [(f"{SOURCE}: q", "text missing")]),
    ("text blank", HEAD + q('type = "yesno"\ntext = "   "'), [(f"{SOURCE}: q", "text missing")]),
    ("help not text", HEAD + q('type = "yesno"\ntext = "Q?"\nhelp = 1'),
     [(f"{SOURCE}: q", "help must be a string")]),
    ("required not a boolean", HEAD + q('type = "yesno"\ntext = "Q?"\nrequired = 1'),
     [(f"{SOURCE}: q", "required must be true or false")]),
    ("choices missing", HEAD + q('type = "choice"\ntext = "Q?"'),
     [(f"{SOURCE}: q", "choices missing (a non-empty list is required)")]),
    ("choices empty", HEAD + q('type = "multi"\ntext = "Q?"\nchoices = []'),
     [(f"{SOURCE}: q", "choices missing (a non-empty list is required)")]),
    ("choice not a table", HEAD + q('type = "choice"\ntext = "Q?"\nchoices = ["a"]'),
     [(f"{SOURCE}: q", "choice 1 is not a table with value and label")]),
    ("choice without value",
     HEAD + q('type = "choice"\ntext = "Q?"\nchoices = [{ label = "A" }]'),
     [(f"{SOURCE}: q", "choice 1 has no string value")]),
    ("choice without label",
     HEAD + q('type = "choice"\ntext = "Q?"\nchoices = [{ value = "a" }]'),
     [(f"{SOURCE}: q", "choice 'a' has no label")]),
    ("choice twice",
     HEAD + q('type = "choice"\ntext = "Q?"\n'
              'choices = [{ value = "a", label = "A" }, { value = "a", label = "B" }]'),
     [(f"{SOURCE}: q", "choice 'a' appears twice")]),
    ("unknown choice key",
     HEAD + q('type = "choice"\ntext = "Q?"\n'
              'choices = [{ value = "a", label = "A", score = 1 }]'),
     [(f"{SOURCE}: q", "unknown key 'score' in choice 1")]),
    ("choices on a yes/no question", HEAD + q(f'type = "yesno"\ntext = "Q?"\n{CHOICES_AB}'),
     [(f"{SOURCE}: q", "choices make no sense for a yesno question")]),
    ("int without min and max", HEAD + q('type = "int"\ntext = "Q?"'),
     [(f"{SOURCE}: q", "min missing (int questions need min and max)"),
      (f"{SOURCE}: q", "max missing (int questions need min and max)")]),
    ("int with a decimal bound", HEAD + q('type = "int"\ntext = "Q?"\nmin = 0\nmax = 9.5'),
     [(f"{SOURCE}: q", "max must be a whole number")]),
    ("int with a boolean bound", HEAD + q('type = "int"\ntext = "Q?"\nmin = false\nmax = 9'),
     [(f"{SOURCE}: q", "min must be a whole number")]),
    ("int with min above max", HEAD + q('type = "int"\ntext = "Q?"\nmin = 5\nmax = 1'),
     [(f"{SOURCE}: q", "min 5 is greater than max 1")]),
    ("min on a choice question",
     HEAD + q(f'type = "choice"\ntext = "Q?"\n{CHOICES_AB}\nmin = 1'),
     [(f"{SOURCE}: q", "min/max make no sense for a choice question")]),
    ("exclusive on a choice question",
     HEAD + q(f'type = "choice"\ntext = "Q?"\n{CHOICES_AB}\nexclusive = ["a"]'),
     [(f"{SOURCE}: q", "exclusive is only for multi questions")]),
    ("exclusive not a list",
     HEAD + q(f'type = "multi"\ntext = "Q?"\n{CHOICES_AB}\nexclusive = "a"'),
     [(f"{SOURCE}: q", "exclusive must be a list of choice values")]),
    ("exclusive value not a choice",
     HEAD + q(f'type = "multi"\ntext = "Q?"\n{CHOICES_AB}\nexclusive = ["none"]'),
     [(f"{SOURCE}: q", "exclusive value 'none' is not a choice")]),
    ("default of the wrong type", HEAD + q('type = "yesno"\ntext = "Q?"\ndefault = 1'),
     [(f"{SOURCE}: q", "default does not fit the question: expected yes or no (true/false)")]),
    ("default out of range",
     HEAD + q('type = "int"\ntext = "Q?"\nmin = 0\nmax = 10\ndefault = 11'),
     [(f"{SOURCE}: q", "default does not fit the question: 11 is above the maximum 10")]),
    ("default not a choice", HEAD + q(f'type = "choice"\ntext = "Q?"\n{CHOICES_AB}\ndefault = "c"'),
     [(f"{SOURCE}: q", "default does not fit the question: 'c' is not one of: a, b")]),
    ("multi default breaking exclusive",
     HEAD + q('type = "multi"\ntext = "Q?"\n'
              'choices = [{ value = "a", label = "A" }, { value = "none", label = "None" }]\n'
              'exclusive = ["none"]\ndefault = ["a", "none"]'),
     [(f"{SOURCE}: q",
       "default does not fit the question: 'none' cannot be combined with other choices")]),
    ("when not a table", HEAD + q('type = "yesno"\ntext = "Q?"\nwhen = "x"'),
     [(f"{SOURCE}: q", "when must be a table with exactly one of 'all' or 'any'")]),
    ("when with both all and any",
     HEAD + q('type = "yesno"\ntext = "Q?"\nwhen = { all = [], any = [] }'),
     [(f"{SOURCE}: q", "when must be a table with exactly one of 'all' or 'any'")]),
    ("when with an empty list", HEAD + q('type = "yesno"\ntext = "Q?"\nwhen = { any = [] }'),
     [(f"{SOURCE}: q", "when.any must be a non-empty list of conditions")]),
    ("condition not a table", HEAD + q('type = "yesno"\ntext = "Q?"\nwhen = { all = [1] }'),
     [(f"{SOURCE}: q", "condition 1 is not a table")]),
    ("condition incomplete",
     HEAD + q('type = "yesno"\ntext = "Q?"\nwhen = { all = [{ question = "a" }] }'),
     [(f"{SOURCE}: q", "condition 1 lacks operator, value")]),
    ("condition question not text",
     HEAD + q('type = "yesno"\ntext = "Q?"\n'
              'when = { all = [{ question = 1, operator = "=", value = true }] }'),
     [(f"{SOURCE}: q", "condition 1: question must be a string")]),
    ("unknown operator",
     HEAD + q('type = "yesno"\ntext = "Q?"\n'
              'when = { all = [{ question = "a", operator = "~", value = true }] }'),
     [(f"{SOURCE}: q", "condition 1: operator '~' is not one of = != > < >= <= in")]),
    ("unknown condition key",
     HEAD + q('type = "yesno"\ntext = "Q?"\n'
              'when = { all = [{ question = "a", operator = "=", value = true, not = 1 }] }'),
     [(f"{SOURCE}: q", "unknown key 'not' in condition 1")]),
    ("negate not a boolean",
     HEAD + q('type = "yesno"\ntext = "Q?"\n'
              'when = { all = [{ question = "a", operator = "=", value = true, negate = 1 }] }'),
     [(f"{SOURCE}: q", "condition 1: negate must be true or false")]),
    ("if_missing unknown",
     HEAD + q('type = "yesno"\ntext = "Q?"\n'
              'when = { all = [{ question = "a", operator = "=", value = true, '
              'if_missing = "no" }] }'),
     [(f"{SOURCE}: q", 'condition 1: if_missing must be "absent" or "unknown"')]),
    ("parts on a choice question",
     HEAD + q(f'type = "choice"\ntext = "Q?"\n{CHOICES_AB}\nyes_if_any = ["a", "b"]'),
     [(f"{SOURCE}: q", "yes_if_any is only for yes/no questions")]),
    ("one part", HEAD + q('type = "yesno"\ntext = "Q?"\nyes_if_any = ["a"]'),
     [(f"{SOURCE}: q", "yes_if_any must be a list of two or more texts")]),
    ("an empty part", HEAD + q('type = "yesno"\ntext = "Q?"\nyes_if_any = ["a", " "]'),
     [(f"{SOURCE}: q", "yes_if_any must be a list of two or more texts")]),
    ("both with three parts",
     HEAD + q('type = "yesno"\ntext = "Q?"\nyes_if_both = ["a", "b", "c"]'),
     [(f"{SOURCE}: q", "yes_if_both must list exactly two texts")]),
    ("any and both", HEAD + q('type = "yesno"\ntext = "Q?"\nyes_if_both = ["a", "b"]\n'
                              'yes_if_any = ["a", "b"]'),
     [(f"{SOURCE}: q", "give yes_if_any or yes_if_both, not both")]),
    ("followup not a boolean", HEAD + 'followup = 1\n' + YESNO,
     [(SOURCE, "followup must be true or false")]),
    ("optional and followup", HEAD + 'optional = true\nfollowup = true\n' + YESNO,
     [(SOURCE, "a module cannot be both optional and followup")]),
    ("question id twice", HEAD + YESNO + YESNO,
     [(f"{SOURCE}: q", "duplicate question id in this module")]),
    ("problems in two questions",
     HEAD + q('type = "yesno"', qid="a") + q('type = "int"\ntext = "B?"\nmin = 3\nmax = 2',
                                              qid="b"),
     [(f"{SOURCE}: a", "text missing"), (f"{SOURCE}: b", "min 3 is greater than max 2")]),
]


@pytest.mark.parametrize(("text", "expected"), [(t, e) for _, t, e in BROKEN_FILES],
                         ids=[c for c, _, _ in BROKEN_FILES])
def test_broken_module_files_report_every_problem(text: str,
                                                  expected: list[tuple[str, str]]) -> None:
    assert problems_of(text) == [Problem(w, r) for w, r in expected]


def test_a_file_that_is_not_utf8_names_the_line() -> None:
    assert problems_of(HEAD.encode() + b'# caf\xe9\n') == [
        Problem(SOURCE, "line 4: not UTF-8 text")]


def test_a_file_that_is_not_toml_names_the_line() -> None:
    [problem] = problems_of(HEAD + "[[questions]\n")
    assert problem.where == SOURCE
    assert problem.reason.startswith("not valid TOML: ")
    assert problem.reason.endswith("(at line 4, column 12)")


def test_an_unreadable_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(QuestionnaireError) as info:
        load_module_file(missing)
    assert info.value.problems == (
        Problem(str(missing), "cannot read: No such file or directory"),)


def test_a_valid_module_is_parsed_with_its_details() -> None:
    text = (HEAD + 'order = 5\noptional = true\ndescription = "D"\n'
            + q('type = "int"\ntext = " How many? "\nhelp = " h "\nmin = 0\nmax = 3\n'
                'default = 2\nrequired = false', qid="n")
            + q('type = "multi"\ntext = "Which?"\n'
                'choices = [{ value = "a", label = "A" }, { value = "none", label = "None" }]\n'
                'exclusive = ["none"]\ndefault = ["a"]\n'
                'when = { any = [{ question = "n", operator = ">=", value = 1 }] }', qid="w"))
    module = parse_module(text.encode(), SOURCE, shipped=False)
    assert (module.id, module.version, module.title, module.order, module.optional,
            module.description, module.shipped) == ("m", "1", "M", 5, True, "D", False)
    n, w = module.questions
    assert (n.text, n.help, n.min, n.max, n.default, n.required) == ("How many?", "h", 0, 3, 2,
                                                                     False)
    assert w.default == ("a",)
    assert w.exclusive == ("none",)
    assert w.when == When("any", (Condition("n", ">=", 1),))


def test_the_content_hash_changes_with_the_text() -> None:
    one = parse_module((HEAD + YESNO).encode(), SOURCE, shipped=False)
    two = parse_module((HEAD + YESNO + "# edited\n").encode(), SOURCE, shipped=False)
    assert one.sha256 != two.sha256
    assert len(one.sha256) == 64


@pytest.mark.parametrize("data", [b"", (HEAD + YESNO).encode(), bytes(range(256)) * 300])
def test_the_content_hash_is_the_sha256_of_the_file(data: bytes) -> None:
    # Session files record it; another machine's hashlib must find the same module.
    assert questionnaire._sha256(data) == hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- across modules


def module(text: str, source: str) -> Module:
    return parse_module((text).encode(), source, shipped=False)


BASE_MODULE = (
    'id = "base"\nversion = "1"\ntitle = "Base"\norder = 1\n'
    + q('type = "yesno"\ntext = "Yes?"', qid="yn")
    + q('type = "int"\ntext = "N?"\nmin = 0\nmax = 9', qid="num")
    + q(f'type = "choice"\ntext = "C?"\n{CHOICES_AB}', qid="ch")
    + q(f'type = "multi"\ntext = "M?"\n{CHOICES_AB}', qid="mu")
)


def dependent(condition: str, qid: str = "dep", order: int = 2) -> str:
    return (f'id = "dep"\nversion = "1"\ntitle = "Dep"\norder = {order}\n'
            + q(f'type = "yesno"\ntext = "D?"\nwhen = {{ all = [{condition}] }}', qid=qid))


CROSS_MODULE: list[tuple[str, str, str]] = [
    ("unknown question", '{ question = "nope", operator = "=", value = true }',
     "when refers to unknown question 'nope'"),
    ("ordering on a yes/no", '{ question = "yn", operator = ">", value = 1 }',
     "when: operator > needs an int question, yn is yesno"),
    ("ordering with a decimal", '{ question = "num", operator = "<=", value = 1.5 }',
     "when: operator <= needs a whole number"),
    ("in without a list", '{ question = "ch", operator = "in", value = "a" }',
     "when: operator in needs a non-empty list"),
    ("in with an empty list", '{ question = "ch", operator = "in", value = [] }',
     "when: operator in needs a non-empty list"),
    ("yes/no compared with text", '{ question = "yn", operator = "=", value = "yes" }',
     "when: yn is yes/no: compare with true or false"),
    ("int compared with a boolean", '{ question = "num", operator = "!=", value = true }',
     "when: num is an int question: compare with whole numbers"),
    ("not a choice", '{ question = "ch", operator = "in", value = ["a", "z"] }',
     "when: 'z' is not a choice of ch"),
    ("not a multi choice", '{ question = "mu", operator = "=", value = "z" }',
     "when: 'z' is not a choice of mu"),
]


@pytest.mark.parametrize(("condition", "reason"), [(c, r) for _, c, r in CROSS_MODULE],
                         ids=[n for n, _, _ in CROSS_MODULE])
def test_conditions_are_checked_against_the_questions_they_name(condition: str,
                                                                reason: str) -> None:
    modules = [module(BASE_MODULE, "base.toml"), module(dependent(condition), "dep.toml")]
    assert validate_modules(modules) == [Problem("dep.toml: dep", reason)]


def test_a_condition_on_a_later_question_is_refused() -> None:
    # "dep" comes first (order 0) but looks at "yn", which is asked after it.
    modules = [module(BASE_MODULE, "base.toml"),
               module(dependent('{ question = "yn", operator = "=", value = true }', order=0),
                      "dep.toml")]
    assert validate_modules(modules) == [
        Problem("dep.toml: dep", "when refers to 'yn', which is not asked before this question")]


def test_a_question_cannot_depend_on_itself() -> None:
    modules = [module(dependent('{ question = "dep", operator = "=", value = true }'),
                      "dep.toml")]
    assert validate_modules(modules) == [
        Problem("dep.toml: dep", "when refers to 'dep', which is not asked before this question")]


def test_a_condition_on_an_optional_instrument_is_refused() -> None:
    # Without the instrument the condition could never be decided, so the question would
    # silently never be asked.
    optional = (
        'id = "instr"\nversion = "1"\ntitle = "I"\norder = 1\noptional = true\n'
        + q('type = "yesno"\ntext = "I?"', qid="i1")
        + q('type = "yesno"\ntext = "I2?"\n'
            'when = { all = [{ question = "i1", operator = "=", value = true }] }', qid="i2"))
    modules = [module(optional, "instr.toml"),
               module(dependent('{ question = "i1", operator = "=", value = true }'),
                      "dep.toml")]
    assert validate_modules(modules) == [
        Problem("dep.toml: dep",
                "when refers to 'i1' of the optional module instr, which may not be included")]


def test_question_ids_are_unique_across_modules() -> None:
    modules = [module(BASE_MODULE, "base.toml"),
               module('id = "other"\nversion = "1"\ntitle = "O"\norder = 2\n'
                      + q('type = "yesno"\ntext = "Again?"', qid="yn"), "other.toml")]
    assert validate_modules(modules) == [
        Problem("other.toml: yn", "duplicate question id (also in base.toml)")]


def test_the_shipped_conditions_validate() -> None:
    modules = [parse_module(data, source, shipped=True) for source, data in shipped_paths()]
    assert validate_modules(modules) == []


# --------------------------------------------------------------------------- when


def when(mode: str, *conditions: tuple[str, str, object] | Condition) -> When:
    assert mode in ("all", "any")
    return When("all" if mode == "all" else "any",
                tuple(c if isinstance(c, Condition)
                      else Condition(c[0], c[1], tuple(c[2]) if isinstance(c[2], list) else c[2])
                      for c in conditions))


NOT_MALE = Condition("sex", "=", "male", negate=True)
NOT_MALE_ABSENT = Condition("sex", "=", "male", negate=True, missing_is_absent=True)


# (condition, answers, hidden ids, expected). Multi answers are tuples, as stored.
WHEN_CASES: list[tuple[str, When | None, dict[str, object], tuple[str, ...], Tristate]] = [
    ("no condition", None, {}, (), True),
    ("choice equal", when("all", ("c", "=", "side")), {"c": "side"}, (), True),
    ("choice not equal", when("all", ("c", "=", "side")), {"c": "back"}, (), False),
    ("choice !=", when("all", ("c", "!=", "side")), {"c": "back"}, (), True),
    ("choice in", when("all", ("c", "in", ["side", "back"])), {"c": "back"}, (), True),
    ("choice not in", when("all", ("c", "in", ["side", "back"])), {"c": "stomach"}, (), False),
    ("int >", when("all", ("n", ">", 0)), {"n": 1}, (), True),
    ("int > at the bound", when("all", ("n", ">", 0)), {"n": 0}, (), False),
    ("int >=", when("all", ("n", ">=", 45)), {"n": 45}, (), True),
    ("int <", when("all", ("n", "<", 45)), {"n": 45}, (), False),
    ("int <=", when("all", ("n", "<=", 45)), {"n": 45}, (), True),
    ("int equal", when("all", ("n", "=", 3)), {"n": 3}, (), True),
    ("yes/no equal", when("all", ("y", "=", True)), {"y": True}, (), True),
    ("yes/no is not 1", when("all", ("y", "=", 1)), {"y": True}, (), False),
    ("0 is not false", when("all", ("n", "=", False)), {"n": 0}, (), False),
    ("multi = means includes", when("all", ("m", "=", "massage")),
     {"m": ("massage", "medical")}, (), True),
    ("multi = not included", when("all", ("m", "=", "massage")), {"m": ("medical",)}, (), False),
    ("multi != means does not include", when("all", ("m", "!=", "none")),
     {"m": ("spondylosis",)}, (), True),
    ("multi != with the value", when("all", ("m", "!=", "none")), {"m": ("none",)}, (), False),
    ("multi in means any of", when("all", ("m", "in", ["a", "b"])), {"m": ("c", "b")}, (), True),
    ("multi in none of them", when("all", ("m", "in", ["a", "b"])), {"m": ("c",)}, (), False),
    ("hidden input counts as absent", when("all", ("h", "=", True)), {}, ("h",), False),
    ("hidden input with != is still false", when("all", ("h", "!=", "x")), {}, ("h",), False),
    ("missing input is unknown", when("all", ("c", "=", "side")), {}, (), UNKNOWN),
    ("all: one false decides", when("all", ("c", "=", "side"), ("x", "=", True)),
     {"c": "back"}, (), False),
    ("all: true and unknown", when("all", ("c", "=", "side"), ("x", "=", True)),
     {"c": "side"}, (), UNKNOWN),
    ("all: every one true", when("all", ("c", "=", "side"), ("n", ">=", 45)),
     {"c": "side", "n": 50}, (), True),
    ("any: one true decides", when("any", ("c", "=", "side"), ("x", "=", True)),
     {"c": "side"}, (), True),
    ("any: false and unknown", when("any", ("c", "=", "side"), ("x", "=", True)),
     {"c": "back"}, (), UNKNOWN),
    ("any: every one false", when("any", ("c", "=", "side"), ("n", ">", 1)),
     {"c": "back", "n": 0}, (), False),
    # v3: `not` turns a test false on an absent answer true
    ("negated test", when("all", NOT_MALE), {"sex": "female"}, (), True),
    ("negated test that holds", when("all", NOT_MALE), {"sex": "male"}, (), False),
    ("negated test on a hidden answer", when("all", NOT_MALE), {}, ("sex",), True),
    ("negated test on a missing answer", when("all", NOT_MALE), {}, (), UNKNOWN),
    ("missing counted as absent", when("all", NOT_MALE_ABSENT), {}, (), True),
    ("missing counted as absent, not negated",
     when("all", Condition("c", "=", "side", missing_is_absent=True)), {}, (), False),
    # a male client with no age is still not asked about pregnancy (the clinical reference v3)
    ("decided whatever the missing age", when("all", NOT_MALE_ABSENT, ("age", "<=", 55)),
     {"sex": "male"}, (), False),
    ("undecided while the age is missing", when("all", NOT_MALE_ABSENT, ("age", "<=", 55)),
     {"sex": "female"}, (), UNKNOWN),
]


@pytest.mark.parametrize(("condition", "answers", "hidden", "expected"),
                         [c[1:] for c in WHEN_CASES], ids=[c[0] for c in WHEN_CASES])
def test_when(condition: When | None, answers: Answers, hidden: tuple[str, ...],
              expected: Tristate) -> None:
    assert evaluate(condition, answers, hidden) is expected


# --------------------------------------------------------------------------- the registry


def test_the_default_interview_is_every_module_but_the_instruments() -> None:
    registry = load_registry(None)
    assert registry.optional_ids == ("odi", "rmdq")
    assert [m.id for m in registry.select(())] == [
        "intake", "red_flags", "sleep", "activity", "diagnoses", "startback"]
    assert [m.id for m in registry.select(["rmdq"])][-1] == "rmdq"


def test_the_followup_module_comes_only_after_a_programme() -> None:
    registry = load_registry(None)
    assert "followup" not in registry.optional_ids
    assert "followup" not in [m.id for m in registry.select(("odi",))]
    assert [m.id for m in registry.select((), programme_followup=True)][-1] == "followup"
    assert registry.module("followup").questions[0].fresh_each_visit


def test_an_unknown_instrument_is_wrong_usage() -> None:
    with pytest.raises(UsageError, match=r"^unknown instrument nprs; choose from odi, rmdq$"):
        load_registry(None).select(["nprs"])


USER_MODULE = (
    'id = "habits"\nversion = "2"\ntitle = "Habits"\norder = 95\n'
    + q('type = "yesno"\ntext = "Smokes?"', qid="smokes"))


def test_the_user_folder_adds_a_module(tmp_path: Path) -> None:
    (tmp_path / "habits.toml").write_text(USER_MODULE, encoding="utf-8")
    registry = load_registry(tmp_path)
    added = registry.module("habits")
    assert (added.shipped, added.source) == (False, str(tmp_path / "habits.toml"))
    # Order 95 puts it after every shipped module, instruments and the follow-up included.
    assert [m.id for m in registry.modules] == [
        "intake", "red_flags", "sleep", "activity", "diagnoses", "startback", "odi", "rmdq",
        "followup", "habits"]
    assert [m.id for m in registry.select(())][-1] == "habits"
    assert registry.replaced == ()


def test_the_user_folder_replaces_a_shipped_module_with_the_same_id(tmp_path: Path) -> None:
    # A practitioner with a licence puts the full item text in place of the scorer.
    licensed = "".join(
        q(f'type = "yesno"\ntext = "Licensed wording of item {i}"', qid=f"rmdq_{i}")
        for i in range(1, 25))
    (tmp_path / "rmdq.toml").write_text(
        'id = "rmdq"\nversion = "licensed-1"\ntitle = "Roland-Morris"\norder = 80\n'
        'optional = true\n' + licensed, encoding="utf-8")
    registry = load_registry(tmp_path)
    rmdq = registry.module("rmdq")
    assert (rmdq.version, rmdq.shipped) == ("licensed-1", False)
    assert rmdq.questions[0].text == "Licensed wording of item 1"
    assert registry.replaced == ("rmdq",)
    assert [m.id for m in registry.modules].count("rmdq") == 1


def test_check_reports_every_problem_of_every_file(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(HEAD.replace('"m"', '"a"') + q('type = "yesno"'),
                                     encoding="utf-8")
    (tmp_path / "b.toml").write_text('id = "b"\ntitle = "B"\n' + YESNO.replace('"q"', '"qb"'),
                                     encoding="utf-8")
    extra = tmp_path / "elsewhere" / "c.toml"
    registry, problems = check(tmp_path, [extra])
    assert registry is None
    assert problems == [
        Problem(str(extra), "cannot read: No such file or directory"),
        Problem(f"{tmp_path / 'a.toml'}: q", "text missing"),
        Problem(str(tmp_path / "b.toml"), "module version missing"),
    ]


def test_load_registry_raises_with_the_problems(tmp_path: Path) -> None:
    (tmp_path / "x.toml").write_bytes(b"\xff")
    with pytest.raises(QuestionnaireError) as info:
        load_registry(tmp_path)
    assert str(info.value) == (
        "invalid questionnaire (1):\n"
        f"  - {tmp_path / 'x.toml'}: line 1: not UTF-8 text")
