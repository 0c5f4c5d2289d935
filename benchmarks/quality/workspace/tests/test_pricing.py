"""Discounts and totals."""

import pytest

from inventory.errors import ValidationError
from inventory.models import Item
from inventory.pricing import apply_discount, order_total_cents


def test_discount_rounds_to_the_cent() -> None:
    assert apply_discount(999, 10) == 899
    with pytest.raises(ValidationError):
        apply_discount(100, 95)


def test_order_total(catalogue: list[Item]) -> None:
    assert order_total_cents(catalogue, {"AB-0001": 2, "AB-0002": 10}) == 650
    with pytest.raises(ValidationError):
        order_total_cents(catalogue, {"XX-0000": 1})
