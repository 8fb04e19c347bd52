"""``campaign-api identities``, ``sessions`` and ``seed --demo``, run as the console script a person runs, against a
migrated SQLite file. What the commands print is checked against what the embedded store then accepts."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from campaign_api.db.database import Database
from campaign_api.identity.credentials import CredentialKind, Credentials
from campaign_api.identity.demo_users import DEMO_USERS
from campaign_api.identity.embedded import EmbeddedProvider, list_identities
from campaign_api.identity.provider import InvalidSession
from campaign_api.identity.viewer import Viewer
from campaign_api.settings import Settings
from tests.conftest import running_server

CLI = Path(sys.executable).parent / "campaign-api"
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class Store:
    """A migrated SQLite file of this test's own, and how to run the CLI on it."""

    path: Path
    url: str
    env: dict[str, str]

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(CLI), *args],
            env={**self.env, **env},
            cwd=self.path.parent,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def ok(self, *args: str, **env: str) -> str:
        result = self.run(*args, **env)
        assert result.returncode == 0, (result.stdout, result.stderr)
        return result.stdout

    def resolve(self, token: str) -> Viewer:
        async def resolve() -> Viewer:
            database = Database(self.url)
            try:
                return await EmbeddedProvider(database).resolve(Credentials(CredentialKind.SESSION_TOKEN, token))
            finally:
                await database.dispose()

        return asyncio.run(resolve())

    def is_refused(self, token: str) -> bool:
        try:
            self.resolve(token)
        except InvalidSession:
            return True
        return False

    def identities(self) -> list[tuple[str, str, str]]:
        async def load() -> list[tuple[str, str, str]]:
            database = Database(self.url)
            try:
                return [(row.email, row.name, row.state) for row in await list_identities(database)]
            finally:
                await database.dispose()

        return asyncio.run(load())


def _environment(url: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("CAMPAIGN_API_")}
    return {**env, "CAMPAIGN_API_DATABASE_URL": url}


