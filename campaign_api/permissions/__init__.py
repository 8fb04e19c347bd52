"""What the viewer may do: the OPL model, the engines that evaluate it, and the request's batched decisions."""

from __future__ import annotations

from campaign_api.db.database import Database
from campaign_api.permissions.engine import PermissionEngine
from campaign_api.settings import PermissionEngineName, Settings


def create_permission_engine(settings: Settings, database: Database) -> PermissionEngine:
    """The engine the settings name. The model file is parsed here, so a malformed one stops the app at start."""
    if settings.permission_engine is PermissionEngineName.KETO:
        from campaign_api.permissions.keto import KetoEngine

        assert settings.keto_read_url is not None and settings.keto_write_url is not None  # checked by Settings
        return KetoEngine(
            read_url=settings.keto_read_url,
            write_url=settings.keto_write_url,
            max_batch_size=settings.keto_max_batch_size,
            max_concurrent_batches=settings.keto_max_concurrent_batches,
            max_depth=settings.permission_max_depth,
            timeout_seconds=settings.keto_timeout_seconds,
            retries=settings.keto_retries,
        )
    from campaign_api.permissions.embedded import EmbeddedEngine
    from campaign_api.permissions.opl import load_model

    return EmbeddedEngine(database, load_model(), max_depth=settings.permission_max_depth)
