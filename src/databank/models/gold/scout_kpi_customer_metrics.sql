-- gold.scout_kpi_customer_metrics: the customer base per day and tier. Definitions (also in
-- docs/definitions.md, "Gold"); W is the inactivity window, 90 days:
--
-- * Tier: the customer's current customer_tier in silver.scout_clean_customers ('unknown' for a
--   buyer silver has no customer row for). Silver keeps no tier history, so all days use today's
--   tiers: that is why this model is rebuilt in full (a tier change moves a customer in the past).
-- * Each customer's days (purchases, the next purchase, the start of the activity spell, arrival,
--   whether a purchase continues a spell or ends the activity) come from meta.customer_activity,
--   kept incrementally per customer; this model counts them per day and tier, so its full
--   rebuild reads one row per customer and day, runs no window per customer and compares no dates.
-- * A purchase is a sale (silver amount > 0) of the customer; a purchase day is a day with one.
-- * total_customers: customers known on that day: registered (registration_date) or, when
--   earlier or without one, first purchase on or before it.
-- * new_acquisitions: customers whose first-ever purchase is that day.
-- * active_customers: customers with a purchase in the W days ending that day (d-89 .. d).
-- * churn_count: customers who become inactive that day: their last purchase was exactly W days
--   earlier (d-90) and none followed. churn_rate = churn_count / active_customers of the day
--   before (a customer churning on d was active on d-1), 4 decimals.
-- * retention_rate: of the customers active W days earlier (d-90), the share still active on d
--   without having churned in between, 4 decimals.
-- * The rates' counts (migration 0010), so KPIs over many rows divide sums: churn_base, the
--   active customers of the day before (0 on the first day); retention_base, the active
--   customers of d-90 (0 before the first day + 90); retained, of those, the ones still active.
-- * avg_lifetime_value: net revenue (sales minus refunds) of the tier's customers up to and
--   including that day / total_customers, to the cent (the lifetime value as it stood that day).
-- * avg_engagement_score: purchase days in the W-day window per active customer (1.00 = every
--   active customer bought on one day of the window; at most 90), 2 decimals.
-- Days run from the first customer's arrival to the newest transaction_date, every day included.
MODEL (
  kind full,
  grain (date, customer_tier),
  tests (
    not_null(date, customer_tier, total_customers, active_customers, new_acquisitions, churn_count),
    unique(date, customer_tier),
    range(active_customers, min := 0),
    range(churn_rate, min := 0, max := 1),
    range(retention_rate, min := 0, max := 1)
  ),
  description 'Customers, activity, acquisition, churn, retention, lifetime value and engagement per day and tier'
);