def _url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="module")
def migrated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh SQLite file brought to the newest schema by ``campaign-api migrate``; each test gets a copy."""
    path = tmp_path_factory.mktemp("cli-template") / "template.sqlite3"
    result = subprocess.run(
        [str(CLI), "migrate"], env=_environment(_url(path)), capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "migrated to revision" in result.stderr
    return path


@pytest.fixture
def store(migrated_file: Path, tmp_path: Path) -> Store:
    path = tmp_path / "campaign_api.sqlite3"
    for suffix in ("", "-wal"):  # a write-ahead log left behind holds part of the schema: copy it along
        if Path(f"{migrated_file}{suffix}").exists():
            shutil.copyfile(f"{migrated_file}{suffix}", f"{path}{suffix}")
    return Store(path, _url(path), _environment(_url(path)))


# --- identities -----------------------------------------------------------------------------------------------------


def test_identities_create_then_list_shows_it(store: Store) -> None:
    created = store.ok("identities", "create", "--email", "Ada@Example.org", "--name", "Ada Lovelace")

    identity_id, email, state = created.strip().split("\t")
    assert re.fullmatch(r"[0-9a-f-]{36}", identity_id)
    assert (email, state) == ("ada@example.org", "active")
    listed = store.ok("identities", "list").strip().splitlines()
    assert listed == [f"{identity_id}\tada@example.org\tactive\tAda Lovelace"]


def test_identities_create_inactive(store: Store) -> None:
    store.ok("identities", "create", "--email", "gone@example.org", "--inactive")

    assert store.identities() == [("gone@example.org", "", "inactive")]
    token = store.ok("sessions", "create", "--email", "gone@example.org").strip()
    assert store.is_refused(token)


def test_a_duplicate_identity_exits_1_with_a_message(store: Store) -> None:
    store.ok("identities", "create", "--email", "ada@example.org", "--name", "Ada")

    result = store.run("identities", "create", "--email", "ADA@example.org", "--name", "Another Ada")

    assert result.returncode == 1
    assert "ada@example.org" in result.stderr
    assert "exists already" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert store.identities() == [("ada@example.org", "Ada", "active")]


# --- sessions -------------------------------------------------------------------------------------------------------


def test_sessions_create_prints_a_token_the_store_accepts(store: Store) -> None:
    store.ok("identities", "create", "--email", "ada@example.org", "--name", "Ada Lovelace")

    result = store.run("sessions", "create", "--email", "ada@example.org", "--ttl", "2h")

    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert result.stdout == token + "\n"  # stdout carries the token alone, so `$(campaign-api sessions create)` works
    assert TOKEN.fullmatch(token)
    assert "session" in result.stderr
    viewer = store.resolve(token)
    assert viewer.email == "ada@example.org"
    assert viewer.name == "Ada Lovelace"
    assert viewer.authenticator_assurance_level == "aal1"
    assert viewer.session_expires_at is not None
    remaining = viewer.session_expires_at - datetime.now(UTC)
    assert timedelta(hours=2) - timedelta(minutes=1) < remaining <= timedelta(hours=2)


def test_sessions_create_without_ttl_uses_the_setting_and_takes_an_aal(store: Store) -> None:
    store.ok("identities", "create", "--email", "ada@example.org")

    token = store.ok(
        "sessions",
        "create",
        "--email",
        "ada@example.org",
        "--aal",
        "aal2",
        CAMPAIGN_API_EMBEDDED_SESSION_TTL_SECONDS="900",
    ).strip()

    viewer = store.resolve(token)
    assert viewer.authenticator_assurance_level == "aal2"
    assert viewer.session_expires_at is not None
    remaining = viewer.session_expires_at - datetime.now(UTC)
    assert timedelta(minutes=14) < remaining <= timedelta(minutes=15)


@pytest.mark.parametrize(
    ("ttl", "message"),
    [
        pytest.param("10s", "from a minute to a year", id="10s"),
        pytest.param("59", "from a minute to a year", id="59 seconds"),
        pytest.param("-5h", "from a minute to a year", id="negative"),
        pytest.param("xyz", "not a duration", id="xyz"),
        pytest.param("2x", "not a duration", id="unknown unit"),
    ],
)
def test_sessions_create_refuses_a_bad_ttl(store: Store, ttl: str, message: str) -> None:
    result = store.run("sessions", "create", "--email", "ada@example.org", f"--ttl={ttl}")

    assert result.returncode == 2  # argparse's usage error
    assert message in result.stderr
    assert "--ttl" in result.stderr
    assert result.stdout == ""


def test_sessions_create_for_an_unknown_email_exits_1(store: Store) -> None:
    result = store.run("sessions", "create", "--email", "nobody@example.org", "--ttl", "1h")

    assert result.returncode == 1
    assert "nobody@example.org" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_sessions_revoke_by_token_refuses_that_token_only(store: Store) -> None:
    store.ok("identities", "create", "--email", "ada@example.org")
    revoked = store.ok("sessions", "create", "--email", "ada@example.org", "--ttl", "1h").strip()
    kept = store.ok("sessions", "create", "--email", "ada@example.org", "--ttl", "1h").strip()
    assert not store.is_refused(revoked)

    result = store.run("sessions", "revoke", "--token", revoked)

    assert result.returncode == 0, result.stderr
    assert "revoked 1 session" in result.stderr
    assert store.is_refused(revoked)
    assert not store.is_refused(kept)


def test_sessions_revoke_by_email_refuses_all_of_them(store: Store) -> None:
    store.ok("identities", "create", "--email", "ada@example.org")
    tokens = [store.ok("sessions", "create", "--email", "ada@example.org").strip() for _ in range(2)]

    result = store.run("sessions", "revoke", "--email", "ada@example.org")

    assert result.returncode == 0, result.stderr
    assert "revoked 2 session" in result.stderr
    assert all(store.is_refused(token) for token in tokens)


@pytest.mark.parametrize(
    "selectors",
    [pytest.param([], id="none"), pytest.param(["--token", "t", "--email", "ada@example.org"], id="two")],
)
def test_sessions_revoke_needs_exactly_one_selector(store: Store, selectors: list[str]) -> None:
    result = store.run("sessions", "revoke", *selectors)

    assert result.returncode == 2
    assert "--token" in result.stderr


# --- seed --demo ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrintedPerson:
    token: str
    headers: dict[str, str]
    curl: str


def printed_people(stdout: str) -> dict[str, PrintedPerson]:
    """Each demo person's block of ``seed --demo`` output, by email."""
    people = {}
    blocks = re.findall(
        r"^(?P<name>[^\n<]+) <(?P<email>[^>\n]+)>: [^\n]*\n"
        r"  session token:  (?P<token>\S+)  \(until [^)]+\)\n"
        r"  GraphiQL headers: (?P<headers>\{[^\n]*\})\n"
        r"  curl: (?P<curl>[^\n]+)$",
        stdout,
        flags=re.MULTILINE,
    )
    for _name, email, token, headers, curl in blocks:
        people[email] = PrintedPerson(token, json.loads(headers), curl)
    return people


