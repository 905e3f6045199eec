-- meta.campaign_touches: the marketing touchpoints of gold.scout_kpi_campaign_attribution as typed
-- rows, one per interaction (docs/definitions.md, "Gold", campaign attribution).
--
-- * A touchpoint is the latest passed delivery of an interaction id (bronze record_key; latest
--   ingested_at, then record index, then bronze id) among its deliveries of type ad_impression,
--   ad_click, email_open or email_click, when it has a campaign_id and a customer_id.
-- * source_customer_id: the source's customer id as delivered; the attribution maps it to the
--   person (meta.customer_id_map) when it reads this table, so a customer record arriving later
--   is seen without rebuilding touches.
-- * channel: the interaction's channel, 'unknown' when absent; occurred_at in UTC; touch_date
--   its UTC day.
-- * Incremental by interaction id: new bronze deliveries rebuild exactly their ids' rows. The
--   attribution used to read every interaction's JSON on each rebuild (0.07 s of its 0.12 s per
--   micro-batch at 10 M transactions); a touch that changes or disappears reaches it through this
--   table's new rows and removal log.
MODEL (
  kind incremental,
  partition_by interaction_id,
  partition_source (bronze.ces_raw_interactions.record_key),
  grain (interaction_id),
  tests (
    not_null(interaction_id, source_customer_id, campaign_id, channel, touch_type, source_bronze_id),
    unique(interaction_id),
    accepted_values(touch_type, ['ad_impression', 'ad_click', 'email_open', 'email_click'])
  ),
  description 'Marketing touchpoints (ad and e-mail impressions and clicks), typed, latest delivery each'
);

SELECT
  v.interaction_id,
  v.source_customer_id,
  v.campaign_id,
  v.channel,
  v.touch_type,
  v.occurred_at,
  CAST(v.occurred_at AS DATE) AS touch_date,
  v.bronze_id AS source_bronze_id
FROM (
  SELECT
    i.id AS bronze_id,
    i.record_key AS interaction_id,
    i.interaction_type AS touch_type,
    i.interaction_data ->> 'customer_id' AS source_customer_id,
    i.interaction_data ->> 'campaign_id' AS campaign_id,
    coalesce(i.interaction_data ->> 'channel', 'unknown') AS channel,
    CAST(CAST(i.interaction_data ->> 'occurred_at' AS TIMESTAMPTZ) AS TIMESTAMP) AS occurred_at,
    row_number() OVER (
      PARTITION BY i.record_key ORDER BY i.ingested_at DESC, i.record_index DESC, i.id DESC
    ) AS version
  FROM bronze.ces_raw_interactions AS i
  WHERE i.validation_status = 'passed'
    AND i.interaction_type IN ('ad_impression', 'ad_click', 'email_open', 'email_click')
) AS v
WHERE v.version = 1 AND v.campaign_id IS NOT NULL AND v.source_customer_id IS NOT NULL
