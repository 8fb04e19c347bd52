"""The embedded permission engine: Keto's check semantics over tuples in the application database."""

from campaign_api.permissions.embedded.engine import EmbeddedEngine

__all__ = ["EmbeddedEngine"]
