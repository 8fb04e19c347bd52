"""The root mutation. Mutations answer with a payload; problems with the input are ``userErrors`` in it."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from campaign_api.domain.signature_input import FieldProblem, SignatureInput, clean_signature
from campaign_api.domain.signing import SigningOutcome, sign
from campaign_api.errors import RateLimited
from campaign_api.schema.query import parse_global_id, row_id_of
from campaign_api.schema.types import Info, Petition


@strawberry.enum(description="Why a field of a mutation's input was refused.")
class UserErrorCode(StrEnum):
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID = "INVALID"
    NOT_ALLOWED = "NOT_ALLOWED"
    NOT_FOUND = "NOT_FOUND"
    PETITION_CLOSED = "PETITION_CLOSED"
    TAKEN = "TAKEN"
    LAST_OWNER = "LAST_OWNER"


@strawberry.type(description="A problem with one field of a mutation's input, to show next to that field.")
class UserError:
    field: str = strawberry.field(description="The input field, as named in the schema (e.g. `email`).")
    message: str
    code: UserErrorCode

    @classmethod
    def from_problem(cls, problem: FieldProblem) -> UserError:
        return cls(field=problem.field, message=problem.message, code=UserErrorCode(problem.code))


@strawberry.input
class SignPetitionInput:
    petition_id: strawberry.ID
    name: str
    email: str
    country: str | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 code, e.g. GB.")
    comment: str | None = None
    consent_to_contact: bool = False


@strawberry.type(
    description="The answer to signPetition. A repeated signature by the same person gets the same answer as the "
    "first, so the answer never reveals whether an address has signed."
)
class SignPetitionPayload:
    petition: Petition | None
    user_errors: list[UserError]


def _refused(field: str, message: str, code: UserErrorCode) -> SignPetitionPayload:
    return SignPetitionPayload(petition=None, user_errors=[UserError(field=field, message=message, code=code)])


@strawberry.type
class SigningMutation:
    @strawberry.mutation(description="Sign an open petition of a published campaign.")
    async def sign_petition(self, info: Info, input: SignPetitionInput) -> SignPetitionPayload:
        context = info.context
        petition_id = row_id_of(parse_global_id(input.petition_id, field="petitionId"), "Petition")
        if petition_id is None:
            return _refused("petitionId", "There is no such petition.", UserErrorCode.NOT_FOUND)
        if not context.services.signature_rate_limiter.attempt((context.client_address, petition_id)):
            raise RateLimited(retryAfterSeconds=int(context.settings.signature_rate_window_seconds))

        cleaned = clean_signature(
            SignatureInput(
                name=input.name,
                email=input.email,
                country=input.country,
                comment=input.comment,
                consent_to_contact=input.consent_to_contact,
            )
        )
        if isinstance(cleaned, list):
            return SignPetitionPayload(petition=None, user_errors=[UserError.from_problem(p) for p in cleaned])

        async with context.services.database.transaction() as session:
            outcome = await sign(session, context.viewer, petition_id, cleaned)
        if outcome is SigningOutcome.NOT_FOUND:
            return _refused("petitionId", "There is no such petition.", UserErrorCode.NOT_FOUND)
        if outcome is SigningOutcome.CLOSED:
            return _refused("petitionId", "This petition is not open for signatures.", UserErrorCode.PETITION_CLOSED)
        return SignPetitionPayload(petition=await Petition.load(info, petition_id), user_errors=[])
