"""The settings object: keyword arguments and CAMPAIGN_API_* environment variables, validated and frozen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from campaign_api.settings import Environment, Settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No CAMPAIGN_API_* variable from the shell or CI leaks in, and the working directory is a fresh one."""
    for name in list(os.environ):
        if name.upper().startswith("CAMPAIGN_API_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults(clean_environment: Path) -> None:
    settings = Settings()

    assert settings.environment is Environment.DEVELOPMENT
    assert settings.graphiql_enabled is True
    assert settings.introspection_enabled is True
    assert settings.cors_origins == ()
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000
    assert settings.database_url == f"sqlite+aiosqlite:///{clean_environment.resolve() / 'campaign_api.sqlite3'}"
    assert settings.is_sqlite is True


def test_the_default_database_follows_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere").resolve()
    monkeypatch.chdir(elsewhere)

    assert Settings().database_url == f"sqlite+aiosqlite:///{elsewhere / 'campaign_api.sqlite3'}"


@pytest.mark.parametrize(
    ("variables", "graphiql", "introspection"),
    [
        pytest.param({}, True, True, id="development-default"),
        pytest.param({"ENVIRONMENT": "development"}, True, True, id="development"),
        pytest.param({"ENVIRONMENT": "production"}, False, False, id="production"),
        pytest.param({"ENVIRONMENT": "production", "GRAPHIQL": "true"}, True, False, id="production-graphiql-on"),
        pytest.param({"ENVIRONMENT": "production", "INTROSPECTION": "1"}, False, True, id="production-introspection"),
        pytest.param(
            {"ENVIRONMENT": "production", "GRAPHIQL": "yes", "INTROSPECTION": "on"}, True, True, id="production-both-on"
        ),
        pytest.param({"GRAPHIQL": "false", "INTROSPECTION": "0"}, False, False, id="development-both-off"),
    ],
)
def test_graphiql_and_introspection_follow_the_environment_unless_set(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], graphiql: bool, introspection: bool
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(f"CAMPAIGN_API_{name}", value)

    settings = Settings()

    assert settings.graphiql_enabled is graphiql
    assert settings.introspection_enabled is introspection


@pytest.mark.parametrize(
    ("keywords", "graphiql", "introspection"),
    [
        ({"environment": "production"}, False, False),
        ({"environment": Environment.PRODUCTION, "graphiql": True}, True, False),
        ({"environment": "development", "introspection": False}, True, False),
    ],
)
def test_graphiql_and_introspection_from_keyword_arguments(
    keywords: dict[str, object], graphiql: bool, introspection: bool
) -> None:
    settings = Settings(**keywords)  # type: ignore[arg-type]

    assert settings.graphiql_enabled is graphiql
    assert settings.introspection_enabled is introspection


def test_an_unknown_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMPAIGN_API_ENVIRONMENT", "staging")

    with pytest.raises(ValidationError):
        Settings()


def test_fields_are_read_from_prefixed_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMPAIGN_API_DATABASE_URL", "postgresql+asyncpg://campaigns@db/campaigns")
    monkeypatch.setenv("CAMPAIGN_API_PORT", "9000")
    monkeypatch.setenv("CAMPAIGN_API_MAX_QUERY_DEPTH", "12")
    monkeypatch.setenv("CAMPAIGN_API_SIGNATURE_RATE_WINDOW_SECONDS", "1.5")
    monkeypatch.setenv("PORT", "1234")  # unprefixed: not ours

    settings = Settings()

    assert settings.database_url == "postgresql+asyncpg://campaigns@db/campaigns"
    assert settings.is_sqlite is False
    assert settings.port == 9000
    assert settings.max_query_depth == 12
    assert settings.signature_rate_window_seconds == 1.5


def test_keyword_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMPAIGN_API_PORT", "9000")

    assert Settings(port=8080).port == 8080


def test_unknown_prefixed_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMPAIGN_API_TEST_POSTGRES_URL", "postgresql://elsewhere")

    assert Settings().port == 8000


# --- CORS -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "https://app.example.org, https://admin.example.org/",
            ("https://app.example.org", "https://admin.example.org"),
        ),
        ("https://app.example.org", ("https://app.example.org",)),
        ("http://localhost:5173,,  ", ("http://localhost:5173",)),
        ("", ()),
    ],
    ids=["two-with-trailing-slash", "one", "empty-items-skipped", "empty"],
)
def test_cors_origins_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: tuple[str, ...]
) -> None:
    monkeypatch.setenv("CAMPAIGN_API_CORS_ORIGINS", value)

    assert Settings().cors_origins == expected


