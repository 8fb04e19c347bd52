"""Who is asking: credentials (transport) times providers (strategy), resolved once per request."""

from campaign_api.identity.viewer import ANONYMOUS, Viewer

__all__ = ["ANONYMOUS", "Viewer"]
