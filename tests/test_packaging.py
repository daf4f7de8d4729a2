"""The sdist as it ships: it carries what its tests need, installs, and passes them.

The sdist is built by calling the setuptools backend as a PEP 517 frontend does, with the
setuptools of this environment (the dev extra requires one recent enough), so no network
is needed; without it these tests are skipped, except under CI, where .ci/run installs the
dev extra and a missing one fails. It is unpacked, installed into a fresh virtual
environment that borrows this environment's dependencies through a .pth file, and a
representative part of the suite is run from the unpacked tree, in a folder outside both
trees, against the installed copy.

The module is marked slow (building, installing and testing the sdist takes about 40 s):
`.ci/run` runs it in its second step, after installing the dev extra.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import site
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import tomllib
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent

# What tests import or read besides the test modules themselves.
NEEDED = (
    "LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", "MANIFEST.in", "PKG-INFO",
    "tests/conftest.py", "tests/strategies.py", "tests/depth.py", "tests/reassess_helpers.py",
    "tests/answer_sets.py", "tests/askers.py", "tests/client_handouts.py",
    "tests/data/session_schema1.toml", "tests/data/examples/desk-strain.answers.toml",
    "tests/data/examples/desk-strain.expected.toml", "tests/golden/JD-042.session.json",
    "tests/fhir/package.json", "tests/fhir/package-lock.json", "tests/fhir/harness.mjs",
    "tests/lforms/package.json", "tests/lforms/package-lock.json",
    "tests/axe/package.json", "tests/axe/package-lock.json", "tests/pgserver.py",
    "backpain_cli/output/letter.toml", "backpain_cli/output/handout_because.toml",
    "examples/demo.answers.toml", "questionnaires/startback.toml", "benchmarks/run.py",
    "backpain_cli/py.typed", "backpain_cli/output/document.schema.json",
    "backpain_cli/output/poses.toml", "docs/pictures.html", "tools/pictures.py",
)

# Each reads a different part of the sdist: the bundled worked examples (and skips the
# shared spec's, which lie outside it), golden files, session files of old schemas,
# strategies and depth, reassess_helpers, the installed `backpain` command, the benchmark
# script and the package data. Tests that need Node packages, Chromium or WeasyPrint's
# system libraries are left to the suite in the repository.
SUBSET = (
    "test_examples.py", "test_export_cli.py", "test_docs.py", "test_due.py",
    "test_schema_evolution.py", "test_startup.py", "test_fhir_transaction.py",
    "test_storage.py",
)


def _setuptools_version() -> tuple[int, ...] | None:
    from importlib import metadata

    try:
        version = metadata.version("setuptools")
    except metadata.PackageNotFoundError:
        return None
    return tuple(int(p) for p in re.findall(r"\d+", version)[:2])


def needs_setuptools() -> None:
    """Skip (fail under CI) without a setuptools that reads SPDX licences: the dev extra's."""
    version = _setuptools_version()
    if version is not None and version >= (77,):
        return
    what = "setuptools>=77 is " + ("missing" if version is None else "too old")
    if os.environ.get("CI"):
        pytest.fail(f"{what}: .ci/run must install it (pip install '.[dev]')")
    pytest.skip(f"{what} (pip install '.[dev]'); CI runs these tests")


