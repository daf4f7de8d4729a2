"""A FHIR consumer renders the collection Bundle on its own: NLM's LHC-Forms (lforms), in
headless Chromium, offline, shows each Questionnaire of the Bundle with its
QuestionnaireResponse, and reads back from the form the answers the response holds.

Issue 17: the collection carried no Questionnaires (and named them otherwise than the
transaction), so a consumer had nothing to render its responses with.

LHC-Forms is pinned in tests/lforms/package.json and package-lock.json; `.ci/run` installs
it with `npm ci --prefix tests/lforms`. Only its prebuilt files (node_modules/lforms/dist)
are loaded, from file:// URLs: nothing is fetched. Slow (a browser start per visit), so
deselected from the quick suite. Without Chromium or the package the test is skipped,
except under CI.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from backpain_cli.cli.app import app

pytestmark = [pytest.mark.slow, pytest.mark.browser]

HERE = Path(__file__).parent
LFORMS = HERE / "lforms" / "node_modules" / "lforms" / "dist" / "lforms"
SCRIPTS = ("webcomponent/assets/lib/zone.min.js", "webcomponent/runtime.js",
           "webcomponent/polyfills.js", "webcomponent/main.js", "fhir/R4/lformsFHIR.min.js")
DEMO = HERE.parent / "examples" / "demo.answers.toml"
ODI = "".join(f"odi_{i} = {i % 6}\n" for i in range(1, 11))

# Each response of the Bundle is put into the form of the Questionnaire it names (found in
# the Bundle by canonical URL and version), and the form's own QuestionnaireResponse read
# back: what a clinician using LHC-Forms would see filled in.
PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"></head>
<body><div id="form"></div>
{scripts}
<script>
const collection = {bundle};
window.addEventListener("load", async () => {{
  const out = {{}};
  const result = document.createElement("pre");
  result.id = "result";
  try {{
    const questionnaires = {{}};
    for (const e of collection.entry) {{
      const r = e.resource;
      if (r.resourceType === "Questionnaire") questionnaires[r.url + "|" + r.version] = r;
    }}
    for (const e of collection.entry) {{
      const response = e.resource;
      if (response.resourceType !== "QuestionnaireResponse") continue;
      const questionnaire = questionnaires[response.questionnaire];
      if (!questionnaire) {{ out[response.questionnaire] = null; continue; }}
      await LForms.Util.addFormToPage(questionnaire, "form",
                                      {{questionnaireResponse: response}});
      const shown = LForms.Util.getFormFHIRData("QuestionnaireResponse", "R4", "#form");
      out[response.questionnaire] = Object.fromEntries(
        (shown.item || []).map((i) => [i.linkId, i.answer]));
    }}
    result.textContent = JSON.stringify(out);
  }} catch (error) {{
    result.textContent = JSON.stringify({{error: String(error)}});
  }}
  document.body.appendChild(result);
}});
</script>
</body></html>
"""


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    missing = ("chromium is not installed (apt-get install chromium)" if path is None else
               None if LFORMS.is_dir() else
               "LHC-Forms is not installed: npm ci --prefix tests/lforms")
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the LHC-Forms test cannot run: {missing}")
        pytest.skip(f"{missing}; CI runs this test")
    assert path is not None
    return path


def cli(*args: str | Path) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args], prog_name="backpain")
    assert result.exit_code == 0, result.output
    return result.stdout


def comparable(answers: list[dict[str, Any]] | None) -> list[Any]:
    """An item's answers as values: a coding by system and code (LHC-Forms adds the
    display from the Questionnaire, which our response may leave out)."""
    out: list[Any] = []
    for answer in answers or []:
        [(key, value)] = answer.items()
        out.append((value["system"], value["code"]) if key == "valueCoding" else value)
    return out


def render(chromium: str, bundle: dict[str, Any], folder: Path) -> dict[str, Any]:
    scripts = "\n".join(f'<script src="{(LFORMS / s).as_uri()}"></script>' for s in SCRIPTS)
    # "</" inside the inline JSON would end the script element early.
    data = json.dumps(bundle).replace("</", "<\\/")
    page = folder / "page.html"
    page.write_text(PAGE.format(scripts=scripts, bundle=data), encoding="utf-8")
    proc = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--allow-file-access-from-files",
         f"--user-data-dir={folder / 'profile'}", "--virtual-time-budget=30000",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=180, check=False, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = re.search(r'<pre id="result">(.*?)</pre>', proc.stdout, re.S)
    assert found is not None, proc.stdout[-2000:]
    shown: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return shown


def test_lhc_forms_renders_each_response_with_its_questionnaire(
        chromium: str, backpain_home: Path, tmp_path: Path) -> None:
    answers = tmp_path / "visit.toml"
    answers.write_text(DEMO.read_text("utf-8") + ODI, encoding="utf-8")
    session = json.loads(cli("assess", "--answers", answers, "--no-input", "--instruments",
                             "odi", "--json"))["session"]
    bundle = json.loads(cli("export", session, "--format", "fhir"))
    assert bundle["type"] == "collection"
    responses = [e["resource"] for e in bundle["entry"]
                 if e["resource"]["resourceType"] == "QuestionnaireResponse"]
    shown = render(chromium, bundle, tmp_path)
    assert "error" not in shown, shown
    # Every response found its Questionnaire in the Bundle, and the form shows its answers.
    assert sorted(shown) == sorted(r["questionnaire"] for r in responses)
    for response in responses:
        form = shown[response["questionnaire"]]
        assert form is not None, response["questionnaire"]
        assert {i["linkId"]: comparable(i["answer"]) for i in response["item"]} == {
            link_id: comparable(answer) for link_id, answer in form.items()}, (
            response["questionnaire"])
