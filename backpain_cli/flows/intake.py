"""`backpain intake form`: the client's intake form as one HTML file (issue 21).

The questions on it are those of today's questionnaire modules that say they are on the
form (`form = true`), in interview order; the form's rules and its emergency places are
worked out by clinical.intake from the same model the interview uses.
"""

from __future__ import annotations

from ..clinical.intake import emergency_places, emergency_signs, form_spec
from ..clinical.questionnaire import form_problems, load_registry
from ..errors import BackpainError, QuestionnaireError
from ..output.intake_form import IntakeForm, render
from ..output.wording import practice_line
from ..records.paths import questionnaires_dir, validate_client
from ..records.settings import load
from ..safe_text import visible_in


def intake_form(client: str | None) -> str:
    """The page of the form, for `client` (a reference, or None: the client is named when
    the answers are imported)."""
    checked = validate_client(client) if client is not None else None
    registry = load_registry(questionnaires_dir())
    modules = registry.form_modules
    if not modules:
        raise BackpainError("no questionnaire module is on the intake form (form = true)")
    problems = form_problems(modules)
    if problems:
        raise QuestionnaireError(problems)
    practice = practice_line(visible_in(load().practice))
    return render(IntakeForm(modules, checked, form_spec(modules), emergency_places(modules),
                             emergency_signs(modules), practice))
