"""The rules a signature must meet before it is stored.

Each rule answers with a ``FieldProblem`` (field, code, message) rather than raising, so the mutation can report
every problem in one answer as ``userErrors``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

import pycountry

from campaign_api.domain.emails import EMAIL_MAX_LENGTH, is_valid_email, normalise_email

NAME_MAX_LENGTH = 100
COMMENT_MAX_LENGTH = 1000

# A leading = + - @ turns a cell into a formula when signatures are exported to a spreadsheet.
_FORMULA_PREFIXES = ("=", "+", "-", "@")
# Names are for people, not links: a scheme, "www." or a host under a common top-level domain is refused. The
# top-level domain must be all lower or all upper case, so "Dr.De Souza" is a name and "spam.com" is not.
_COMMON_TLDS = (  # noqa: SIM905 (a list of words reads better as words)
    "com net org info biz io co ru cn xyz top site online me ly gl uk de fr us tk ml ga cf app dev shop click link"
).split()
_URL_IN_NAME = re.compile(
    r"(?i:[a-z][a-z0-9+.-]*://|www\.)"
    rf"|[A-Za-z0-9-]{{2,}}\.(?:{'|'.join(_COMMON_TLDS + [tld.upper() for tld in _COMMON_TLDS])})\b"
)
_COUNTRY_CODES = frozenset(country.alpha_2 for country in pycountry.countries)


class ProblemCode(StrEnum):
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID = "INVALID"
    NOT_ALLOWED = "NOT_ALLOWED"


@dataclass(frozen=True, slots=True)
class FieldProblem:
    field: str
    code: ProblemCode
    message: str


@dataclass(frozen=True, slots=True)
class SignatureInput:
    """A signature as the signer typed it."""

    name: str
    email: str
    country: str | None = None
    comment: str | None = None
    consent_to_contact: bool = False


@dataclass(frozen=True, slots=True)
class CleanSignature:
    """A signature that passed every rule, in the form it is stored."""

    name: str
    email: str
    email_normalised: str
    country: str | None
    comment: str | None
    consent_to_contact: bool


# Bidirectional overrides and isolates can disguise text in exports and admin screens. Other format characters
# (the zero-width joiners of Persian or Indic names, say) are ordinary parts of names.
# Invisible characters that carry no meaning in a name (zero-width space, word joiner, byte-order mark, and the tag
# characters that can smuggle hidden text) are refused with them.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_INVISIBLE = frozenset("\u200b\u2060\ufeff")


def _has_control_characters(text: str) -> bool:
    return any(
        unicodedata.category(char) == "Cc"
        or char in _BIDI_CONTROLS
        or char in _INVISIBLE
        or "\U000e0000" <= char <= "\U000e007f"
        for char in text
    )


def _name_problems(name: str) -> list[FieldProblem]:
    if not name:
        return [FieldProblem("name", ProblemCode.REQUIRED, "Enter your name.")]
    if len(name) > NAME_MAX_LENGTH:
        return [FieldProblem("name", ProblemCode.TOO_LONG, f"Use at most {NAME_MAX_LENGTH} characters.")]
    if name.startswith(_FORMULA_PREFIXES):
        return [FieldProblem("name", ProblemCode.NOT_ALLOWED, "A name cannot start with = + - or @.")]
    if _URL_IN_NAME.search(name):
        return [FieldProblem("name", ProblemCode.NOT_ALLOWED, "A name cannot contain a web address.")]
    if _has_control_characters(name):
        return [FieldProblem("name", ProblemCode.INVALID, "A name cannot contain control characters.")]
    return []


def _email_problems(email: str) -> list[FieldProblem]:
    if not email:
        return [FieldProblem("email", ProblemCode.REQUIRED, "Enter your email address.")]
    if len(email) > EMAIL_MAX_LENGTH:
        return [FieldProblem("email", ProblemCode.TOO_LONG, f"Use at most {EMAIL_MAX_LENGTH} characters.")]
    if not is_valid_email(email):
        return [FieldProblem("email", ProblemCode.INVALID, "Enter a valid email address, like name@example.org.")]
    return []


def _country_problems(country: str | None) -> list[FieldProblem]:
    if country is None or country in _COUNTRY_CODES:
        return []
    return [FieldProblem("country", ProblemCode.INVALID, "Use a two-letter ISO 3166 country code, like GB or DE.")]


def _comment_problems(comment: str | None) -> list[FieldProblem]:
    if comment is None:
        return []
    if len(comment) > COMMENT_MAX_LENGTH:
        return [FieldProblem("comment", ProblemCode.TOO_LONG, f"Use at most {COMMENT_MAX_LENGTH} characters.")]
    if _has_control_characters(comment.replace("\n", "").replace("\t", "").replace("\r", "")):
        return [FieldProblem("comment", ProblemCode.INVALID, "A comment cannot contain control characters.")]
    return []


def clean_signature(raw: SignatureInput) -> CleanSignature | list[FieldProblem]:
    """Apply every rule; the clean signature, or every problem found."""
    name = raw.name.strip()
    email = raw.email.strip()
    country = raw.country.strip().upper() or None if raw.country is not None else None
    comment = raw.comment.strip() or None if raw.comment is not None else None
    problems = [
        *_name_problems(name),
        *_email_problems(email),
        *_country_problems(country),
        *_comment_problems(comment),
    ]
    if problems:
        return problems
    return CleanSignature(
        name=name,
        email=email,
        email_normalised=normalise_email(email),
        country=country,
        comment=comment,
        consent_to_contact=raw.consent_to_contact,
    )
