"""The `customers` source type: one record per customer, delivered when the customer registers.

Customers who registered before the start date arrive in a snapshot on day 0 (`updated_at` is the
start date at midnight); later ones arrive on their registration day.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from databank.demo.generator import fmt
from databank.demo.generator.config import CHANNELS, REGIONS
from databank.demo.generator.customers import (
    CITY_LIST,
    FIRST,
    LAST,
    NEVER,
    STREET_LIST,
    CustomerDim,
)
from databank.demo.generator.frame import Frame
from databank.demo.generator.stream import Rendered, SourceSpec
from databank.demo.generator.vocab import COUNTRIES, GENDERS
from databank.demo.generator.world import World

FAULTS = (
    ("bad_email", "email"),
    ("missing_email", "email"),
    ("missing_registration_date", "registration_date"),
    ("bad_registration_date", "registration_date"),
)


def produce(world: World, chunk: int) -> Frame:
    """Customers whose arrival day (registration, or day 0 for earlier ones) is in the chunk."""
    dim = world.customers
    order, days = dim.arrivals
    d0, d1 = world.chunk_days(chunk)
    lo, hi = np.searchsorted(days, [d0, d1])
    idx = order[lo:hi]
    reg = dim.reg_day[idx]
    ts = np.where(reg < 0, 0, reg.astype(np.int64) * 86_400 + dim.reg_second[idx])
    return Frame(
        {"idx": idx, "day": days[lo:hi].copy(), "ts": ts, "churner": dim.stop_day[idx] != NEVER}
    )


def keys(world: World, frame: Frame) -> pa.Array:
    """`customer_id` of each row."""
    return fmt.ids("CUS-", frame["idx"] + 1)


def _mix(noise: np.ndarray, salt: int) -> np.ndarray:
    """Another well-spread uint64 from `noise` (splitmix64 finaliser)."""
    z = noise + np.uint64((salt * 0x9E3779B97F4A7C15) % 2**64)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _by_country(dim: CustomerDim, idx: np.ndarray, pattern_of: list[str], salt: int) -> pa.Array:
    """Strings drawn from a per-country pattern (`#` digit, `@` letter)."""
    country = dim.country[idx]
    width = max(len(p) for p in pattern_of)
    mat = np.zeros((len(idx), width), dtype=np.uint8)
    lengths = np.zeros(len(idx), dtype=np.int32)
    noise = _mix(dim.noise[idx], salt)
    for ci, pattern in enumerate(pattern_of):
        rows = np.flatnonzero(country == ci)
        if len(rows):
            mat[rows, : len(pattern)] = fmt.patterned(pattern, noise[rows])
            lengths[rows] = len(pattern)
    return fmt.from_ragged(mat, lengths)


def _placeholders(pattern: str) -> str:
    return pattern.replace("9", "#").replace("A", "@")


PHONE_PATTERNS = [c.phone_prefix + _placeholders(c.phone_pattern) for c in COUNTRIES]
POSTCODE_PATTERNS = [_placeholders(c.postcode_pattern) for c in COUNTRIES]


def render(world: World, frame: Frame) -> Rendered:
    """Arrow records in the documented field order."""
    dim = world.customers
    idx, fault = frame["idx"], frame["fault"]
    n = len(idx)
    email = dim.emails.take(fmt.numeric_index(idx))
    if (fault == 1).any():
        email = pc.if_else(fmt.numeric(fault == 1), pc.replace_substring(email, "@", " at "), email)
    if (fault == 2).any():
        email = pc.if_else(fmt.numeric(fault == 2), pa.nulls(n, pa.string()), email)
    phone = _by_country(dim, idx, PHONE_PATTERNS, 1)
    if not dim.has_phone[idx].all():
        phone = pc.if_else(fmt.numeric(dim.has_phone[idx]), phone, pa.nulls(n, pa.string()))
    house = pc.cast(
        fmt.integers(_mix(dim.noise[idx], 2) % np.uint64(180) + np.uint64(1)), pa.string()
    )
    address = pa.StructArray.from_arrays(
        [
            fmt.join([fmt.vocab(STREET_LIST, dim.street[idx]), " ", house]),
            fmt.vocab(CITY_LIST, dim.city[idx]),
            fmt.vocab(list(REGIONS), dim.region[idx]),
            _by_country(dim, idx, POSTCODE_PATTERNS, 3),
            fmt.vocab([c.code for c in COUNTRIES], dim.country[idx]),
        ],
        names=["street", "city", "region", "postcode", "country"],
    )
    registered = fmt.date_matrix(world.start_epoch_day + dim.reg_day[idx])
    registered[fault == 4, 5:7] = np.frombuffer(b"13", dtype=np.uint8)  # month 13
    columns: dict[str, pa.Array] = {
        "customer_id": keys(world, frame),
        "email": email,
        "first_name": fmt.categorical(FIRST, dim.first[idx]),
        "last_name": fmt.categorical(LAST, dim.last[idx]),
        "phone": phone,
        "birth_date": fmt.dates(dim.birth_epoch_day[idx], dim.has_birth_date[idx]),
        "gender": fmt.categorical(list(GENDERS), dim.gender[idx]),
        "address": address,
        "registration_date": fmt.from_matrix(registered, fault != 3),
        "marketing_consent": fmt.numeric(dim.consent[idx]),
        "preferred_channel": fmt.categorical(list(CHANNELS), dim.preferred_channel[idx]),
        "updated_at": fmt.timestamps(world.start_epoch_second + frame["ts"]),
    }
    return Rendered(pa.Table.from_arrays(list(columns.values()), names=list(columns)))


def eligible(frame: Frame) -> np.ndarray:
    """Churners keep valid records, so their story stays readable."""
    return ~frame["churner"]


def tally(world: World, frame: Frame, acc: dict[str, Any]) -> None:
    """Count valid customers and those with marketing consent."""
    rows = frame["idx"][~frame["dup"] & (frame["fault"] == 0)]
    acc["valid_customers"] = acc.get("valid_customers", 0) + len(rows)
    acc["with_consent"] = acc.get("with_consent", 0) + int(world.customers.consent[rows].sum())


SPEC = SourceSpec(
    name="customers",
    code=2,
    key_field="customer_id",
    faults=FAULTS,
    produce=produce,
    render=render,
    keys=keys,
    eligible=eligible,
    lookback_days=0,
    tally=tally,
)
