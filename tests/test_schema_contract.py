"""The contract schema-first clients code against: schema.graphql and the operation documents in graphql/."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema, parse, validate

from campaign_api.schema import schema

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = sorted((ROOT / "graphql").glob("*.graphql"))


def test_schema_file_matches_the_code():
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == schema.as_str() + "\n", (
        "schema.graphql is out of date: run `make schema` (campaign-api export-schema) and commit it"
    )


def test_the_frontend_operations_exist():
    names = {document.stem for document in DOCUMENTS}
    assert {"PetitionPage", "CampaignList", "SignPetition"} <= names


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_operation_document_is_valid_against_the_committed_schema(document: Path):
    committed_schema = build_schema((ROOT / "schema.graphql").read_text())
    errors = validate(committed_schema, parse(document.read_text()))
    assert errors == [], [error.message for error in errors]


def test_graphql_folder_holds_only_operation_documents():
    # A graphql/__init__.py (or any module there) would shadow graphql-core for everyone importing it.
    strays = [path.name for path in (ROOT / "graphql").iterdir() if path.suffix != ".graphql"]
    assert strays == []
