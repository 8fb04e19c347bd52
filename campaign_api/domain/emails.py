"""Email addresses: whether one is usable, and the form two are compared in."""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

EMAIL_MAX_LENGTH = 254


def is_valid_email(email: str) -> bool:
    """Syntax only (RFC 5321/5322 as email-validator reads them); nobody is asked whether the mailbox exists."""
    if not email or len(email) > EMAIL_MAX_LENGTH:
        return False
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def normalise_email(email: str) -> str:
    """The form two addresses are compared in: trimmed, lower-case, NFC, without a ``+tag`` in the local part."""
    local, _, domain = unicodedata.normalize("NFC", email.strip().lower()).rpartition("@")
    # "+news@example.org" has no tag to remove: its whole local part is the mailbox.
    local = local.split("+", 1)[0] or local
    return f"{local}@{domain}"
