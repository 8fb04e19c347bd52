"""Relation tuples: ``namespace:object#relation@subject``, the facts permissions are decided from.

A subject is a plain id, or a subject set ``namespace:object#relation``. With typed (OPL) namespaces a user is the
subject set with an empty relation, ``User:alice``; an organisation as the parent of a campaign is likewise
``Organisation:o1``. To check a permit, put its name in the relation: ``Campaign:c1#edit@User:alice``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True, order=True)
class SubjectSet:
    namespace: str
    object: str
    relation: str = ""

    def __str__(self) -> str:
        return f"{self.namespace}:{self.object}" + (f"#{self.relation}" if self.relation else "")


Subject = str | SubjectSet


def user(identity_id: str) -> SubjectSet:
    return SubjectSet("User", identity_id)


@dataclass(frozen=True, slots=True)
class RelationTuple:
    namespace: str
    object: str
    relation: str
    subject: Subject

    def __str__(self) -> str:
        return f"{self.namespace}:{self.object}#{self.relation}@{self.subject}"

    @classmethod
    def parse(cls, text: str) -> RelationTuple:
        """The inverse of ``str()``: ``Campaign:c1#editors@User:alice`` or ``Doc:d#readers@alice``."""
        try:
            head, subject_text = text.split("@", 1)
            namespace, rest = head.split(":", 1)
            object_, relation = rest.rsplit("#", 1)
        except ValueError:
            raise ValueError(f"not a relation tuple: {text!r}") from None
        return cls(namespace, object_, relation, _parse_subject(subject_text))

    def to_json(self) -> dict[str, Any]:
        """Keto's REST form."""
        body: dict[str, Any] = {"namespace": self.namespace, "object": self.object, "relation": self.relation}
        return body | subject_json(self.subject)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> RelationTuple:
        return cls(body["namespace"], body["object"], body["relation"], subject_from_json(body))


def _parse_subject(text: str) -> Subject:
    if ":" not in text:
        return text
    namespace, rest = text.split(":", 1)
    object_, _, relation = rest.partition("#")
    return SubjectSet(namespace, object_, relation)


def subject_json(subject: Subject) -> dict[str, Any]:
    if isinstance(subject, SubjectSet):
        return {"subject_set": {"namespace": subject.namespace, "object": subject.object, "relation": subject.relation}}
    return {"subject_id": subject}


def subject_from_json(body: dict[str, Any]) -> Subject:
    subject_set = body.get("subject_set")
    if subject_set:
        return SubjectSet(subject_set["namespace"], subject_set["object"], subject_set.get("relation") or "")
    return body["subject_id"]


@dataclass(frozen=True, slots=True)
class TupleQuery:
    """Which stored tuples to list or delete: every field that is set must match."""

    namespace: str | None = None
    object: str | None = None
    relation: str | None = None
    subject: Subject | None = None

    def matches(self, candidate: RelationTuple) -> bool:
        return all(
            wanted is None or wanted == actual
            for wanted, actual in (
                (self.namespace, candidate.namespace),
                (self.object, candidate.object),
                (self.relation, candidate.relation),
                (self.subject, candidate.subject),
            )
        )
