"""Turn a batch of records into bronze rows in memory: check, hash, key, pseudonymise (no I/O).

One pass per record, a few microseconds each: canonical JSON (orjson), SHA-256 payload hash, the
compiled contract validator, the hazard scan only where the validator saw containers or odd numbers,
pseudonymisation only where the contract has PII and the record holds some. Results are kept
column-wise so the Arrow table is built without a second pass over dicts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from databank.ingestion.compiler import quality_score
from databank.ingestion.contract import Contract
from databank.ingestion.formats import event_date
from databank.ingestion.pii import Pseudonymiser
from databank.ingestion.safety import canonical_json, find_hazards, safe_form
from databank.ingestion.vector import clean_mask

ErrorRow = tuple[str, str, str, bool]  # field, reason, check kind, is_error
UNREPLAYABLE = ("storage", "shape")  # check kinds whose records are kept in safe form only
_SORTED = orjson.OPT_SORT_KEYS
_dumps = orjson.dumps
_sha256 = hashlib.sha256
_JSON_KINDS = {
    list: "array",
    tuple: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


@dataclass
class Prepared:
    """A batch's rows, column-wise, in batch order, exact re-deliveries inside the batch removed."""

    ids: list[str] = field(default_factory=list)
    prefixes: list[int] = field(default_factory=list)  # first 64 bits of each id (dedup filter)
    index: list[int] = field(default_factory=list)  # position in the batch as received
    keys: list[str] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    payloads: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    scores: list[float | None] = field(default_factory=list)
    partitions: list[str | None] = field(default_factory=list)
    masked: list[bool] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)  # as stored (pseudonymised/safe)
    errors: list[list[ErrorRow]] = field(default_factory=list)  # failed checks (errors and warns)
    drift: dict[str, int] = field(default_factory=dict)  # unknown field → first record index
    in_batch_duplicates: int = 0
    received: int = 0


def _shape_failure(
    value: Any, contract: Contract, pseudo: Pseudonymiser
) -> tuple[dict[str, Any], str]:
    kind = _JSON_KINDS.get(type(value), type(value).__name__)
    reason = f"record is not a JSON object (got {kind})"
    if contract.pii_fields:
        # It may hold personal data we cannot locate: keep a token and its size, not the value.
        text = canonical_json(safe_form(value))
        return {
            "_rejected_record_token": pseudo.token(text.decode("utf-8"), "text"),
            "_rejected_record_type": kind,
            "_rejected_record_bytes": len(text),
        }, reason
    return {"_rejected_record": safe_form(value)}, reason


