"""The rules a signature must meet: every problem is reported as (field, code), never raised."""

from __future__ import annotations

import string
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaign_api.domain.signature_input import (
    COMMENT_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    CleanSignature,
    FieldProblem,
    ProblemCode,
    SignatureInput,
    clean_signature,
    normalise_email,
)

VALID_NAME = "Ada Lovelace"
VALID_EMAIL = "ada@example.org"


def clean(**fields: object) -> CleanSignature | list[FieldProblem]:
    """``clean_signature`` of a valid signature with ``fields`` replaced."""
    values: dict[str, object] = {"name": VALID_NAME, "email": VALID_EMAIL, **fields}
    return clean_signature(SignatureInput(**values))  # type: ignore[arg-type]


def accepted(**fields: object) -> CleanSignature:
    result = clean(**fields)
    assert isinstance(result, CleanSignature), result
    return result


def problems(**fields: object) -> list[tuple[str, ProblemCode]]:
    result = clean(**fields)
    assert isinstance(result, list), result
    for problem in result:
        assert problem.message, problem
    return [(problem.field, problem.code) for problem in result]


def test_a_valid_signature_is_accepted_as_typed() -> None:
    result = accepted(country="GB", comment="Count me in.", consent_to_contact=True)

    assert result == CleanSignature(
        name=VALID_NAME,
        email=VALID_EMAIL,
        email_normalised=VALID_EMAIL,
        country="GB",
        comment="Count me in.",
        consent_to_contact=True,
    )


# --- name -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("A", "A"),
        ("  Ada Lovelace  ", "Ada Lovelace"),
        ("x" * NAME_MAX_LENGTH, "x" * NAME_MAX_LENGTH),
        ("  " + "x" * NAME_MAX_LENGTH + "  ", "x" * NAME_MAX_LENGTH),
    ],
    ids=["one-character", "trimmed", "exactly-max", "max-after-trimming"],
)
def test_a_name_of_1_to_100_characters_after_trimming_is_accepted(name: str, expected: str) -> None:
    assert accepted(name=name).name == expected


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("", ProblemCode.REQUIRED),
        ("   ", ProblemCode.REQUIRED),
        ("\n\t ", ProblemCode.REQUIRED),
        ("x" * (NAME_MAX_LENGTH + 1), ProblemCode.TOO_LONG),
        ("  " + "x" * (NAME_MAX_LENGTH + 1) + "  ", ProblemCode.TOO_LONG),
    ],
    ids=["empty", "spaces-only", "whitespace-only", "max-plus-one", "max-plus-one-trimmed"],
)
def test_a_missing_or_overlong_name_is_refused(name: str, code: ProblemCode) -> None:
    assert problems(name=name) == [("name", code)]


@pytest.mark.parametrize(
    "name",
    [
        "Mary-Jane O'Neil",
        "J. R. R. Tolkien",
        "Zoë Løvås",
        "李小龍",
        "Dr. St.John Smith",
        "José María García-Pérez",
        "Nguyễn Thị Minh Khai",
        "Ólafur Ragnar Grímsson",
        "محمد علي",
        "Anna.Cohen",
        "J.De Souza",
        "Dr.De Souza",
        "Sr.De la Fuente",
        "Ann.Me",
        "R.Ly Tran",
        "John Smith Jr.",
        "Jean-Luc Picard",
        "Smith-",
        "Colin Comerford",
        "Dominic Dean",
    ],
)
def test_ordinary_names_are_accepted(name: str) -> None:
    assert accepted(name=name).name == name


@pytest.mark.parametrize(
    "name",
    [
        "http://x.y",
        "https://",
        "HTTPS://EXAMPLE.ORG",
        "Bob ftp://files",
        "www.example",
        "Buy at WWW.SHOP",
        "visit example.com",
        "spam.ru",
        "EXAMPLE.COM",
        "cheap-pills.xyz today",
        "my.site",
        "bit.ly/abc",
    ],
)
def test_names_containing_a_web_address_are_not_allowed(name: str) -> None:
    assert problems(name=name) == [("name", ProblemCode.NOT_ALLOWED)]


@pytest.mark.parametrize(
    "name",
    ["=SUM(A1:A9)", "+44 20 7946 0000", "-Bob", "@bob", "  =cmd|' /C calc'!A0", "\t+1"],
    ids=["equals", "plus", "minus", "at", "equals-after-spaces", "plus-after-tab"],
)
def test_names_starting_like_a_spreadsheet_formula_are_not_allowed(name: str) -> None:
    assert problems(name=name) == [("name", ProblemCode.NOT_ALLOWED)]


