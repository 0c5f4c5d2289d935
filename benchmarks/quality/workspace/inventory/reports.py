"""Plain-text reports on the stock."""

from __future__ import annotations

import logging

from inventory.models import Item

logger = logging.getLogger(__name__)


def low_stock(items: list[Item], threshold: int) -> list[Item]:
    """The items with fewer units than a threshold, fewest first.

    Args:
        items: The items to look at.
        threshold: The quantity below which an item is low.

    Returns:
        The low items, sorted by quantity then SKU.
    """
    low = [item for item in items if item.quantity < threshold]
    logger.debug("%d of %d items below %d", len(low), len(items), threshold)
    return sorted(low, key=lambda item: (item.quantity, item.sku))


def format_report(items: list[Item]) -> str:
    """A fixed-width table of items: SKU, quantity and value.

    Args:
        items: The items to list.

    Returns:
        The table, one line per item, ending with a total line.
    """
    lines = [f"{item.sku:<10} {item.quantity:>6} {item.value_cents / 100:>10.2f}" for item in items]
    total = sum(item.value_cents for item in items)
    lines.append(f"{'TOTAL':<10} {'':>6} {total / 100:>10.2f}")
    return "\n".join(lines)
