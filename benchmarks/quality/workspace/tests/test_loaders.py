"""CSV exports."""

from pathlib import Path

import pytest

from inventory.errors import ParseError
from inventory.loaders import load_items
from inventory.reports import format_report, low_stock


def test_load_and_report(tmp_path: Path) -> None:
    export = tmp_path / "items.csv"
    export.write_text("sku,name,quantity,unit_price_cents\nAB-0001,Widget,3,250\nAB-0002,Bolt,1,15\n")
    items = load_items(export)
    assert [item.sku for item in low_stock(items, 2)] == ["AB-0002"]
    assert format_report(items).splitlines()[-1].endswith("7.65")


def test_bad_row_names_its_line(tmp_path: Path) -> None:
    export = tmp_path / "items.csv"
    export.write_text("sku,name,quantity,unit_price_cents\nAB-0001,Widget,three,250\n")
    with pytest.raises(ParseError, match="line 2"):
        load_items(export)