def test_seed_demo_prints_a_working_session_for_every_demo_person(store: Store) -> None:
    result = store.run("seed", "--demo")

    assert result.returncode == 0, result.stderr
    people = printed_people(result.stdout)
    assert set(people) == {user.email for user in DEMO_USERS}
    assert len(DEMO_USERS) == 7
    tokens = [person.token for person in people.values()]
    assert len(set(tokens)) == 7
    for user in DEMO_USERS:
        person = people[user.email]
        assert TOKEN.fullmatch(person.token)
        assert f"{user.name} <{user.email}>" in result.stdout
        assert person.headers == {"Authorization": f"Bearer {person.token}"}
        curl = shlex.split(person.curl)
        assert curl[0] == "curl"
        assert "http://127.0.0.1:8000/graphql" in curl
        assert curl[curl.index("-H", curl.index("-H") + 1) + 1] == f"Authorization: Bearer {person.token}"
        assert "viewer" in json.loads(curl[curl.index("-d") + 1])["query"]
        viewer = store.resolve(person.token)
        assert viewer.email == user.email
        assert viewer.name == user.name


def test_seed_demo_twice_creates_no_duplicate_identities(store: Store) -> None:
    first = printed_people(store.ok("seed", "--demo"))
    second = printed_people(store.ok("seed", "--demo"))

    identities = store.identities()
    assert sorted(email for email, _name, _state in identities) == sorted(user.email for user in DEMO_USERS)
    assert set(first) == set(second)
    for email in first:
        assert first[email].token != second[email].token  # a fresh session each time; the first still works
        assert store.resolve(first[email].token).email == email
        assert store.resolve(second[email].token).email == email


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_the_printed_curl_line_acts_as_the_demo_person(store: Store) -> None:
    with running_server(Settings(database_url=store.url)) as base_url:
        port = base_url.rsplit(":", 1)[1]
        people = printed_people(store.ok("seed", "--demo", CAMPAIGN_API_PORT=port))
        oscar = people["oscar@example.net"]

        result = subprocess.run(shlex.split(oscar.curl), capture_output=True, text=True, timeout=30, check=False)

    assert result.returncode == 0, result.stderr
    viewer = json.loads(result.stdout)["data"]["viewer"]
    assert viewer["email"] == "oscar@example.net"
    assert viewer["name"] == "Oscar Osei"


def test_sessions_create_refuses_an_absurdly_long_ttl_without_a_traceback(store: Store) -> None:
    store.ok("identities", "create", "--email", "ada@example.org")

    result = store.run("sessions", "create", "--email", "ada@example.org", "--ttl", "100000000d")

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
