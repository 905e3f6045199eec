-- silver.scout_clean_customers: one row per person, matched across source systems by e-mail.
--
-- Definitions (docs/definitions.md, "Silver"):
-- * A person = the source customer ids whose latest passed record has the same e-mail token
--   (meta.customer_id_map, is_current). customer_id = 'cus_' + the token's 32 hex digits.
-- * Attributes (names, phone, birth date, gender, address, marketing consent) come from the
--   person's most recently updated record (record `updated_at`, then registration_date, then
--   ingestion order); source_bronze_id is that record's bronze id.
-- * registration_date: the earliest registration_date over the person's records.
-- * No clear-text PII: email, first_name, last_name and phone hold the BronzeWriter's tokens
--   (`pii_…`) or NULL, and address.street is a token too.
-- * lifetime_value: the sum of the person's silver transaction amounts in EUR, refunds (negative)
--   included, so net of refunds; 0 without transactions. Read per channel from
--   meta.customer_channels, which keeps those sums as transactions arrive or change.
-- * customer_tier by lifetime_value (EUR): platinum >= 5000, gold >= 1000, silver >= 250,
--   else bronze (negative and 0 included).
-- * preferred_channel: the channel of most of the person's sales (amount > 0), ties broken by
--   channel name (alphabetical); without sales, the channel the customer record declares.
-- * churn_risk_score is left NULL here: churn risk is predicted by platinum's churn model.
-- * Incremental by person (partition = customer_id): a run re-derives exactly the people whose
--   id-map rows (a new or changed record, an e-mail that moved away) or per-channel sums
--   (meta.customer_channels) changed; a person left without records is removed. A transaction
--   re-delivered with another customer changes both people's sums, so both are re-derived.
MODEL (
  kind incremental,
  partition_by customer_id,
  partition_source (meta.customer_id_map.customer_id, meta.customer_channels.customer_id),
  grain (customer_id),
  tests (
    not_null(customer_id, email, registration_date, customer_tier, lifetime_value, source_bronze_id),
    unique(customer_id),
    unique(email),
    accepted_values(customer_tier, ['bronze', 'silver', 'gold', 'platinum']),
    accepted_values(preferred_channel, ['online', 'store', 'mobile_app', 'marketplace'], severity := 'warn'),
    accepted_values(gender, ['female', 'male', 'other', 'unknown'], severity := 'warn')
  )
);

WITH current_records AS (
  SELECT
    m.customer_id,
    m.email,
    c.id AS bronze_id,
    c.ingested_at,
    c.record_index,
    c.customer_data -> 'address' AS address,
    -- every other field in one pass over the JSON (DuckDB parses a document once per call)
    json_extract_string(c.customer_data, [
      '$.first_name', '$.last_name', '$.phone', '$.birth_date', '$.gender', '$.registration_date',
      '$.marketing_consent', '$.preferred_channel', '$.updated_at'
    ]) AS f
  FROM meta.customer_id_map AS m
  JOIN bronze.scout_raw_customers AS c ON c.id = m.source_bronze_id
  WHERE m.is_current
),
records AS (
  SELECT
    r.customer_id,
    r.email,
    r.f[1] AS first_name,
    r.f[2] AS last_name,
    r.f[3] AS phone,
    CAST(r.f[4] AS DATE) AS birth_date,
    r.f[5] AS gender,
    r.address,
    CAST(r.f[6] AS DATE) AS registration_date,
    CAST(r.f[7] AS BOOLEAN) AS marketing_consent,
    r.f[8] AS declared_channel,
    CAST(r.f[9] AS TIMESTAMPTZ) AS record_updated_at,
    r.ingested_at,
    r.record_index,
    r.bronze_id
  FROM current_records AS r
),
people AS (
  SELECT
    r.*,
    min(r.registration_date) OVER (PARTITION BY r.customer_id) AS first_registration,
    row_number() OVER (
      PARTITION BY r.customer_id
      ORDER BY r.record_updated_at DESC NULLS LAST, r.registration_date DESC,
        r.ingested_at DESC, r.record_index DESC, r.bronze_id DESC
    ) AS pick
  FROM records AS r
),
per_channel AS (
  -- the person's transactions per channel, kept as sums by meta.customer_channels
  SELECT c.customer_id, c.channel, c.amount, c.sales
  FROM meta.customer_channels AS c
),
spend AS (
  SELECT c.customer_id, sum(c.amount) AS lifetime_value
  FROM per_channel AS c
  GROUP BY c.customer_id
),
channels AS (
  SELECT
    c.customer_id,
    c.channel,
    row_number() OVER (PARTITION BY c.customer_id ORDER BY c.sales DESC, c.channel) AS rank_in_person
  FROM per_channel AS c
  WHERE c.sales > 0 AND c.channel IS NOT NULL
)
SELECT
  p.customer_id,
  p.first_name,
  p.last_name,
  p.email,
  p.phone,
  p.birth_date,
  p.gender,
  p.address,
  p.first_registration AS registration_date,
  CASE
    WHEN coalesce(s.lifetime_value, 0) >= 5000 THEN 'platinum'
    WHEN coalesce(s.lifetime_value, 0) >= 1000 THEN 'gold'
    WHEN coalesce(s.lifetime_value, 0) >= 250 THEN 'silver'
    ELSE 'bronze'
  END AS customer_tier,
  coalesce(s.lifetime_value, 0) AS lifetime_value,
  coalesce(ch.channel, p.declared_channel) AS preferred_channel,
  p.marketing_consent,
  p.bronze_id AS source_bronze_id
FROM people AS p
LEFT JOIN spend AS s ON s.customer_id = p.customer_id
LEFT JOIN channels AS ch ON ch.customer_id = p.customer_id AND ch.rank_in_person = 1
WHERE p.pick = 1
