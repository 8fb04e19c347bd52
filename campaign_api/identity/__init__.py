"""Who is asking: the viewer of a request."""

from campaign_api.identity.viewer import ANONYMOUS, Viewer

__all__ = ["ANONYMOUS", "Viewer"]
