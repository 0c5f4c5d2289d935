"""Stock levels, prices and reports for a small warehouse."""

from inventory.errors import InventoryError, NotFoundError, OutOfStockError, ParseError, ValidationError
from inventory.models import Item, Location

__all__ = [
    "InventoryError",
    "Item",
    "Location",
    "NotFoundError",
    "OutOfStockError",
    "ParseError",
    "ValidationError",
]
__version__ = "0.3.0"
