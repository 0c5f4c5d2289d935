"""Loading items from the warehouse's CSV exports."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from inventory.errors import ParseError
from inventory.models import Item

logger = logging.getLogger(__name__)

HEADER = ["sku", "name", "quantity", "unit_price_cents"]


def load_items(path: Path) -> list[Item]:
    """Read every item of a CSV export (columns: sku, name, quantity, unit_price_cents).

    Args:
        path: The CSV file, with a header row.

    Returns:
        The items, in file order.

    Raises:
        ParseError: If the header or a row is malformed.
    """
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if not rows or rows[0] != HEADER:
        raise ParseError(f"{path}: expected the header {','.join(HEADER)}", line=1)
    items = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(HEADER):
            raise ParseError(f"expected {len(HEADER)} columns, got {len(row)}", line=number)
        sku, name, quantity, price = row
        try:
            items.append(Item(sku=sku, name=name, quantity=int(quantity), unit_price_cents=int(price)))
        except ValueError as exc:
            raise ParseError(f"bad number in {row}", line=number) from exc
    logger.info("loaded %d items from %s", len(items), path)
    return items