@pytest.mark.parametrize(
    "value",
    [
        ("https://app.example.org/", "http://localhost:3000"),
        "https://app.example.org/, http://localhost:3000",
    ],
    ids=["tuple", "string"],
)
def test_cors_origins_from_keyword_arguments(value: object) -> None:
    settings = Settings(cors_origins=value)  # type: ignore[arg-type]

    assert settings.cors_origins == ("https://app.example.org", "http://localhost:3000")


@pytest.mark.parametrize(
    "value",
    [
        "*",
        "null",
        "app.example.org",
        "ftp://app.example.org",
        "//app.example.org",
        "https://app.example.org, *",
        "https://app.example.org,null",
    ],
)
def test_cors_origins_must_be_explicit_http_origins(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CAMPAIGN_API_CORS_ORIGINS", value)

    with pytest.raises(ValidationError, match="CORS origins must be explicit"):
        Settings()


@pytest.mark.parametrize("value", [("*",), ("null",), ("app.example.org",)])
def test_cors_origins_keyword_arguments_are_checked_too(value: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError, match="CORS origins must be explicit"):
        Settings(cors_origins=value)


# --- limits ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_query_depth", 0),
        ("max_aliases", -1),
        ("max_tokens", 0),
        ("max_body_bytes", 255),
        ("max_page_size", 0),
        ("default_page_size", 0),
        ("signature_rate_limit", 0),
        ("signature_rate_limit", -5),
        ("signature_rate_window_seconds", 0),
        ("signature_rate_window_seconds", -1.0),
        ("port", -1),
        ("port", 65536),
    ],
)
def test_limits_out_of_range_are_refused(field: str, value: float) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(**{field: value})  # type: ignore[arg-type]

    assert [error["loc"] for error in caught.value.errors()] == [(field,)]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_query_depth", 1),
        ("max_aliases", 0),
        ("max_tokens", 1),
        ("max_body_bytes", 256),
        ("max_page_size", 1),
        ("default_page_size", 1),
        ("signature_rate_limit", 1),
        ("signature_rate_window_seconds", 0.001),
        ("port", 0),
        ("port", 65535),
    ],
)
def test_limits_at_their_bound_are_accepted(field: str, value: float) -> None:
    # The default page size may not exceed the maximum, so the smallest maximum comes with the smallest default.
    companions = {"default_page_size": 1} if field == "max_page_size" else {}
    assert getattr(Settings(**{field: value, **companions}), field) == value  # type: ignore[arg-type]


def test_a_default_page_size_above_the_maximum_is_refused() -> None:
    with pytest.raises(ValidationError, match="DEFAULT_PAGE_SIZE"):
        Settings(max_page_size=10, default_page_size=11)


@pytest.mark.parametrize("value", ["0", "-3", "ten"])
def test_a_bad_limit_in_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CAMPAIGN_API_MAX_QUERY_DEPTH", value)

    with pytest.raises(ValidationError):
        Settings()


# --- frozen ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value"), [("port", 1), ("environment", "production"), ("graphiql", True)])
def test_settings_are_frozen(field: str, value: object) -> None:
    settings = Settings()

    with pytest.raises(ValidationError, match="frozen"):
        setattr(settings, field, value)
    assert getattr(settings, field) == Settings().model_dump()[field]
