-- gold.scout_kpi_campaign_attribution: exposure, attributed conversions and revenue, cost per
-- acquisition and return on ad spend per day, campaign, channel and attribution model.
-- Definitions (also in docs/definitions.md, "Gold"):
--
-- * A touchpoint is a passed bronze interaction of type ad_impression, ad_click, email_open or
--   email_click with a campaign_id and a customer_id (latest delivery of each interaction_id wins),
--   kept typed in meta.campaign_touches.
--   Its customer is the person meta.customer_id_map maps the source's id to (else the id itself);
--   its channel is the interaction's channel ('unknown' when absent); its day is its UTC date.
-- * A conversion is a sale (silver amount > 0) of a customer with at least one touchpoint in the
--   lookback window: from 30 days before the sale's day up to and including that day (silver keeps
--   the day of a sale, not its time, so a touch later on the same day still counts).
-- * Each model gives the touchpoints of a conversion weights summing to 1 (touches in order of
--   occurred_at, then interaction_id):
--   last_touch: 1 for the last; first_touch: 1 for the first; linear: 1/n each;
--   time_decay: 2^(-age/7) normalised, age = days from the touch to the sale (half-life 7 days).
-- * revenue_attributed: the sale amount split by the weights in whole cents (largest remainder),
--   so over all campaigns and channels one model's attributed revenue equals exactly the revenue
--   of the conversions. It lands on the sale's day, in the touch's campaign and channel.
-- * conversions: conversions giving that campaign and channel a weight > 0 (for linear and
--   time_decay a conversion counts once in each campaign/channel it touched).
-- * impressions = ad_impression + email_open touches, clicks = ad_click + email_click touches, on
--   the touch's day: the same on each model's row (they do not depend on the model).
-- * Spend: the campaign's `spent` (silver) spread evenly over its days (start_date .. end_date)
--   and its channels (silver `channels`); none without an end date or channels.
--   cost_per_acquisition = that day's spend on the row's channel / conversions (NULL without
--   conversions or spend); return_on_ad_spend = revenue_attributed / that spend, 4 decimals
--   (capped at 9999.9999). Both divide exactly (integer cents) and round once, half away from zero.
-- * spend (migration 0009): that day's spend on the row's channel in whole cents: spent cents
--   // (days x channels), plus one cent on the first (spent cents mod days x channels) days and
--   channels (by day, then md5 of the channel), so a campaign's days add up to exactly its
--   `spent`; 0.00 on the campaign's other days and channels (a conversion after the run); NULL
--   when the campaign's spend cannot be spread (no spent, end date or channels).
--   Like impressions it repeats on each model's row: add up one model's rows, never several.
--   (cost_per_acquisition and return_on_ad_spend still divide the exact, unrounded share.)
-- Rows: every (day, campaign, channel) with touches or attributed conversions, and every running
-- day and channel of a campaign with spend on a day the data covers (a day with at least one
-- touchpoint, of any campaign), once per model; the primary key includes attribution_model
-- (migration 0007).
--
-- Incremental by date: a new sale updates its day; a new or changed touch updates its own day and
-- the days of the sales it now reaches, and a touch that moved or vanished the days it reached
-- before (found through the SQL over meta.campaign_touches' new rows and removal log), so no
-- lookback is needed. A changed
-- campaign (spend) rebuilds every day of the table.
MODEL (
  kind incremental,
  partition_by date,
  grain (date, campaign_id, channel, attribution_model),
  partition_source (silver.scout_clean_transactions.transaction_date),
  tests (
    not_null(date, campaign_id, channel, attribution_model, impressions, clicks, conversions),
    unique(date, campaign_id, channel, attribution_model),
    accepted_values(attribution_model, ['last_touch', 'first_touch', 'linear', 'time_decay']),
    range(conversions, min := 0),
    range(revenue_attributed, min := 0)
  ),
  description 'Touches, attributed conversions and revenue, CPA and ROAS per day, campaign, channel and attribution model'
);

WITH touches AS (
  -- the touchpoints, typed and one per interaction in meta.campaign_touches; the person now
  SELECT
    t.interaction_id,
    coalesce(m.customer_id, t.source_customer_id) AS customer_id,
    t.campaign_id,
    t.channel,
    t.touch_type,
    t.occurred_at,
    t.touch_date
  FROM meta.campaign_touches AS t
  LEFT JOIN meta.customer_id_map AS m ON m.source_customer_id = t.source_customer_id AND m.is_current
),
paths AS (
  SELECT
    p.id AS sale_id,
    p.transaction_date AS date,
    CAST(p.amount * 100 AS BIGINT) AS cents,
    x.campaign_id,
    x.channel,
    CAST(p.transaction_date - x.touch_date AS INTEGER) AS age_days,
    row_number() OVER (PARTITION BY p.id ORDER BY x.occurred_at, x.interaction_id) AS position,
    count(*) OVER (PARTITION BY p.id) AS touches,
    sum(power(2.0, -CAST(p.transaction_date - x.touch_date AS INTEGER) / 7.0)) OVER (PARTITION BY p.id)
      AS decay_total
  FROM silver.scout_clean_transactions AS p
  JOIN touches AS x
    ON x.customer_id = p.customer_id AND x.touch_date BETWEEN p.transaction_date - 30 AND p.transaction_date
  WHERE p.amount > 0
),
weighted AS (
  SELECT
    w.*,
    w.cents * w.weight - floor(w.cents * w.weight) AS remainder,
    CAST(floor(w.cents * w.weight) AS BIGINT) AS floor_cents
  FROM (
    SELECT
      p.*,
      m.attribution_model,
      CASE m.attribution_model
        WHEN 'last_touch' THEN CASE WHEN p.position = p.touches THEN 1.0 ELSE 0.0 END
        WHEN 'first_touch' THEN CASE WHEN p.position = 1 THEN 1.0 ELSE 0.0 END
        WHEN 'linear' THEN 1.0 / p.touches
        ELSE power(2.0, -p.age_days / 7.0) / p.decay_total
      END AS weight
    FROM paths AS p
    CROSS JOIN (
      SELECT 'last_touch' AS attribution_model
      UNION ALL SELECT 'first_touch'
      UNION ALL SELECT 'linear'
      UNION ALL SELECT 'time_decay'
    ) AS m
  ) AS w
),
allocated AS (
  SELECT
    a.*,
    a.floor_cents + CASE
      WHEN row_number() OVER (
        PARTITION BY a.sale_id, a.attribution_model ORDER BY a.remainder DESC, a.position
      ) <= a.cents - sum(a.floor_cents) OVER (PARTITION BY a.sale_id, a.attribution_model)
      THEN 1 ELSE 0
    END AS credit_cents
  FROM weighted AS a
),
credits AS (
  SELECT
    a.date,
    a.campaign_id,
    a.channel,
    a.attribution_model,
    count(DISTINCT a.sale_id) AS conversions,
    sum(a.credit_cents) AS cents
  FROM allocated AS a
  WHERE a.weight > 0
  GROUP BY a.date, a.campaign_id, a.channel, a.attribution_model
),
exposure AS (
  SELECT
    x.touch_date AS date,
    x.campaign_id,
    x.channel,
    count(*) FILTER (WHERE x.touch_type IN ('ad_impression', 'email_open')) AS impressions,
    count(*) FILTER (WHERE x.touch_type IN ('ad_click', 'email_click')) AS clicks
  FROM touches AS x
  GROUP BY x.touch_date, x.campaign_id, x.channel
),
media AS (
  SELECT DISTINCT u.campaign_id, u.channel
  FROM (
    SELECT c.campaign_id, unnest(c.channels) AS channel FROM silver.scout_clean_campaigns AS c
  ) AS u
  WHERE u.channel IS NOT NULL
),
spend AS (
  -- Cents spent per day on one channel = spent cents / (days x channels), kept as a fraction.
  SELECT
    c.campaign_id,
    m.channel,
    c.start_date,
    c.end_date,
    CAST(c.spent * 100 AS BIGINT) AS spent_cents,
    CAST(c.end_date - c.start_date AS INTEGER) + 1 AS days,
    count(*) OVER (PARTITION BY c.campaign_id) AS channels
  FROM silver.scout_clean_campaigns AS c
  JOIN media AS m ON m.campaign_id = c.campaign_id
  WHERE c.spent IS NOT NULL AND c.start_date IS NOT NULL AND c.end_date >= c.start_date
),
spend_days AS (
  -- The same spend in whole cents: spent cents // (days x channels) on each running day and
  -- channel, one cent more on the first (spent cents mod that) in order of day, then md5 of the
  -- channel (hex digests sort alike under every collation), so a campaign's rows add up to
  -- exactly its spent.
  SELECT
    s.campaign_id,
    s.channel,
    CAST(g.day AS DATE) AS date,
    s.spent_cents // (s.days * s.channels) + CASE
      WHEN row_number() OVER (PARTITION BY s.campaign_id ORDER BY g.day, md5(s.channel))
        <= s.spent_cents % (s.days * s.channels)
      THEN 1 ELSE 0
    END AS cents
  FROM spend AS s
  CROSS JOIN generate_series(s.start_date, s.end_date, INTERVAL 1 DAY) AS g(day)
),
keys AS (
  SELECT c.date, c.campaign_id, c.channel, c.attribution_model FROM credits AS c
  UNION
  SELECT u.date, u.campaign_id, u.channel, m.attribution_model
  FROM (
    SELECT e.date, e.campaign_id, e.channel FROM exposure AS e
    UNION
    -- spend alone makes a row only on a day the touch data covers: read through `touches`, a new
    -- touch finds exactly the days it changes, and no row is made for days not yet recorded
    SELECT d.date, d.campaign_id, d.channel
    FROM spend_days AS d
    JOIN (SELECT DISTINCT x.touch_date FROM touches AS x) AS v ON v.touch_date = d.date
  ) AS u
  CROSS JOIN (
    SELECT 'last_touch' AS attribution_model
    UNION ALL SELECT 'first_touch'
    UNION ALL SELECT 'linear'
    UNION ALL SELECT 'time_decay'
  ) AS m
)
SELECT
  k.date,
  k.campaign_id,
  k.channel,
  coalesce(e.impressions, 0) AS impressions,
  coalesce(e.clicks, 0) AS clicks,
  coalesce(c.conversions, 0) AS conversions,
  coalesce(c.cents, 0) * 0.01 AS revenue_attributed,
  (2 * s.spent_cents + s.days * s.channels * c.conversions)
    // (2 * s.days * s.channels * NULLIF(c.conversions, 0)) * 0.01 AS cost_per_acquisition,
  CASE
    WHEN s.spent_cents > 0
      THEN least((20000 * coalesce(c.cents, 0) * s.days * s.channels + s.spent_cents) // (2 * s.spent_cents), 99999999)
  END * 0.0001 AS return_on_ad_spend,
  k.attribution_model,
  CASE WHEN p.campaign_id IS NOT NULL THEN coalesce(d.cents, 0) * 0.01 END AS spend
FROM keys AS k
LEFT JOIN exposure AS e ON e.date = k.date AND e.campaign_id = k.campaign_id AND e.channel = k.channel
LEFT JOIN credits AS c
  ON c.date = k.date AND c.campaign_id = k.campaign_id AND c.channel = k.channel
  AND c.attribution_model = k.attribution_model
LEFT JOIN spend AS s
  ON s.campaign_id = k.campaign_id AND s.channel = k.channel
  AND k.date BETWEEN s.start_date AND s.end_date
LEFT JOIN spend_days AS d
  ON d.campaign_id = k.campaign_id AND d.channel = k.channel AND d.date = k.date
LEFT JOIN (SELECT DISTINCT s.campaign_id FROM spend AS s) AS p ON p.campaign_id = k.campaign_id
