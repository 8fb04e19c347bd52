"""The life cycles of campaigns and petitions."""

from enum import StrEnum


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class PetitionStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


# What anyone, signed in or not, may read. Everything else is visible only to the organisation's people.
PUBLIC_CAMPAIGN_STATUSES = frozenset({CampaignStatus.PUBLISHED})
PUBLIC_PETITION_STATUSES = frozenset({PetitionStatus.OPEN, PetitionStatus.CLOSED})
