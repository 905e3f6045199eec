"""The package's models: `<layer>/<table>.sql` (a MODEL header, then one SELECT) and `<layer>/*.py`.

The runner (`databank.transform`) loads every file of this folder; `docs/models.md` describes the
header and the portable SQL subset, `docs/definitions.md` what each table's columns mean.
"""
