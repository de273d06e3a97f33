"""Money in the shop's currency: amounts in the currency's minor unit as Stripe counts it, the smallest
price step the shop allows, and prices written the way the shop's locale writes them.

Stripe (https://stripe.com/docs/currencies) takes every amount as an integer in the currency's minor unit:
cents for a two-decimal currency, the unit itself for a zero-decimal one, thousandths for a three-decimal
one, where the last digit must be 0 (amounts in steps of 0.01). Every other currency has two decimals.
Prices are written with exactly that many decimals, so a price reads as what is charged.
"""

import copy
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale
from babel.numbers import format_currency, get_currency_symbol, parse_pattern
from django.conf import settings

# Stripe's zero-decimal currencies: an amount is a whole number of units.
ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
# Stripe's three-decimal currencies: amounts in thousandths, the last digit 0.
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
NO_BREAK_SPACE = "\u00a0"


def minor_unit_exponent(currency: str) -> int:
    """How many decimals the currency's minor unit has (``10**exponent`` minor units make one unit)."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def smallest_step(currency: str) -> Decimal:
    """The smallest amount a price may differ by: 1 for a zero-decimal currency, else 0.01 (for a
    three-decimal currency that is Stripe's rule that the last of its three digits is 0)."""
    return Decimal(1) if minor_unit_exponent(currency) == 0 else Decimal("0.01")


def to_minor(amount: Decimal, currency: str) -> int:
    """``amount`` as the provider takes it: 12.50 EUR → 1250, 1200 JPY → 1200, 1.25 KWD → 1250. An amount
    finer than the currency's smallest step is rounded to it, half up (5.124 KWD → 5120)."""
    step = smallest_step(currency)
    rounded = Decimal(amount).quantize(step, rounding=ROUND_HALF_UP)
    return int(rounded.scaleb(minor_unit_exponent(currency)))


def from_minor(units: int, currency: str) -> Decimal:
    """The amount ``units`` minor units make: 1250 EUR → 12.50, 1250 KWD → 1.250."""
    return Decimal(units).scaleb(-minor_unit_exponent(currency))


def _locale(locale: str | None) -> Locale:
    return Locale.parse(locale or settings.SHOP_LOCALE)


def locale_tag(locale: str | None = None) -> str:
    """The shop's locale as a browser writes it (``en_IE`` → ``en-IE``), for ``Intl.NumberFormat``."""
    return str(_locale(locale)).replace("_", "-")


def format_money(amount: Decimal | int | str, currency: str | None = None, locale: str | None = None) -> str:
    """``amount`` written the locale's way, with as many decimals as the currency's minor unit has:
    €12.50 (EUR, en_IE), ¥1,200 or JP¥1,200 (JPY, by locale)."""
    code = (currency or settings.CURRENCY).upper()
    where = _locale(locale)
    digits = minor_unit_exponent(code)
    pattern = copy.copy(parse_pattern(where.currency_formats["standard"]))
    pattern.frac_prec = (digits, digits)
    # CLDR's currency spacing, which Babel does not apply but browsers do: a symbol that ends (or starts)
    # in a letter is kept apart from the digits by a no-break space (KWD 1.250, CHF 12.50; €12.50 as is).
    symbol = get_currency_symbol(code, where)
    if _is_letter_like(symbol[-1]):
        pattern.prefix = (_space_after(pattern.prefix[0]), _space_after(pattern.prefix[1]))
    if _is_letter_like(symbol[0]):
        pattern.suffix = (_space_before(pattern.suffix[0]), _space_before(pattern.suffix[1]))
    return format_currency(Decimal(amount), code, format=pattern, locale=where, currency_digits=False)


def _is_letter_like(char: str) -> bool:
    """Neither a symbol (€, ¥, $) nor a space, in CLDR's terms ``[[:^S:]&[:^Z:]]``."""
    return unicodedata.category(char)[0] not in "SZ"


def _space_after(prefix: str) -> str:
    return prefix + NO_BREAK_SPACE if prefix.endswith("¤") else prefix


def _space_before(suffix: str) -> str:
    return NO_BREAK_SPACE + suffix if suffix.startswith("¤") else suffix
