-- silver.scout_clean_transactions: one row per transaction_id, typed, in the reporting currency.
--
-- Definitions (docs/definitions.md, "Silver"):
-- * Input: bronze.scout_raw_transactions rows with validation_status = 'passed' only.
-- * Latest version wins: of all passed deliveries of one transaction_id (bronze record_key), the
--   one ingested last; ties (same batch) go to the higher record_index, then the higher bronze id.
--   A failed newer delivery does not replace a passed older one.
-- * transaction_date: the UTC calendar date of the record's `timestamp` (= bronze partition_key,
--   which the BronzeWriter computes in UTC; PostgreSQL's `timestamp` cast would drop the offset).
-- * Money: amount, discount_applied and tax_amount are in the reporting currency, EUR
--   (databank.reference.REPORTING_CURRENCY), so `currency` is always 'EUR'. A non-EUR amount is
--   divided by the ECB reference rate (units per euro) that applies on transaction_date
--   (meta.exchange_rates: the latest rate published on or before that day, at most 7 days old),
--   computed in integer cents and rounded half away from zero once. The original amount and
--   currency stay in bronze (source_bronze_id → transaction_data). No rate (unknown currency, a
--   day outside the table) or an amount of 10 billion or more leaves the money columns NULL.
-- * Refunds: a row is a refund when transaction_type = 'refund' or the amount is negative; its
--   amount and tax_amount are stored negative (-|x|), discount_applied stays as sent (>= 0).
--   So in silver: refund <=> amount < 0.
-- * customer_id: the person (silver.scout_clean_customers.customer_id) the source's customer id
--   maps to in meta.customer_id_map; else, when the record carries a pseudonymised
--   customer_email, the person id derived from it ('cus_' + the token's hex); else the source's
--   own customer id (an orphan until its customer record arrives; the relationships test warns).
-- * id: the bronze id of the chosen version (= source_bronze_id): the row is that version, clean.
-- * data_quality_score: bronze quality_score of the chosen version.
-- * quantity (added by migration 0008, not in the spec): the units of the line, the absolute value
--   of the record's integer `quantity`, 1 when absent or not an integer (refunds count positive).
-- * Incremental by transaction_date: a run replaces the days that new bronze rows (or changed
--   exchange rates / customer mappings) touch, plus the day before each (lookback 1); a late record
--   therefore updates its own day, and a transaction whose date changed leaves its old day.
MODEL (
  kind incremental,
  partition_by transaction_date,
  lookback 1,
  grain (transaction_id),
  tests (
    not_null(id, transaction_id, transaction_date, customer_id, currency, source_bronze_id),
    not_null(product_id, severity := 'warn'),
    not_null(amount, severity := 'warn'),
    unique(transaction_id),
    accepted_values(currency, ['EUR']),
    accepted_values(channel, ['online', 'store', 'mobile_app', 'marketplace'], severity := 'warn'),
    accepted_values(payment_method, ['card', 'paypal', 'bank_transfer', 'cash', 'voucher'], severity := 'warn'),
    range(discount_applied, min := 0, severity := 'warn'),
    range(data_quality_score, min := 0, max := 1),
    relationships(product_id, to := silver.scout_clean_products.product_id, severity := 'warn'),
    relationships(campaign_id, to := silver.scout_clean_campaigns.campaign_id, severity := 'warn'),
    relationships(customer_id, to := silver.scout_clean_customers.customer_id, severity := 'warn')
  )
);

WITH latest AS (
  SELECT b.id, b.partition_key, b.quality_score, b.transaction_data AS d
  FROM bronze.scout_raw_transactions AS b
  WHERE b.validation_status = 'passed'
    AND NOT EXISTS (
      SELECT 1
      FROM bronze.scout_raw_transactions AS n
      WHERE n.record_key = b.record_key
        AND n.validation_status = 'passed'
        AND (
          n.ingested_at > b.ingested_at
          OR (n.ingested_at = b.ingested_at AND n.record_index > b.record_index)
          OR (n.ingested_at = b.ingested_at AND n.record_index = b.record_index AND n.id > b.id)
        )
    )
),
fields AS (
  -- every field in one pass over the JSON (DuckDB parses a document once per extraction call)
  SELECT
    l.id,
    l.partition_key,
    l.quality_score,
    json_extract_string(l.d, [
      '$.transaction_id', '$.customer_id', '$.customer_email', '$.product_id', '$.campaign_id',
      '$.currency', '$.channel', '$.region', '$.payment_method', '$.transaction_type',
      '$.amount', '$.discount_applied', '$.tax_amount', '$.quantity'
    ]) AS f
  FROM latest AS l
),
typed AS (
  SELECT
    x.id AS bronze_id,
    x.partition_key AS transaction_date,
    x.quality_score,
    x.f[1] AS transaction_id,
    x.f[2] AS source_customer_id,
    x.f[3] AS customer_email,
    x.f[4] AS product_id,
    x.f[5] AS campaign_id,
    x.f[6] AS original_currency,
    x.f[7] AS channel,
    x.f[8] AS region,
    x.f[9] AS payment_method,
    (coalesce(x.f[10], 'sale') = 'refund' OR CAST(x.f[11] AS DECIMAL(18, 2)) < 0) AS is_refund,
    CAST(CAST(x.f[11] AS DECIMAL(18, 2)) * 100 AS BIGINT) AS amount_cents,
    CAST(CAST(x.f[12] AS DECIMAL(18, 2)) * 100 AS BIGINT) AS discount_cents,
    CAST(CAST(x.f[13] AS DECIMAL(18, 2)) * 100 AS BIGINT) AS tax_cents,
    coalesce(abs(TRY_CAST(x.f[14] AS INTEGER)), 1) AS quantity
  FROM fields AS x
),
signed AS (
  SELECT
    t.*,
    CASE WHEN t.is_refund THEN -abs(t.amount_cents) ELSE t.amount_cents END AS local_amount,
    CASE WHEN t.is_refund THEN -abs(t.tax_cents) ELSE t.tax_cents END AS local_tax,
    t.discount_cents AS local_discount
  FROM typed AS t
),
converted AS (
  -- EUR cents = round_half_away(local cents / rate), in integers: the rate as micro-units q,
  -- |result| = (2 * |cents| * 1e6 + q) div (2 * q). Amounts of 1e10 or more are left NULL
  -- (beyond numeric(12,2), and the integer arithmetic would overflow).
  SELECT
    s.*,
    m.customer_id AS mapped_customer_id,
    CASE
      WHEN s.original_currency = 'EUR' THEN 1000000
      ELSE CAST(r.rate_per_eur * 1000000 AS BIGINT)
    END AS q
  FROM signed AS s
  LEFT JOIN meta.exchange_rates AS r
    ON r.currency = s.original_currency AND r.rate_date = s.transaction_date
  LEFT JOIN meta.customer_id_map AS m
    ON m.source_customer_id = s.source_customer_id AND m.is_current
)
SELECT
  c.bronze_id AS id,
  c.transaction_id,
  coalesce(
    c.mapped_customer_id,
    CASE WHEN substr(c.customer_email, 1, 4) = 'pii_' THEN 'cus_' || substr(c.customer_email, 5) END,
    c.source_customer_id
  ) AS customer_id,
  c.product_id,
  c.campaign_id,
  c.transaction_date,
  CASE WHEN abs(c.local_amount) < 1000000000000 THEN
    CAST(
      CASE WHEN c.local_amount < 0 THEN -1 ELSE 1 END
      * ((2 * abs(c.local_amount) * 1000000 + c.q) // (2 * c.q)) AS DECIMAL(18, 0)
    ) * 0.01
  END AS amount,
  'EUR' AS currency,
  c.channel,
  c.region,
  c.payment_method,
  CASE WHEN abs(c.local_discount) < 1000000000000 THEN
    CAST(
      CASE WHEN c.local_discount < 0 THEN -1 ELSE 1 END
      * ((2 * abs(c.local_discount) * 1000000 + c.q) // (2 * c.q)) AS DECIMAL(18, 0)
    ) * 0.01
  END AS discount_applied,
  CASE WHEN abs(c.local_tax) < 1000000000000 THEN
    CAST(
      CASE WHEN c.local_tax < 0 THEN -1 ELSE 1 END
      * ((2 * abs(c.local_tax) * 1000000 + c.q) // (2 * c.q)) AS DECIMAL(18, 0)
    ) * 0.01
  END AS tax_amount,
  c.quality_score AS data_quality_score,
  c.bronze_id AS source_bronze_id,
  c.quantity
FROM converted AS c