# Control characters (category Cc) and the bidirectional overrides and isolates that can disguise text.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
CONTROL_CHARACTERS = [
    pytest.param("\x00", id="nul"),
    pytest.param("\t", id="tab"),
    pytest.param("\n", id="newline"),
    pytest.param("\r", id="carriage-return"),
    pytest.param("\x1b", id="escape"),
    pytest.param("\x7f", id="delete"),
    pytest.param("\x85", id="next-line"),
    *(pytest.param(char, id=f"bidi-U+{ord(char):04X}") for char in BIDI_CONTROLS),
    pytest.param("\u200b", id="zero-width-space"),
    pytest.param("\u2060", id="word-joiner"),
    pytest.param("\ufeff", id="byte-order-mark"),
    pytest.param("\U000e0041", id="tag-latin-capital-a"),
]


@pytest.mark.parametrize("char", CONTROL_CHARACTERS)
def test_names_with_control_characters_are_invalid(char: str) -> None:
    assert problems(name=f"Ann{char}Lee") == [("name", ProblemCode.INVALID)]


@pytest.mark.parametrize(
    "name",
    ["\u0645\u062d\u0645\u062f\u200c\u0631\u0636\u0627", "\u0915\u094d\u200d\u0937\u093f\u0924\u093f\u091c"],
    ids=["persian-zero-width-non-joiner", "devanagari-zero-width-joiner"],
)
def test_names_with_zero_width_joiners_are_accepted(name: str) -> None:
    assert accepted(name=name).name == name


@given(st.text(max_size=120))
def test_an_accepted_name_is_trimmed_short_and_safe(name: str) -> None:
    result = clean(name=name)
    if isinstance(result, list):
        return
    assert result.name == name.strip()
    assert 1 <= len(result.name) <= NAME_MAX_LENGTH
    assert not result.name.startswith(("=", "+", "-", "@"))
    assert not any(unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS for char in result.name)


# --- email ----------------------------------------------------------------------------------------------------------


def _email_of_length(length: int) -> str:
    local = "a" * 64
    domain_labels = ["b" * 63, "c" * 63]
    rest = length - len(local) - 1 - sum(len(label) + 1 for label in domain_labels) - len("org") - 1
    assert 1 <= rest <= 63
    return f"{local}@{'.'.join([*domain_labels, 'd' * rest, 'org'])}"


def test_an_email_of_exactly_the_maximum_length_is_accepted() -> None:
    email = _email_of_length(EMAIL_MAX_LENGTH)
    assert len(email) == EMAIL_MAX_LENGTH

    assert accepted(email=email).email == email


@pytest.mark.parametrize(
    ("email", "code"),
    [
        ("", ProblemCode.REQUIRED),
        ("   ", ProblemCode.REQUIRED),
        (_email_of_length(EMAIL_MAX_LENGTH + 1), ProblemCode.TOO_LONG),
        ("a" * 300 + "@example.org", ProblemCode.TOO_LONG),
        ("alice", ProblemCode.INVALID),
        ("alice.example.org", ProblemCode.INVALID),
        ("alice smith@example.org", ProblemCode.INVALID),
        ("alice@exa mple.org", ProblemCode.INVALID),
        ("a@b", ProblemCode.INVALID),
        ("a@@example.org", ProblemCode.INVALID),
        ("@example.org", ProblemCode.INVALID),
        ("alice@", ProblemCode.INVALID),
        ("alice@localhost", ProblemCode.INVALID),
        ("alice@example..org", ProblemCode.INVALID),
    ],
)
def test_a_missing_overlong_or_malformed_email_is_refused(email: str, code: ProblemCode) -> None:
    assert problems(email=email) == [("email", code)]


def test_the_email_is_stored_trimmed_as_typed_alongside_its_normalised_form() -> None:
    result = accepted(email="  Alice+News@Example.ORG ")

    assert result.email == "Alice+News@Example.ORG"
    assert result.email_normalised == "alice@example.org"


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("  Alice+News@Example.ORG ", "alice@example.org"),
        ("alice@example.org", "alice@example.org"),
        ("ALICE@EXAMPLE.ORG", "alice@example.org"),
        ("alice+a+b@example.org", "alice@example.org"),
        ("first.last@Mail.Example.COM", "first.last@mail.example.com"),
        ("\talice+x@example.org\n", "alice@example.org"),
        # Without a mailbox before it, the + is the mailbox: two such addresses are different signers.
        ("+news@example.org", "+news@example.org"),
        ("+a@example.org", "+a@example.org"),
        # Composed and decomposed accents are one address.
        ("re\u0301ne@example.org", "r\u00e9ne@example.org"),
    ],
)
def test_normalise_email_trims_lower_cases_and_drops_the_plus_tag(email: str, expected: str) -> None:
    assert normalise_email(email) == expected


