"""The inventory's records: items and the locations that hold them."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from inventory.errors import ValidationError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Item:
    """One stock-keeping unit.

    Attributes:
        sku: The item's code, e.g. "AB-1234".
        name: A human-readable name.
        quantity: Units in stock (never negative).
        unit_price_cents: Price of one unit, in cents.
    """

    sku: str
    name: str
    quantity: int
    unit_price_cents: int

    def __post_init__(self) -> None:
        if self.quantity < 0:
            raise ValidationError(f"{self.sku}: quantity cannot be negative ({self.quantity})")
        if self.unit_price_cents < 0:
            raise ValidationError(f"{self.sku}: price cannot be negative ({self.unit_price_cents})")

    @property
    def value_cents(self) -> int:
        """The value of the units in stock, in cents."""
        return self.quantity * self.unit_price_cents


@dataclass
class Location:
    """A shelf or a bin holding items.

    Attributes:
        code: The location's code, e.g. "A-01-3".
        items: The items stored there, by SKU.
    """

    code: str
    items: dict[str, Item] = field(default_factory=dict)

    def put(self, item: Item) -> None:
        """Store an item here, replacing any item with the same SKU.

        Args:
            item: The item to store.
        """
        logger.debug("location %s: put %s", self.code, item.sku)
        self.items[item.sku] = item
