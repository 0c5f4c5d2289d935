"""The package's exceptions: every error it raises is an `InventoryError`."""


class InventoryError(Exception):
    """Base class of every error raised by the inventory package."""


class ValidationError(InventoryError):
    """A value does not meet the rules of the inventory (bad SKU, negative quantity, ...)."""


class ParseError(InventoryError):
    """Text (a CSV row, a config line, a duration) could not be parsed.

    Attributes:
        line: The 1-based line number where parsing failed, when known.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.line = line


class NotFoundError(InventoryError):
    """An item or a location does not exist."""


class OutOfStockError(InventoryError):
    """A removal asks for more units than are in stock."""