def test_addresses_differing_only_by_case_and_tag_normalise_alike() -> None:
    first = accepted(email="Alice+petitions@Example.org")
    second = accepted(email="alice@example.ORG")

    assert first.email_normalised == second.email_normalised


_LOCAL_PART = st.text(alphabet=string.ascii_letters + string.digits + "._+-", min_size=1, max_size=40)
_DOMAIN = st.text(alphabet=string.ascii_letters + string.digits + ".-", min_size=1, max_size=40)
_PADDING = st.text(alphabet=" \t\n", max_size=3)


@given(before=_PADDING, local=_LOCAL_PART, domain=_DOMAIN, after=_PADDING)
def test_normalise_email_is_idempotent(before: str, local: str, domain: str, after: str) -> None:
    once = normalise_email(f"{before}{local}@{domain}{after}")

    assert normalise_email(once) == once
    assert once == once.strip().lower()
    mailbox = local.lower().split("+", 1)[0]
    # The +tag goes, unless nothing stands before it: then the whole local part is the mailbox.
    assert once.rpartition("@")[0] == (mailbox or local.lower())
    assert once.rpartition("@")[2] == domain.lower()


# --- country --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "expected"),
    [(None, None), ("GB", "GB"), ("gb", "GB"), (" de ", "DE"), ("Fr", "FR"), ("", None), ("   ", None)],
)
def test_a_country_is_an_upper_cased_iso_code_or_none(country: str | None, expected: str | None) -> None:
    assert accepted(country=country).country == expected


@pytest.mark.parametrize("country", ["XX", "GBR", "UK", "EU", "G", "G B", "12"])
def test_a_country_that_is_not_an_iso_3166_alpha_2_code_is_invalid(country: str) -> None:
    assert problems(country=country) == [("country", ProblemCode.INVALID)]


# --- comment --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        (None, None),
        ("", None),
        ("   \n\t", None),
        ("  Count me in.  ", "Count me in."),
        ("y" * COMMENT_MAX_LENGTH, "y" * COMMENT_MAX_LENGTH),
        ("  " + "y" * COMMENT_MAX_LENGTH + "  ", "y" * COMMENT_MAX_LENGTH),
    ],
    ids=["none", "empty", "whitespace-only", "trimmed", "exactly-max", "max-after-trimming"],
)
def test_a_comment_of_at_most_1000_characters_is_accepted(comment: str | None, expected: str | None) -> None:
    assert accepted(comment=comment).comment == expected


def test_a_comment_over_1000_characters_is_too_long() -> None:
    assert problems(comment="y" * (COMMENT_MAX_LENGTH + 1)) == [("comment", ProblemCode.TOO_LONG)]


def test_a_comment_may_span_lines_and_keep_tabs() -> None:
    comment = "First line.\r\nSecond line:\n\t- indented"

    assert accepted(comment=comment).comment == comment


@pytest.mark.parametrize(
    "char", [param for param in CONTROL_CHARACTERS if param.id not in ("tab", "newline", "carriage-return")]
)
def test_comments_with_other_control_characters_are_invalid(char: str) -> None:
    assert problems(comment=f"Count{char} me in.") == [("comment", ProblemCode.INVALID)]


# --- the whole signature --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"name": "", "email": "nope"}, [("name", ProblemCode.REQUIRED), ("email", ProblemCode.INVALID)]),
        ({"name": "spam.ru", "country": "XX"}, [("name", ProblemCode.NOT_ALLOWED), ("country", ProblemCode.INVALID)]),
        (
            {"name": "x" * 101, "email": "", "country": "GBR", "comment": "y" * 1001},
            [
                ("name", ProblemCode.TOO_LONG),
                ("email", ProblemCode.REQUIRED),
                ("country", ProblemCode.INVALID),
                ("comment", ProblemCode.TOO_LONG),
            ],
        ),
    ],
    ids=["name-and-email", "name-and-country", "every-field"],
)
def test_every_problem_is_reported_at_once(fields: dict[str, object], expected: list[tuple[str, ProblemCode]]) -> None:
    assert problems(**fields) == expected


@pytest.mark.parametrize("consent", [True, False])
def test_consent_to_contact_is_carried_through(consent: bool) -> None:
    assert accepted(consent_to_contact=consent).consent_to_contact is consent


def test_consent_to_contact_defaults_to_no() -> None:
    result = clean_signature(SignatureInput(name=VALID_NAME, email=VALID_EMAIL))

    assert isinstance(result, CleanSignature)
    assert result.consent_to_contact is False
