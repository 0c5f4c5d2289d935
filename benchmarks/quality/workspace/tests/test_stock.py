"""The stock ledger."""

import pytest

from inventory.errors import NotFoundError, OutOfStockError, ValidationError
from inventory.stock import StockLedger, total_units


def test_add_then_remove() -> None:
    ledger = StockLedger({"AB-0001": 5})
    assert ledger.add("AB-0001", 3) == 8
    assert ledger.remove("AB-0001", 8) == 0
    assert ledger.skus() == ["AB-0001"]


def test_errors() -> None:
    ledger = StockLedger()
    with pytest.raises(ValidationError):
        ledger.add("AB-0001", 0)
    with pytest.raises(NotFoundError):
        ledger.remove("ZZ-9999", 1)
    ledger.add("AB-0001", 1)
    with pytest.raises(OutOfStockError):
        ledger.remove("AB-0001", 2)


def test_total_units() -> None:
    ledger = StockLedger({"A": 1, "B": 2})
    assert total_units(ledger, ["A", "B", "C"]) == 3
