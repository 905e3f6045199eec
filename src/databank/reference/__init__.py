"""Reference data shipped with the package: the ECB exchange rates silver converts money with."""

from databank.reference.rates import (
    REPORTING_CURRENCY,
    LoadResult,
    ReferenceDataError,
    load_exchange_rates,
    rate_on,
    read_ecb_csv,
)

__all__ = [
    "REPORTING_CURRENCY",
    "LoadResult",
    "ReferenceDataError",
    "load_exchange_rates",
    "rate_on",
    "read_ecb_csv",
]
