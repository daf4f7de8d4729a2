"""What the product promises about itself: every command documents itself (`--help`,
walked from the command tree so new commands are covered without touching this file),
`--version`, and every shipped questionnaire validates and keeps the public question ids
of the clinical reference."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from backpain_cli import __version__
from backpain_cli.cli.app import app
from backpain_cli.clinical.questionnaire import load_registry, parse_module, shipped_paths


def command_tree() -> list[tuple[tuple[str, ...], Any]]:
    """Every command and group under `backpain`, with its path of names."""
    found: list[tuple[tuple[str, ...], Any]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        found.append((path, command))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return found


COMMANDS = command_tree()


def test_the_walk_finds_the_commands_of_the_spec() -> None:
    paths = {p for p, _ in COMMANDS}
    assert {(), ("assess",), ("questionnaires",), ("questionnaires", "list"),
            ("questionnaires", "check"), ("config",), ("config", "show"), ("config", "path"),
            ("config", "set"), ("where",), ("forget",)} <= paths


@pytest.mark.parametrize(("path", "command"), COMMANDS,
                         ids=[" ".join(p) or "backpain" for p, _ in COMMANDS])
def test_every_command_has_help(path: tuple[str, ...], command: Any) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], prog_name="backpain")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Usage: {' '.join(('backpain', *path))} ")
    summary = (command.help or "").strip().splitlines()
    assert summary, f"{path} has no help text"
    assert summary[0] in result.stdout
    undocumented = [p.name for p in command.params if not getattr(p, "help", None)]
    assert undocumented == [], f"{' '.join(path)}: parameters without help"


def test_version_in_process() -> None:
    result = CliRunner().invoke(app, ["--version"], prog_name="backpain")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"backpain {__version__}\n"


def test_version_of_the_installed_command(tmp_path: Path) -> None:
    # `backpain --version` takes a fast path before typer is imported: check it too.
    proc = subprocess.run([str(Path(sys.executable).parent / "backpain"), "--version"],
                          capture_output=True, text=True, timeout=30, check=False,
                          env={**os.environ, "BACKPAIN_HOME": str(tmp_path)})
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"backpain {__version__}\n", "")


def test_no_command_shows_the_help() -> None:
    result = CliRunner().invoke(app, [], prog_name="backpain")
    assert result.exit_code == 2, result.output
    assert "Usage: backpain [OPTIONS] COMMAND [ARGS]..." in result.output


# --------------------------------------------------------------------------- questionnaires


SHIPPED = shipped_paths()


@pytest.mark.parametrize(("source", "data"), SHIPPED, ids=[s for s, _ in SHIPPED])
def test_every_shipped_questionnaire_validates(source: str, data: bytes) -> None:
    module = parse_module(data, source, shipped=True)
    assert module.questions
    assert all(q.text and (q.type not in ("choice", "multi") or q.choices)
               for q in module.questions)


def test_the_shipped_questionnaires_validate_together() -> None:
    registry = load_registry(None)
    assert registry.replaced == ()
    assert sorted(m.source for m in registry.modules) == sorted(s for s, _ in SHIPPED)


def yesno(*ids: str) -> dict[str, tuple[str, object]]:
    return dict.fromkeys(ids, ("yesno", None))


# The question ids of the clinical reference with their type and values (choices, or min and max).
# They are a public contract: answers files, sessions and exports use them. Questionnaires
# may add questions; these must stay as they are.
CONTRACT: dict[str, dict[str, tuple[str, object]]] = {
    "intake": {
        "age": ("int", (12, 110)),
        "sex": ("choice", {"female", "male", "other"}),
        "pregnancy": ("choice", {"no", "pregnant", "postpartum"}),
        "pregnancy_weeks": ("int", (1, 42)),
        "postpartum_weeks": ("int", (0, 52)),
        "pain_duration": ("choice", {"under_6_weeks", "6_to_12_weeks", "over_12_weeks"}),
        "first_episode": ("yesno", None),
        "onset": ("choice", {"after_exertion", "after_injury", "gradual", "unknown"}),
        "pain_location": ("multi", {"lower_back", "mid_upper_back", "buttock",
                                    "leg_above_knee", "leg_below_knee", "front_of_pelvis"}),
        "pain_worse_with": ("multi", {"bending_forward", "bending_backward", "sitting",
                                      "standing_walking", "lifting", "lying_down",
                                      "coughing_sneezing", "turning_in_bed", "stairs",
                                      "standing_on_one_leg", "none"}),
        "pain_eased_by": ("multi", {"bending_forward", "bending_backward", "sitting",
                                    "lying_down", "moving_around", "standing_still", "none"}),
        "morning_stiffness_over_30min": ("yesno", None),
        "pain_now": ("int", (0, 10)),
        "pain_worst_week": ("int", (0, 10)),
    },
    "red_flags": yesno(
        "rf_saddle_numbness", "rf_bladder_bowel", "rf_sexual_dysfunction", "rf_both_legs",
        "rf_leg_weakness", "rf_chest_symptoms", "rf_pregnancy_warning", "rf_leg_clot",
        "rf_fever", "rf_immunosuppressed", "rf_recent_procedure", "rf_recent_infection",
        "rf_unwell", "rf_cancer_history", "rf_weight_loss", "rf_night_pain",
        "rf_constant_pain", "rf_trauma", "rf_steroids", "rf_anticoagulant", "rf_osteoporosis",
        "rf_thoracic_pain", "risk_team_aware"),
    "sleep": {
        "sleep_position": ("choice", {"side", "back", "stomach", "mixed"}),
        "mattress_firmness": ("choice", {"soft", "medium_soft", "medium_firm", "firm",
                                         "very_firm"}),
        "mattress_opinion": ("choice", {"too_soft", "too_firm", "comfortable", "unsure"}),
        "mattress_age_years": ("int", (0, 50)),
        "mattress_sagging": ("yesno", None),
        "pain_on_waking": ("choice", {"no", "eases_within_30min", "lasts_longer"}),
        "pillow_height": ("choice", {"none", "low", "medium", "high"}),
        "knee_pillow": ("yesno", None),
    },
    "activity": {
        "occupation": ("choice", {"mostly_sitting", "mostly_standing", "manual_lifting",
                                  "mixed", "not_working"}),
        "work_absence": ("choice", {"no", "reduced_duties", "off_work"}),
        "work_absence_weeks": ("int", (0, 104)),
        "sitting_hours": ("int", (0, 24)),
        "exercise_days": ("int", (0, 7)),
        "exercise_types": ("multi", {"walking", "running", "cycling", "swimming", "strength",
                                     "yoga_pilates", "team_sports", "other"}),
        "recent_overexertion": ("yesno", None),
        "hyperextension_activities": ("yesno", None),
        "falls_past_year": ("choice", {"none", "one", "two_or_more"}),
        "unsteady": ("yesno", None),
    },
    "diagnoses": {
        "diagnoses": ("multi", {"ankylosing_spondylitis", "spondylosis", "spinal_arthritis",
                                "autoimmune", "herniated_disc", "spinal_stenosis",
                                "spinal_fracture", "spinal_tumor", "osteoporosis",
                                "scoliosis", "muscle_strain", "hypermobility", "none"}),
        "under_medical_care": ("yesno", None),
        "current_care": ("multi", {"massage", "chiropractic", "physical_therapy", "medical",
                                   "medication", "none"}),
        "massage_helped": ("choice", {"yes", "somewhat", "no"}),
        # NICE NG65's nine features (v2)
        "axspa_features": ("multi", {"onset_before_35", "wakes_second_half_night",
                                     "buttock_pain", "better_with_movement",
                                     "better_with_nsaids", "family_history", "arthritis",
                                     "enthesitis", "psoriasis", "none"}),
        "onset_before_45": ("yesno", None),
    },
    "startback": {
        **yesno(*(f"sbst_{i}" for i in range(1, 9))),
        "sbst_9": ("choice", {"not_at_all", "slightly", "moderately", "very_much",
                              "extremely"}),
    },
    "odi": {f"odi_{i}": ("int", (0, 5)) for i in range(1, 11)},
    "rmdq": yesno(*(f"rmdq_{i}" for i in range(1, 25))),
    "followup": {
        "programme_adherence": ("choice", {"most_days", "some_days", "rarely", "not_started"}),
    },
}

CONTRACT_ROWS = [(m, qid, t, v) for m, qs in CONTRACT.items() for qid, (t, v) in qs.items()]


@pytest.mark.parametrize(("module_id", "qid", "qtype", "values"), CONTRACT_ROWS,
                         ids=[r[1] for r in CONTRACT_ROWS])
def test_the_public_question_ids_are_shipped(module_id: str, qid: str, qtype: str,
                                             values: object) -> None:
    q = load_registry(None).questions()[qid]
    assert (q.module, q.type) == (module_id, qtype)
    if qtype == "int":
        assert (q.min, q.max) == values
    elif values is not None:
        assert set(q.choice_values) == values
        # "none" is only ever chosen alone (the clinical reference, multi answers).
        if qtype == "multi" and "none" in q.choice_values:
            assert q.exclusive == ("none",)


def test_only_odi_and_rmdq_are_optional_and_red_flags_come_second() -> None:
    registry = load_registry(None)
    assert registry.optional_ids == ("odi", "rmdq")
    assert [m.id for m in registry.modules][:2] == ["intake", "red_flags"]
    # ODI sections may be skipped; the RMDQ needs all 24 items, the STarT Back all 9.
    questions = registry.questions()
    assert [questions[f"odi_{i}"].required for i in range(1, 11)] == [False] * 10
    assert all(questions[f"rmdq_{i}"].required for i in range(1, 25))
    assert all(questions[f"sbst_{i}"].required for i in range(1, 10))


def test_v2_labels_avoid_nocebo_words() -> None:
    # the clinical reference v2: spondylosis is never "wear and tear"; a disc is a bulge or
    # herniation.
    diagnoses = load_registry(None).questions()["diagnoses"]
    assert "wear and tear" not in diagnoses.label("spondylosis").lower()
    assert "very common, often painless" in diagnoses.label("spondylosis")
    assert diagnoses.label("herniated_disc") == "Disc bulge or herniation (a 'slipped disc')"


def test_changed_modules_have_new_versions() -> None:
    # Clinical content version 3 changed intake, red_flags and diagnoses (each version 2
    # before) and activity (version 1), and added the follow-up module.
    registry = load_registry(None)
    assert {m.id: m.version for m in registry.modules} == {
        "intake": "3", "red_flags": "3", "sleep": "1", "activity": "2", "diagnoses": "3",
        "startback": "1", "odi": "1", "rmdq": "1", "followup": "1"}


def test_the_list_questions_show_their_parts() -> None:
    # the clinical reference v3: a yes/no question that asks several things lists them.
    questions = load_registry(None).questions()
    osteoporosis = questions["rf_osteoporosis"]
    assert osteoporosis.parts_heading == "Yes only if both:" and len(osteoporosis.parts) == 2
    assert questions["rf_chest_symptoms"].full_text.splitlines()[1:] == [
        "Yes if any of these:",
        "- Chest pain, or a band of pain, with breathlessness, sweating or feeling faint",
        "- Sudden breathlessness",
        "- A sudden, severe tearing pain in the back"]
    assert questions["under_medical_care"].parts_heading == "Yes only if both:"


def test_the_clinical_reference_is_up_to_date() -> None:
    """docs/clinical-reference.md is generated from the data the product runs on (issue 18).

    A rule, text, question or exercise changed without regenerating it fails here; the
    message says how to regenerate.
    """
    tool = Path(__file__).resolve().parent.parent / "tools" / "clinical_reference.py"
    done = subprocess.run([sys.executable, str(tool), "--check"], capture_output=True,
                          text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
