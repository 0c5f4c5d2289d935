"""Prices: discounts and totals, always in integer cents."""

from __future__ import annotations

import logging

from inventory.errors import ValidationError
from inventory.models import Item

logger = logging.getLogger(__name__)

MAX_DISCOUNT_PERCENT = 90


def apply_discount(price_cents: int, percent: int) -> int:
    """A price with a percentage taken off, rounded to the nearest cent.

    Args:
        price_cents: The full price, in cents.
        percent: The discount, from 0 to `MAX_DISCOUNT_PERCENT`.

    Returns:
        The discounted price, in cents.

    Raises:
        ValidationError: If the discount is out of range.
    """
    if not 0 <= percent <= MAX_DISCOUNT_PERCENT:
        raise ValidationError(f"discount must be 0..{MAX_DISCOUNT_PERCENT}% (got {percent})")
    discounted = round(price_cents * (100 - percent) / 100)
    logger.debug("discount %d%% on %d -> %d", percent, price_cents, discounted)
    return discounted


def order_total_cents(items: list[Item], quantities: dict[str, int]) -> int:
    """The total of an order.

    Args:
        items: The catalogue.
        quantities: Units ordered per SKU.

    Returns:
        The order's total, in cents.

    Raises:
        ValidationError: If an ordered SKU is not in the catalogue.
    """
    prices = {item.sku: item.unit_price_cents for item in items}
    unknown = sorted(set(quantities) - set(prices))
    if unknown:
        raise ValidationError(f"not in the catalogue: {', '.join(unknown)}")
    return sum(prices[sku] * count for sku, count in quantities.items())