def build_sdist(out: Path) -> Path:
    # setuptools lays the release tree out in the source folder itself (backpain-<version>/,
    # the egg-info): two xdist workers building at once removed each other's files ("No
    # such file or directory: 'backpain-0.1.0/tests/...'", seen once in CI). One at a time.
    lock = Path(tempfile.gettempdir()) / (
        "backpain-sdist-" + hashlib.sha256(str(ROOT).encode()).hexdigest()[:16] + ".lock")
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        done = subprocess.run(
            [sys.executable, "-c",
             "import sys; from setuptools import build_meta; build_meta.build_sdist(sys.argv[1])",
             str(out)],
            cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    (sdist,) = out.glob("*.tar.gz")
    return sdist


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    needs_setuptools()
    return build_sdist(tmp_path_factory.mktemp("sdist"))


def members(sdist: Path) -> list[str]:
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    top = f"{sdist.name.removesuffix('.tar.gz')}/"
    assert all(n == top.rstrip("/") or n.startswith(top) for n in names), names
    return [n.removeprefix(top) for n in names if n.startswith(top)]


def test_the_sdist_carries_what_its_tests_need(sdist: Path) -> None:
    names = set(members(sdist))
    assert [n for n in NEEDED if n not in names] == []
    shipped_tests = {n for n in names if n.startswith("tests/test_") and n.endswith(".py")}
    in_repo = {p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").glob("test_*.py")}
    assert shipped_tests == in_repo


def test_the_sdist_leaves_out_installed_and_generated_files(sdist: Path) -> None:
    unwanted = [n for n in members(sdist)
                if "node_modules" in n.split("/") or "__pycache__" in n.split("/")
                or n.endswith((".pyc", ".pyo")) or n.startswith((".venv/", ".git/"))]
    assert unwanted == []


def test_the_metadata_names_the_licence_by_spdx(sdist: Path) -> None:
    with tarfile.open(sdist) as tar:
        member = tar.extractfile(f"{sdist.name.removesuffix('.tar.gz')}/PKG-INFO")
        assert member is not None
        headers = member.read().decode("utf-8").split("\n\n", 1)[0].splitlines()
    assert "License-Expression: MIT" in headers
    assert "License-File: LICENSE" in headers
    # Setuptools refuses a licence classifier beside an SPDX expression; none may creep in.
    assert [h for h in headers if h.startswith("Classifier: License ::")] == []
    assert "Copyright (c) 2026 the backpain authors" in (ROOT / "LICENSE").read_text("utf-8")


def test_the_build_needs_a_setuptools_that_reads_spdx() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert config["build-system"]["requires"] == ["setuptools>=77"]
    assert config["project"]["license"] == "MIT"
    extras = config["project"]["optional-dependencies"]
    assert "setuptools>=77" in extras["dev"]


def test_the_published_test_extra_holds_no_maintainer_tools() -> None:
    """Linters and the build backend are tools of the repository, not of a test run: they
    are in the dev extra, and everything the package imports is declared."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    extras = config["project"]["optional-dependencies"]
    names = {re.split(r"[<>=\[ ]", r, maxsplit=1)[0].lower() for r in extras["test"]}
    assert names & {"ruff", "mypy", "setuptools"} == set()
    assert {"ruff>=0.6", "mypy>=1.10"} <= set(extras["dev"])


def _top_level_imports(folder: Path) -> set[str]:
    import ast

    found: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


# Import name -> distribution name, where they differ.
DISTRIBUTIONS = {"tomli_w": "tomli-w", "prompt_toolkit": "prompt_toolkit",
                 "fhir": "fhir.resources"}


def test_every_third_party_import_of_the_package_is_declared() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    project = config["project"]
    declared = {re.split(r"[<>=\[ ]", r, maxsplit=1)[0].lower()
                for r in [*project["dependencies"],
                          *(r for extra in ("pdf", "fhir", "pg")
                            for r in project["optional-dependencies"][extra])]}
    # A leading underscore: the interpreter's own accelerator modules (_sha2 on 3.12+).
    third_party = {name for name in _top_level_imports(ROOT / "backpain_cli")
                   if name not in sys.stdlib_module_names and name != "backpain_cli"
                   and not name.startswith("_")}
    undeclared = sorted(n for n in third_party if DISTRIBUTIONS.get(n, n).lower() not in declared)
    assert undeclared == []


def fresh_venv(folder: Path) -> Path:
    """A virtual environment whose own site-packages comes first, then this environment's:
    the package under test is installed in it, its dependencies are borrowed."""
    venv.EnvBuilder(with_pip=False).create(folder)
    python = folder / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    # Plain paths: the .pth files in those folders (this environment's editable install of
    # the repository among them) are not run, so nothing points back at the repository.
    # From sys.path too: this environment may itself borrow its packages that way.
    borrowed = dict.fromkeys([
        *site.getsitepackages(), sysconfig.get_paths()["purelib"],
        *(p for p in sys.path if Path(p).name in ("site-packages", "dist-packages"))])
    Path(purelib, "_borrowed_dependencies.pth").write_text(
        "".join(f"{p}\n" for p in borrowed), encoding="utf-8")
    return python


def test_the_sdist_installs_and_passes_its_tests(sdist: Path, tmp_path: Path) -> None:
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp_path, filter="data")
    tree = tmp_path / sdist.name.removesuffix(".tar.gz")
    python = fresh_venv(tmp_path / "venv")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "BACKPAIN_HOME", "BACKPAIN_CONFIG", "VIRTUAL_ENV",
                        "CI")}
    # Not CI: under CI the FHIR and browser tests fail when their npm packages are missing,
    # and an unpacked sdist has none (CI runs those tests in the repository itself).
    # A nested run of the second CI step must not try every property test in full again.
    env["HYPOTHESIS_PROFILE"] = "ci"
    # -P: neither the current folder nor the script's is put first on sys.path.
    env["PYTHONSAFEPATH"] = "1"

    def run(*args: str | Path, timeout: float = 300) -> str:
        done = subprocess.run([python, *map(str, args)], cwd=elsewhere, env=env,
                              capture_output=True, text=True, timeout=timeout, check=False)
        assert done.returncode == 0, f"{args}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        return done.stdout

    # -I: this environment's own copy (editable or not) is seen by pip and left alone.
    run("-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", "-I",
        "--quiet", sdist)
    where = run("-c", "import backpain_cli; print(backpain_cli.__file__)").strip()
    assert Path(where).is_relative_to(tmp_path / "venv"), where
    assert (tmp_path / "venv" / "bin" / "backpain").is_file()

    out = run("-m", "pytest", "-p", "no:cacheprovider", "-n", "0", "-q",
              "--rootdir", tree, "-c", tree / "pyproject.toml",
              *(tree / "tests" / name for name in SUBSET), timeout=900)
    summary = out.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, out

    # From the top of the unpacked tree `python -m` puts the tree first on sys.path, so the
    # backpain_cli/ there is imported, not the installed copy; it has no backpain_cli.data
    # or backpain_cli.questionnaires subpackage (pyproject maps those folders when
    # installing). Issue 17: `python -m backpain_cli assess --demo` ended in a traceback
    # there, and `python -m pytest` too.
    home = tmp_path / "home"
    at_top = {k: v for k, v in env.items() if k != "PYTHONSAFEPATH"}
    at_top["BACKPAIN_HOME"] = str(home)
    for args, expect in (
            (("-m", "backpain_cli", "assess", "--demo"), "Plan for DEMO-001"),
            (("-m", "pytest", "-p", "no:cacheprovider", "-n", "0", "-q", "--co"), "collected"),
            (("-m", "pytest", "-p", "no:cacheprovider", "-n", "0", "-q",
              "tests/test_examples.py"), " passed")):
        done = subprocess.run([python, *args], cwd=tree, env=at_top, capture_output=True,
                              text=True, timeout=300, check=False)
        assert done.returncode == 0, f"{args}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        assert expect in done.stdout, done.stdout
        assert "Traceback" not in done.stderr, done.stderr
    assert not home.exists()
