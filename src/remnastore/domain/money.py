"""Exact amounts of money: an integer count of minor units and a currency code.

Floats never touch money. Amounts enter through :meth:`Money.from_decimal` (exact, refuses digits the
currency cannot hold) and leave through :meth:`Money.to_decimal` or :meth:`Money.format`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MAX_EXPONENT = 30  # |decimal exponent| of the largest and smallest amount worth converting


@dataclass(frozen=True)
class Currency:
    """What we know about one currency: how many minor units it has and how it is written."""

    code: str
    exponent: int
    symbol: str
    symbol_first: bool = False
    min_shown_places: int | None = None  # crypto assets trim trailing zeros down to this many places

    @property
    def shown_places(self) -> int:
        return self.exponent if self.min_shown_places is None else self.min_shown_places


_CURRENCIES: dict[str, Currency] = {
    c.code: c
    for c in (
        Currency("RUB", 2, "₽"),
        Currency("USD", 2, "$", symbol_first=True),
        Currency("EUR", 2, "€", symbol_first=True),
        Currency("UAH", 2, "₴"),
        Currency("KZT", 2, "₸"),
        Currency("BYN", 2, "Br"),
        Currency("XTR", 0, "⭐"),  # Telegram Stars
        Currency("USDT", 6, "USDT", min_shown_places=2),
        Currency("USDC", 6, "USDC", min_shown_places=2),
        Currency("TRX", 6, "TRX", min_shown_places=2),
        Currency("TON", 8, "TON", min_shown_places=2),
        Currency("BTC", 8, "BTC", min_shown_places=2),
        Currency("ETH", 8, "ETH", min_shown_places=2),
        Currency("LTC", 8, "LTC", min_shown_places=2),
        Currency("BNB", 8, "BNB", min_shown_places=2),
    )
}


class UnknownCurrency(ValueError):
    """The currency code is not one we can count exactly."""


def currency(code: str) -> Currency:
    """The :class:`Currency` for ``code`` (case-insensitive); raises :class:`UnknownCurrency`."""
    try:
        return _CURRENCIES[code.strip().upper()]
    except (KeyError, AttributeError):
        raise UnknownCurrency(f"unknown currency {code!r}") from None


def is_known_currency(code: str) -> bool:
    return isinstance(code, str) and code.strip().upper() in _CURRENCIES


@dataclass(frozen=True)
class Money:
    """``minor`` units of ``currency`` (kopecks for RUB, Stars for XTR, 10⁻⁶ USDT ...)."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise TypeError(f"Money.minor must be an int, not {type(self.minor).__name__}")
        code = currency(self.currency).code
        if code != self.currency:
            object.__setattr__(self, "currency", code)

    # construction and conversion

    @classmethod
    def zero(cls, currency_code: str) -> Money:
        return cls(0, currency_code)

    @classmethod
    def from_decimal(cls, amount: Decimal | str | int, currency_code: str) -> Money:
        """Exact conversion of a major-unit amount; raises ``ValueError`` if it has too many digits."""
        if isinstance(amount, bool) or not isinstance(amount, Decimal | str | int):
            raise TypeError(f"amount must be Decimal, str or int, not {type(amount).__name__}")
        info = currency(currency_code)
        try:
            value = Decimal(amount.strip() if isinstance(amount, str) else amount)
        except InvalidOperation:
            raise ValueError(f"not a number: {amount!r}") from None
        if not value.is_finite():
            raise ValueError(f"not a finite amount: {amount!r}")
        if not -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT:
            # ``1e999990`` would take seconds of CPU to scale and convert: no amount is that large or small
            raise ValueError(f"not a plausible amount: {str(amount)[:40]!r}")
        scaled = value.scaleb(info.exponent)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{amount} has more than {info.exponent} decimal places for {info.code}")
        return cls(int(scaled), info.code)

    def to_decimal(self) -> Decimal:
        """The amount in major units, with exactly the currency's number of decimal places."""
        return Decimal(self.minor).scaleb(-currency(self.currency).exponent)

    def format(self, locale: str = "en") -> str:
        """Human text: ``199.00 ₽``, ``199 ⭐``, ``$5.00``, ``0.5 TON``; ru groups thousands with spaces."""
        info = currency(self.currency)
        sign = "-" if self.minor < 0 else ""
        digits = f"{abs(self.minor):0{info.exponent + 1}d}"
        whole = digits[: len(digits) - info.exponent] if info.exponent else digits
        fraction = digits[len(digits) - info.exponent :] if info.exponent else ""
        fraction = fraction.rstrip("0").ljust(info.shown_places, "0")
        separator = "," if locale.lower().startswith("en") else " "
        grouped = f"{int(whole):,}".replace(",", separator)
        number = f"{grouped}.{fraction}" if fraction else grouped
        if info.symbol_first:
            return f"{sign}{info.symbol}{number}"
        return f"{sign}{number} {info.symbol}"

    def __str__(self) -> str:
        return self.format()

    # arithmetic

    def _same_currency(self, other: object, op: str) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot {op} Money and {type(other).__name__}")
        if other.currency != self.currency:
            raise TypeError(f"cannot {op} {self.currency} and {other.currency}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.minor + self._same_currency(other, "add").minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.minor - self._same_currency(other, "subtract").minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.minor < self._same_currency(other, "compare").minor

    def __le__(self, other: Money) -> bool:
        return self.minor <= self._same_currency(other, "compare").minor

    def __gt__(self, other: Money) -> bool:
        return self.minor > self._same_currency(other, "compare").minor

    def __ge__(self, other: Money) -> bool:
        return self.minor >= self._same_currency(other, "compare").minor

    def discount_for(self, percent: int) -> Money:
        """``percent`` % of this amount, rounded half up to whole minor units, never more than the amount."""
        if isinstance(percent, bool) or not isinstance(percent, int):
            raise TypeError("percent must be an int")
        if not 0 <= percent <= 100:
            raise ValueError(f"percent must be between 0 and 100, not {percent}")
        base = max(self.minor, 0)
        discount = (Decimal(base) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return Money(min(int(discount), base), self.currency)

    def percent_off(self, percent: int) -> Money:
        """This amount less ``percent`` % (the discount rounded half up); never below zero."""
        return Money(max(self.minor - self.discount_for(percent).minor, 0), self.currency)
