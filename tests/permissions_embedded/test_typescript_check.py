"""namespaces.ts type-checks with the real TypeScript compiler, as Keto's type package intends.

``tsc --noEmit --noLib namespaces.ts`` in a folder whose ``node_modules`` holds TypeScript 5 and
``@ory/keto-namespace-types`` (TypeScript 7 fails on that package: TS2318, missing global types). The packages are
pinned in ``opl-typecheck/package.json`` and ``package-lock.json`` and installed here with ``npm ci`` when
``node_modules`` is missing or older than the lock file; in CI that happens once per run.

Without npm the tests skip locally and fail in CI (``CI=true``).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from campaign_api.permissions.opl import MODEL_FILE

TYPECHECK_DIR = Path(__file__).with_name("opl-typecheck")
LOCK_FILE = TYPECHECK_DIR / "package-lock.json"
INSTALLED_MARKER = TYPECHECK_DIR / "node_modules" / ".package-lock.json"
NPM_TIMEOUT_SECONDS = 300
TSC_TIMEOUT_SECONDS = 120


def _needs_install() -> bool:
    return not INSTALLED_MARKER.exists() or INSTALLED_MARKER.stat().st_mtime < LOCK_FILE.stat().st_mtime


def _run(command: list[str], cwd: Path, timeout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="session")
def typecheck_dir() -> Path:
    """The opl-typecheck folder with its pinned packages installed (``npm ci`` when the lock file is newer)."""
    npm = shutil.which("npm")
    if npm is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must type-check namespaces.ts: npm (Node.js) is not on PATH")
        pytest.skip("npm (Node.js) is not on PATH: cannot type-check namespaces.ts with tsc")
    # Another pytest run on the same checkout may be installing at the same moment.
    folder_key = hashlib.sha256(bytes(TYPECHECK_DIR)).hexdigest()[:16]
    with (Path(tempfile.gettempdir()) / f"opl-typecheck-{folder_key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _needs_install():
            installed = _run([npm, "ci", "--no-audit", "--no-fund"], TYPECHECK_DIR, NPM_TIMEOUT_SECONDS)
            if installed.returncode != 0:
                pytest.fail(f"npm ci failed in {TYPECHECK_DIR}:\n{installed.stdout}\n{installed.stderr}")
    return TYPECHECK_DIR


@pytest.fixture
def checked_copy(typecheck_dir: Path) -> Iterator[Path]:
    """A folder inside opl-typecheck, so that the copy resolves ``@ory/keto-namespace-types`` from its node_modules."""
    folder = Path(tempfile.mkdtemp(prefix=".check-", dir=typecheck_dir))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def tsc(typecheck_dir: Path, model: Path) -> subprocess.CompletedProcess[str]:
    npx = shutil.which("npx")
    assert npx is not None, "npm is on PATH but npx is not"
    # --no: the pinned local compiler, never a download; --: every later flag is for tsc, not npx.
    return _run(
        [npx, "--no", "--", "tsc", "--noEmit", "--noLib", str(model.relative_to(typecheck_dir))],
        typecheck_dir,
        TSC_TIMEOUT_SECONDS,
    )


def test_the_pinned_compiler_is_typescript_5(typecheck_dir: Path) -> None:
    npx = shutil.which("npx")
    assert npx is not None
    version = _run([npx, "--no", "--", "tsc", "--version"], typecheck_dir, TSC_TIMEOUT_SECONDS)
    assert version.returncode == 0, version.stderr
    assert re.fullmatch(r"Version 5\.\d+\.\d+", version.stdout.strip()), version.stdout


def test_the_project_model_type_checks(typecheck_dir: Path, checked_copy: Path) -> None:
    model = checked_copy / "namespaces.ts"
    shutil.copyfile(MODEL_FILE, model)

    result = tsc(typecheck_dir, model)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


BROKEN_MODELS = [
    # id, text in namespaces.ts, replacement, TypeScript error code
    ("misspelt permit", "o.permits.view_campaigns(ctx)", "o.permits.approve_campaigns(ctx)", "TS2339"),
    # A near miss gets TypeScript's "did you mean" variant of the same error.
    ("near-miss permit", "o.permits.view_campaigns(ctx)", "o.permits.view_campaign(ctx)", "TS2551"),
    ("misspelt own permit", "c.permits.view(ctx)", "c.permits.look(ctx)", "TS2339"),
    ("misspelt relation", "this.related.viewers.includes", "this.related.agency.includes", "TS2339"),
    ("undeclared namespace", "organisation: Organisation[]", "organisation: Company[]", "TS2304"),
]


@pytest.mark.parametrize(
    ("original", "replacement", "code"), [case[1:] for case in BROKEN_MODELS], ids=[case[0] for case in BROKEN_MODELS]
)
def test_a_broken_model_fails_with_the_typescript_error(
    typecheck_dir: Path, checked_copy: Path, original: str, replacement: str, code: str
) -> None:
    source = MODEL_FILE.read_text()
    assert original in source
    model = checked_copy / "namespaces.ts"
    model.write_text(source.replace(original, replacement, 1))

    result = tsc(typecheck_dir, model)

    assert result.returncode != 0
    assert f"error {code}:" in result.stdout, result.stdout + result.stderr
    line = source[: source.index(original)].count("\n") + 1
    assert f"namespaces.ts({line}," in result.stdout, result.stdout
