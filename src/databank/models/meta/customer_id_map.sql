-- meta.customer_id_map: which person each source system's customer id belongs to.
--
-- People are matched across source systems by their pseudonymised e-mail (the BronzeWriter turns
-- `email` into `pii_` + 32 hex digits of a keyed HMAC, the same for the same address everywhere).
-- A person's id is derived from that token: customer_id = 'cus_' + the token's 32 hex digits. It
-- is stable (it never depends on which source record arrived first) and carries no clear-text PII.
--
-- One row per (source customer id, e-mail token) the id's passed records ever had; is_current is
-- true for the token of the id's latest passed record (latest ingested_at, then record_index, then
-- bronze id), and source_bronze_id is the latest record with that token. So a source id maps to
-- exactly one person (`WHERE is_current`), and when its e-mail changes the old person's row stays
-- (is_current false) and is rewritten, which tells silver.scout_clean_customers to re-derive the
-- old person too. Records whose e-mail is not a token are never mapped, so no clear-text address
-- can reach silver; a latest record without a token leaves the id without a current person.
-- Source customer ids are taken to be unique across source systems (bronze's natural key for
-- customers is `customer_id` alone).
--
-- Incremental by source id: new bronze records (any status) rebuild exactly their ids' rows.
MODEL (
  kind incremental,
  partition_by source_customer_id,
  partition_source (bronze.scout_raw_customers.record_key),
  grain (source_customer_id, customer_id),
  tests (
    not_null(source_customer_id, customer_id, email, is_current, source_bronze_id),
    unique(source_customer_id, customer_id)
  )
);

WITH versions AS (
  SELECT
    c.record_key,
    c.source_system,
    c.id,
    c.customer_data ->> 'email' AS email,
    row_number() OVER (
      PARTITION BY c.record_key ORDER BY c.ingested_at DESC, c.record_index DESC, c.id DESC
    ) AS version_rank,
    row_number() OVER (
      PARTITION BY c.record_key, c.customer_data ->> 'email'
      ORDER BY c.ingested_at DESC, c.record_index DESC, c.id DESC
    ) AS email_rank
  FROM bronze.scout_raw_customers AS c
  WHERE c.validation_status = 'passed'
)
SELECT
  v.record_key AS source_customer_id,
  'cus_' || substr(v.email, 5) AS customer_id,
  v.email,
  v.version_rank = 1 AS is_current,
  v.source_system,
  v.id AS source_bronze_id
FROM versions AS v
WHERE v.email_rank = 1
  AND substr(v.email, 1, 4) = 'pii_'
