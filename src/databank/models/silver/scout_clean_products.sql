-- silver.scout_clean_products: one row per product_id, its latest passed version.
--
-- Definitions (docs/definitions.md, "Silver"):
-- * Input: bronze.scout_raw_products rows with validation_status = 'passed'; the latest version of
--   each product_id (latest ingested_at, then record_index, then bronze id).
-- * category_l1..l3: the record's category levels as sent (l1 is required by the contract).
-- * price and cost in EUR: a non-EUR value is divided by the ECB rate (meta.exchange_rates) of the
--   record's event date (bronze partition_key: the record's updated_at, else its ingestion day),
--   in integer cents, rounded half away from zero once; no rate, or a value of 100 million EUR
--   or more, leaves it NULL.
-- * margin = (price - cost) / price, from the record's own-currency values (a ratio does not
--   depend on the currency), rounded half away from zero to 4 decimals; NULL when price is 0 or
--   cost is missing, and NULL when it falls outside numeric(5,4) (below -9.9999: cost > ~11 x price).
-- * seasonal_flags: the record's array; attributes: its object, as JSON.
-- * Kind merge by product_id: a new version upserts its product's row.
MODEL (
  kind merge,
  unique_key (product_id),
  grain (product_id),
  tests (
    not_null(product_id, product_name, category_l1, source_bronze_id),
    not_null(price, severity := 'warn'),
    unique(product_id),
    range(price, min := 0),
    range(cost, min := 0),
    range(margin, max := 1),
    accepted_values(status, ['active', 'discontinued', 'draft'], severity := 'warn'),
    accepted_values(inventory_status, ['in_stock', 'low_stock', 'out_of_stock'], severity := 'warn')
  )
);

WITH latest AS (
  SELECT b.id, b.partition_key, b.product_data AS d
  FROM bronze.scout_raw_products AS b
  WHERE b.validation_status = 'passed'
    AND NOT EXISTS (
      SELECT 1
      FROM bronze.scout_raw_products AS n
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
    l.id AS bronze_id,
    l.partition_key AS event_date,
    l.d,
    l.d ->> 'currency' AS original_currency,
    CAST(CAST(l.d ->> 'price' AS DECIMAL(18, 2)) * 100 AS BIGINT) AS price_cents,
    CAST(CAST(l.d ->> 'cost' AS DECIMAL(18, 2)) * 100 AS BIGINT) AS cost_cents
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
    ON r.currency = t.original_currency AND r.rate_date = t.event_date
),
priced AS (
  SELECT
    c.*,
    CASE WHEN c.price_cents < 1000000000000 THEN (2 * c.price_cents * 1000000 + c.q) // (2 * c.q) END
      AS price_eur_cents,
    CASE WHEN c.cost_cents < 1000000000000 THEN (2 * c.cost_cents * 1000000 + c.q) // (2 * c.q) END
      AS cost_eur_cents,
    CASE WHEN c.price_cents > 0 AND c.price_cents < 1000000000000 AND c.cost_cents < 1000000000000 THEN
      CASE WHEN c.price_cents < c.cost_cents THEN -1 ELSE 1 END
      * ((2 * abs(c.price_cents - c.cost_cents) * 10000 + c.price_cents) // (2 * c.price_cents))
    END AS margin_bp
  FROM converted AS c
)
SELECT
  p.d ->> 'product_id' AS product_id,
  p.d ->> 'product_name' AS product_name,
  p.d ->> 'category_l1' AS category_l1,
  p.d ->> 'category_l2' AS category_l2,
  p.d ->> 'category_l3' AS category_l3,
  p.d ->> 'brand' AS brand,
  CASE WHEN p.price_eur_cents < 10000000000 THEN CAST(p.price_eur_cents AS DECIMAL(18, 0)) * 0.01 END
    AS price,
  CASE WHEN p.cost_eur_cents < 10000000000 THEN CAST(p.cost_eur_cents AS DECIMAL(18, 0)) * 0.01 END
    AS cost,
  CASE WHEN p.margin_bp >= -99999 THEN CAST(p.margin_bp AS DECIMAL(18, 0)) * 0.0001 END AS margin,
  CAST(p.d ->> 'launch_date' AS DATE) AS launch_date,
  p.d ->> 'status' AS status,
  p.d -> 'attributes' AS attributes,
  p.d ->> 'inventory_status' AS inventory_status,
  CAST(p.d -> 'seasonal_flags' AS VARCHAR[]) AS seasonal_flags,
  p.bronze_id AS source_bronze_id
FROM priced AS p
