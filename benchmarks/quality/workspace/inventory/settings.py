"""The package's settings, read from the environment."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from inventory.errors import ValidationError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    """Where the data lives and when stock counts as low.

    Attributes:
        data_dir: The folder holding the CSV exports.
        low_stock_threshold: Units below which an item is reported as low.
    """

    data_dir: str = "data"
    low_stock_threshold: int = 5

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from `INVENTORY_DATA_DIR` and `INVENTORY_LOW_STOCK`.

        Args:
            environ: The variables to read; the process environment by default.

        Returns:
            The settings, defaults filling what is not set.

        Raises:
            ValidationError: If `INVENTORY_LOW_STOCK` is not a non-negative integer.
        """
        env = os.environ if environ is None else environ
        raw = env.get("INVENTORY_LOW_STOCK", str(cls.low_stock_threshold))
        if not raw.isdigit():
            raise ValidationError(f"INVENTORY_LOW_STOCK must be a non-negative integer (got {raw!r})")
        settings = cls(data_dir=env.get("INVENTORY_DATA_DIR", cls.data_dir), low_stock_threshold=int(raw))
        logger.debug("settings: %s", settings)
        return settings