class _Rows:
    """Turns records into bronze row tuples for one batch (the constants of its contract)."""

    def __init__(
        self,
        contract: Contract,
        pseudo: Pseudonymiser,
        source_system: str,
        quality_checks: bool,
        fallback_date: str,
    ) -> None:
        self.contract = contract
        self.pseudo = pseudo
        self.quality_checks = quality_checks
        self.fallback_date = fallback_date
        self.pii_keys = tuple(dict.fromkeys(f.path.split(".", 1)[0] for f in contract.pii_fields))
        self.id_prefix = f"{contract.source_type}\x1f{source_system}\x1f".encode()

    def identify(self, record: dict[str, Any], payload_hash: str) -> tuple[str, int, str]:
        """Natural key, bronze id and its 64-bit prefix."""
        natural_key = self.contract.natural_key
        key = record.get(natural_key) if natural_key else None
        if key.__class__ is not str or not key:
            key = str(key) if key.__class__ is int else payload_hash
        digest = _sha256(
            self.id_prefix
            + key.encode("utf-8", "backslashreplace")
            + b"\x1f"
            + payload_hash.encode()
        ).hexdigest()
        bronze_id = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
        return key, bronze_id, int(digest[:16], 16)

    def partition(self, record: dict[str, Any], checked: bool) -> str:
        """The UTC date of the first present event-time field, else the ingestion date."""
        for name in self.contract.event_time:
            found = event_date(record.get(name), checked)
            if found is not None:
                return found
        return self.fallback_date

    def clean(self, records: Sequence[Any], indices: list[int]) -> dict[int, tuple[Any, ...]]:
        """Rows of records proven clean (vector.py), built a column at a time.

        A record whose canonical JSON cannot be written or holds a NUL character is left out:
        the caller gives it the full treatment.
        """
        try:
            chosen = [records[i] for i in indices]
            raws = [_dumps(r, option=_SORTED) for r in chosen]
        except orjson.JSONEncodeError:  # a lone surrogate somewhere: one record at a time
            return {}
        hashes = [_sha256(raw).hexdigest() for raw in raws]
        pii_keys = self.pii_keys
        rows: dict[int, tuple[Any, ...]] = {}
        for index, record, raw, payload_hash in zip(indices, chosen, raws, hashes, strict=True):
            if b"\\u0000" in raw:
                continue
            key, bronze_id, prefix = self.identify(record, payload_hash)
            stored, masked = record, False
            for name in pii_keys:
                if name in record:
                    stored, masked = self.pseudo.apply(record, self.contract)
                    break
            rows[index] = (
                bronze_id,
                prefix,
                index,
                key,
                payload_hash,
                (_dumps(stored, option=_SORTED) if masked else raw).decode("utf-8"),
                "passed",
                1.0,
                self.partition(record, True),
                masked,
                stored,
                [],
            )
        return rows

    def one(self, index: int, record: Any, drift: dict[str, int]) -> tuple[Any, ...]:
        """The row of one record, fully checked; new unknown fields are added to `drift`."""
        contract, quality_checks = self.contract, self.quality_checks
        hazards: list[tuple[str, str]] | None = None
        kind = "storage"
        raw = b""
        if record.__class__ is not dict:
            if isinstance(record, Mapping):
                record = dict(record)
            else:
                record, reason = _shape_failure(record, contract, self.pseudo)
                hazards, kind = [("(record)", reason)], "shape"
        if hazards is None:
            try:
                raw = _dumps(record, option=_SORTED)
            except orjson.JSONEncodeError as exc:
                hazards = find_hazards(record) or [("(record)", f"not storable as JSON: {exc}")]
            else:
                if b"\\u0000" in raw:  # orjson writes a NUL character as \u0000
                    hazards = find_hazards(record) or None
        errors: list[ErrorRow] = []
        score: float | None = None
        present = -1
        if hazards is None:
            if quality_checks:
                total, lost, errors, present, deep = contract.validator(record)
                if deep or len(record) > present:  # containers, odd numbers or unknown fields
                    hazards = find_hazards(record) or None
                if hazards is None:
                    score = 1.0 if not lost else round(quality_score(total, lost), 6)
            else:
                hazards = find_hazards(record) or None
        if hazards is not None:
            record = safe_form(record) if kind == "storage" else record
            raw = _dumps(record, option=_SORTED)
            errors = [(path, reason, kind, True) for path, reason in hazards]
            score = 0.0 if quality_checks else None
            status = "failed"
        elif not quality_checks:
            status = "pending"
        else:
            status = "failed" if errors and any(e[3] for e in errors) else "passed"
        payload_hash = _sha256(raw).hexdigest()
        key, bronze_id, prefix = self.identify(record, payload_hash)
        if hazards is None and len(record) > present:
            known = contract.known_fields
            for name in record:
                if name not in known and name not in drift:
                    drift[name] = index
        stored, masked = record, False
        for name in self.pii_keys:
            if name in record:
                stored, masked = self.pseudo.apply(record, contract)
                break
        return (
            bronze_id,
            prefix,
            index,
            key,
            payload_hash,
            (_dumps(stored, option=_SORTED) if masked else raw).decode("utf-8"),
            status,
            score,
            # every present field passed its checks: the time needs no second look
            self.partition(record, quality_checks and not errors),
            masked,
            stored,
            errors,
        )


def prepare(
    records: Sequence[Any],
    contract: Contract,
    pseudo: Pseudonymiser,
    *,
    source_system: str,
    quality_checks: bool,
    fallback_date: str,
) -> Prepared:
    """Validate, hash, key and pseudonymise every record of a batch (see the module docstring)."""
    out = Prepared(received=len(records))
    make = _Rows(contract, pseudo, source_system, quality_checks, fallback_date)
    fast: dict[int, tuple[Any, ...]] = {}
    if quality_checks:
        mask = clean_mask(records, contract)
        fast = make.clean(records, [i for i, clean in enumerate(mask) if clean])
    seen: set[str] = set()
    rows: list[tuple[Any, ...]] = []
    for index, record in enumerate(records):
        row = fast.get(index)
        if row is None:
            row = make.one(index, record, out.drift)
        if row[0] in seen:  # an exact re-delivery inside the batch: the first one stays
            out.in_batch_duplicates += 1
            continue
        seen.add(row[0])
        rows.append(row)
    if rows:
        (
            out.ids,
            out.prefixes,
            out.index,
            out.keys,
            out.hashes,
            out.payloads,
            out.statuses,
            out.scores,
            out.partitions,
            out.masked,
            out.records,
            out.errors,
        ) = map(list, zip(*rows, strict=True))
    return out
