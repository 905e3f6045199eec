-- silver.scout_clean_campaigns: one row per campaign_id, its latest passed version.
--
-- Definitions (docs/definitions.md, "Silver"):
-- * Input: bronze.scout_raw_campaigns rows with validation_status = 'passed'; the latest version
--   of each campaign_id (latest ingested_at, then record_index, then bronze id).
-- * budget and spent in EUR: a non-EUR value is divided by the ECB rate (meta.exchange_rates) of
--   the campaign's start_date (bronze partition_key), in integer cents, rounded half away from
--   zero once; a campaign without `currency` is taken to be in EUR; no rate, or a value of 10
--   billion or more, leaves it NULL.
-- * channels: the record's media channels (bronze media_channels); objectives: its array;
--   target_audience, creative_elements, kpi_targets: its objects, as JSON.
-- * Kind merge by campaign_id: a new version upserts its campaign's row.
MODEL (
  kind merge,
  unique_key (campaign_id),
  grain (campaign_id),
  tests (
    not_null(campaign_id, campaign_name, start_date, source_bronze_id),
    unique(campaign_id),
    range(budget, min := 0),
    range(spent, min := 0),
    accepted_values(campaign_type, ['email', 'social', 'search', 'display', 'affiliate', 'tv'], severity := 'warn'),
    accepted_values(status, ['planned', 'active', 'completed', 'paused'], severity := 'warn')
  )
);

WITH latest AS (
  SELECT b.id, b.partition_key, b.media_channels, b.campaign_data AS d
  FROM bronze.scout_raw_campaigns AS b
  WHERE b.validation_status = 'passed'
    AND NOT EXISTS (
      SELECT 1
      FROM bronze.scout_raw_campaigns AS n
      WHERE n.record_key = b.record_key
        AND n.validation_status = 'passed'
        AND (
          n.ingested_at > b.ingested_at
          OR (n.ingested_at = b.ingested_at AND n.record_index > b.record_index)
          OR (n.ingested_at = b.ingested_at AND n.record_index = b.record_index AND n.id > b.id)
        )
    )
),
typed AS (
  SELECT
    l.*,
    coalesce(l.d ->> 'currency', 'EUR') AS original_currency,
    CAST(CAST(l.d ->> 'budget' AS DECIMAL(18, 2)) * 100 AS BIGINT) AS budget_cents,
    CAST(CAST(l.d ->> 'spent' AS DECIMAL(18, 2)) * 100 AS BIGINT) AS spent_cents
  FROM latest AS l
),
converted AS (
  -- EUR cents = round_half_away(cents / rate), rate as micro-units q (see scout_clean_transactions)
  SELECT
    t.*,
    CASE
      WHEN t.original_currency = 'EUR' THEN 1000000
      ELSE CAST(r.rate_per_eur * 1000000 AS BIGINT)
    END AS q
  FROM typed AS t
  LEFT JOIN meta.exchange_rates AS r
    ON r.currency = t.original_currency AND r.rate_date = t.partition_key
)
SELECT
  c.d ->> 'campaign_id' AS campaign_id,
  c.d ->> 'campaign_name' AS campaign_name,
  c.d ->> 'campaign_type' AS campaign_type,
  CAST(c.d ->> 'start_date' AS DATE) AS start_date,
  CAST(c.d ->> 'end_date' AS DATE) AS end_date,
  CASE WHEN c.budget_cents < 1000000000000 THEN
    CAST((2 * c.budget_cents * 1000000 + c.q) // (2 * c.q) AS DECIMAL(18, 0)) * 0.01
  END AS budget,
  CASE WHEN c.spent_cents < 1000000000000 THEN
    CAST((2 * c.spent_cents * 1000000 + c.q) // (2 * c.q) AS DECIMAL(18, 0)) * 0.01
  END AS spent,
  c.d -> 'target_audience' AS target_audience,
  c.d -> 'creative_elements' AS creative_elements,
  c.media_channels AS channels,
  CAST(c.d -> 'objectives' AS VARCHAR[]) AS objectives,
  c.d -> 'kpi_targets' AS kpi_targets,
  c.d ->> 'status' AS status,
  c.id AS source_bronze_id
FROM converted AS c
