"""Business rules that do not depend on GraphQL: signing, deduplication, visibility, pagination."""
