"""Shared fixtures of the inventory tests."""

import pytest

from inventory.models import Item


@pytest.fixture
def catalogue() -> list[Item]:
    """Three items, one of them low on stock."""
    return [
        Item(sku="AB-0001", name="Widget", quantity=12, unit_price_cents=250),
        Item(sku="AB-0002", name="Bolt", quantity=2, unit_price_cents=15),
        Item(sku="CD-0100", name="Crate", quantity=7, unit_price_cents=1999),
    ]
