"""The stock ledger: how many units of each SKU are in the warehouse."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from inventory.errors import NotFoundError, OutOfStockError, ValidationError

logger = logging.getLogger(__name__)


class StockLedger:
    """Units in stock per SKU, changed only through `add` and `remove`."""

    def __init__(self, initial: dict[str, int] | None = None) -> None:
        self._quantities: dict[str, int] = {}
        for sku, quantity in (initial or {}).items():
            self.add(sku, quantity)

    def add(self, sku: str, quantity: int) -> int:
        """Add units of an SKU.

        Args:
            sku: The item's code.
            quantity: Units received (positive).

        Returns:
            The new quantity in stock.

        Raises:
            ValidationError: If the quantity is not positive.
        """
        if quantity <= 0:
            raise ValidationError(f"{sku}: can only add a positive quantity (got {quantity})")
        self._quantities[sku] = self._quantities.get(sku, 0) + quantity
        logger.info("added %d x %s (now %d)", quantity, sku, self._quantities[sku])
        return self._quantities[sku]

    def remove(self, sku: str, quantity: int) -> int:
        """Take units of an SKU out of stock.

        Args:
            sku: The item's code.
            quantity: Units taken (positive).

        Returns:
            The quantity left in stock.

        Raises:
            NotFoundError: If the SKU was never stocked.
            OutOfStockError: If fewer units than asked for are in stock.
        """
        if sku not in self._quantities:
            raise NotFoundError(f"unknown SKU {sku}")
        if quantity > self._quantities[sku]:
            raise OutOfStockError(f"{sku}: {quantity} asked, {self._quantities[sku]} in stock")
        self._quantities[sku] -= quantity
        logger.info("removed %d x %s (now %d)", quantity, sku, self._quantities[sku])
        return self._quantities[sku]

    def quantity(self, sku: str) -> int:
        """Units of an SKU in stock (0 for an SKU never stocked).

        Args:
            sku: The item's code.

        Returns:
            The quantity in stock.
        """
        return self._quantities.get(sku, 0)

    def skus(self) -> list[str]:
        """Every SKU ever stocked, sorted."""
        return sorted(self._quantities)


def total_units(ledger: StockLedger, skus: Iterable[str]) -> int:
    """Units in stock over several SKUs.

    Args:
        ledger: The ledger to read.
        skus: The SKUs to count.

    Returns:
        The sum of their quantities.
    """
    return sum(ledger.quantity(sku) for sku in skus)