WITH daily AS (
  -- One pass over the customers' days: every count the levels need, per day and tier.
  SELECT
    a.day,
    a.customer_tier,
    count(*) FILTER (WHERE a.purchase) AS purchases,
    count(*) FILTER (WHERE a.continuing) AS continuing,
    count(*) FILTER (WHERE a.ending) AS ending,
    count(*) FILTER (WHERE a.ending AND a.continuing) AS ending_spells,
    count(*) FILTER (WHERE a.known) AS known,
    count(*) FILTER (WHERE a.acquired) AS acquired,
    sum(a.net_cents) AS net_cents
  FROM meta.customer_activity AS a
  GROUP BY a.day, a.customer_tier
),
spell_starts AS (
  -- spells of two or more purchase days, counted on the day they started
  SELECT a.spell_start AS day, a.customer_tier, count(*) AS spells
  FROM meta.customer_activity AS a
  WHERE a.ending AND a.continuing
  GROUP BY a.spell_start, a.customer_tier
),
changes AS (
  -- Every event counted per (day, tier); cumulative sums over the days turn them into levels.
  -- A purchase day d starts (or continues) activity and engages for 90 days. Its activity ends
  -- at the customer's next purchase day when one follows within 90 days (that day is then a
  -- continuing one: one ending per continuing purchase day), else on d + 90, a churn. A spell of
  -- two or more purchase days retains its customer from its start + 90 until its end + 90. So
  -- every event is a count of `daily` on its own day or 90 days later.
  SELECT
    x.day,
    x.customer_tier,
    sum(x.active) AS active_delta,
    sum(x.engaged) AS engaged_delta,
    sum(x.churned) AS churned,
    sum(x.retained) AS retained_delta,
    sum(x.known) AS known_delta,
    sum(x.acquired) AS acquired,
    sum(x.net_cents) AS net_cents
  FROM (
    SELECT d.day, d.customer_tier, d.purchases - d.continuing AS active, d.purchases AS engaged,
      0 AS churned, 0 AS retained, d.known, d.acquired, d.net_cents
    FROM daily AS d
    UNION ALL
    SELECT d.day + 90, d.customer_tier, -d.ending, -d.purchases, d.ending, -d.ending_spells,
      0, 0, 0
    FROM daily AS d
    UNION ALL
    SELECT s.day + 90, s.customer_tier, 0, 0, 0, s.spells, 0, 0, 0
    FROM spell_starts AS s
  ) AS x
  GROUP BY x.day, x.customer_tier
),
calendar AS (
  SELECT CAST(g.day AS DATE) AS date
  FROM (
    SELECT
      (SELECT min(d.day) FROM daily AS d WHERE d.known > 0) AS first_day,
      (SELECT max(t.transaction_date) FROM silver.scout_clean_transactions AS t) AS last_day
  ) AS b
  CROSS JOIN generate_series(b.first_day, b.last_day, INTERVAL 1 DAY) AS g(day)
),
tiers AS (
  SELECT DISTINCT d.customer_tier FROM daily AS d WHERE d.known > 0
),
levels AS (
  SELECT
    k.date,
    r.customer_tier,
    sum(coalesce(x.known_delta, 0)) OVER w AS total_customers,
    sum(coalesce(x.active_delta, 0)) OVER w AS active_customers,
    sum(coalesce(x.engaged_delta, 0)) OVER w AS engaged_days,
    sum(coalesce(x.retained_delta, 0)) OVER w AS retained,
    sum(coalesce(x.net_cents, 0)) OVER w AS net_cents,
    coalesce(x.acquired, 0) AS new_acquisitions,
    coalesce(x.churned, 0) AS churn_count
  FROM calendar AS k
  CROSS JOIN tiers AS r
  LEFT JOIN changes AS x ON x.day = k.date AND x.customer_tier = r.customer_tier
  WINDOW w AS (PARTITION BY r.customer_tier ORDER BY k.date ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
compared AS (
  SELECT
    l.*,
    lag(l.active_customers) OVER (PARTITION BY l.customer_tier ORDER BY l.date) AS active_before,
    lag(l.active_customers, 90) OVER (PARTITION BY l.customer_tier ORDER BY l.date) AS active_window_ago
  FROM levels AS l
)
SELECT
  c.date,
  c.customer_tier,
  c.total_customers,
  c.active_customers,
  c.new_acquisitions,
  c.churn_count,
  (20000 * c.churn_count + c.active_before) // (2 * NULLIF(c.active_before, 0)) * 0.0001 AS churn_rate,
  CASE
    WHEN c.net_cents < 0
      THEN -((2 * -c.net_cents + c.total_customers) // (2 * NULLIF(c.total_customers, 0)))
    ELSE (2 * c.net_cents + c.total_customers) // (2 * NULLIF(c.total_customers, 0))
  END * 0.01 AS avg_lifetime_value,
  (200 * c.engaged_days + c.active_customers) // (2 * NULLIF(c.active_customers, 0)) * 0.01
    AS avg_engagement_score,
  (20000 * c.retained + c.active_window_ago) // (2 * NULLIF(c.active_window_ago, 0)) * 0.0001
    AS retention_rate,
  -- before the first day nobody was active: the bases are 0 there, not unknown
  coalesce(c.active_before, 0) AS churn_base,
  coalesce(c.active_window_ago, 0) AS retention_base,
  c.retained
FROM compared AS c
