-- gold.scout_kpi_revenue_daily: revenue, orders, customers, conversion and refunds per day,
-- region and channel. Definitions (also in docs/definitions.md, "Gold"):
--
-- * A sale is a silver transaction with amount > 0, a refund one with amount < 0 (silver stores
--   refunds as their own negative transactions); a zero amount is neither (silver's rule). Each is
--   booked on its own transaction_date, region and channel; a missing region or channel reads
--   'unknown'.
-- * total_revenue = the sum of all amounts = gross sales minus refunds (net), reporting currency.
-- * total_transactions = the number of sales (refunds are not orders).
-- * avg_order_value = total_revenue / total_transactions, divided exactly in integer cents and
--   rounded once, half away from zero (NULL on a day with refunds only).
-- * new_customers: distinct buyers of the group whose first-ever sale (over all of silver) is that
--   day; returning_customers: distinct buyers whose first sale was on an earlier day. A buyer who
--   buys in two regions or channels that day counts in each.
-- * refund_rate = refunds / sales of the group, 4 decimals (NULL without sales; capped at 9.9999,
--   the column's largest value, for a group with more than ten refunds per sale).
-- * conversion_rate = converting session-days / session-days, per day and web channel. A
--   session-day is a session_id on one UTC day (bronze partition_key) among passed events; it
--   converts when it holds a `purchase` event that day. Its channel is `mobile_app` when one of
--   its events comes from a native app (a user agent not starting with 'Mozilla/'), else `online`.
--   Events carry no region, so every region's row of that day and channel shows the same rate;
--   other channels (store, marketplace) have NULL.
-- * sessions = those session-days, converted_sessions = the converting ones (migration 0012), on
--   ONE row per day and web channel: the region whose md5 hex digest sorts first (the same order
--   under every collation; the region itself breaks a tie), 0 there when the channel had no
--   session-day; NULL on the other regions' rows and on other channels. So any sum of rows counts
--   each session-day once, and sum(converted_sessions) / sum(sessions) over days, regions and
--   channels is the true share. Like the rate, the counts only exist on a day and channel that
--   has transactions.
--
-- Incremental by date without lookback: every figure is local to its day, except "first-ever
-- sale": a late record older than a customer's first sale makes that customer new on the late
-- day (updated) and no longer new on the former first day, which keeps its count until the next
-- full refresh. The first sale days come from meta.customer_activity (its `acquired` rows), read
-- as a lookup: its rewritten rows touch no day here, the new transactions do.
MODEL (
  kind incremental,
  partition_by date,
  grain (date, region, channel),
  partition_source (bronze.scout_raw_events.partition_key),
  lookup (meta.customer_activity),
  tests (
    not_null(date, region, channel, total_revenue, total_transactions),
    unique(date, region, channel),
    range(total_transactions, min := 0),
    range(new_customers, min := 0),
    range(returning_customers, min := 0),
    range(conversion_rate, min := 0, max := 1),
    range(sessions, min := 0),
    range(converted_sessions, min := 0),
    range(refund_rate, min := 0)
  ),
  description 'Revenue, orders, new and returning customers, conversion and refund rates per day, region and channel'
);

WITH first_sale AS (
  -- each buyer's first-ever sale day, kept per customer by meta.customer_activity (a lookup: a
  -- grouping of all of silver here took 1.4 s of each micro-batch at 10 M transactions)
  SELECT f.customer_id, f.day AS first_date
  FROM meta.customer_activity AS f
  WHERE f.acquired
),
daily AS (
  SELECT
    t.transaction_date AS date,
    coalesce(t.region, 'unknown') AS region,
    coalesce(t.channel, 'unknown') AS channel,
    sum(t.amount) AS net_amount,
    count(*) FILTER (WHERE t.amount > 0) AS sales,
    count(*) FILTER (WHERE t.amount < 0) AS refunds,
    count(DISTINCT CASE WHEN t.amount > 0 AND s.first_date = t.transaction_date THEN t.customer_id END)
      AS new_customers,
    count(DISTINCT CASE WHEN t.amount > 0 AND s.first_date < t.transaction_date THEN t.customer_id END)
      AS returning_customers
  FROM silver.scout_clean_transactions AS t
  LEFT JOIN first_sale AS s ON s.customer_id = t.customer_id
  WHERE t.transaction_date IS NOT NULL AND t.amount IS NOT NULL
  GROUP BY t.transaction_date, coalesce(t.region, 'unknown'), coalesce(t.channel, 'unknown')
),
session_days AS (
  SELECT
    e.partition_key AS date,
    e.session_id,
    max(CASE WHEN e.user_agent IS NOT NULL AND e.user_agent NOT LIKE 'Mozilla/%' THEN 1 ELSE 0 END) AS app,
    max(CASE WHEN e.event_type = 'purchase' THEN 1 ELSE 0 END) AS converted
  FROM bronze.scout_raw_events AS e
  WHERE e.validation_status = 'passed' AND e.session_id IS NOT NULL AND e.partition_key IS NOT NULL
  GROUP BY e.partition_key, e.session_id
),
held AS (
  -- holder = 1 on the one row of a day and web channel that carries its session counts
  SELECT
    g.date,
    g.region,
    g.channel,
    g.net_amount,
    g.sales,
    g.refunds,
    g.new_customers,
    g.returning_customers,
    CASE
      WHEN g.channel IN ('online', 'mobile_app')
        THEN row_number() OVER (PARTITION BY g.date, g.channel ORDER BY md5(g.region), g.region)
    END AS holder
  FROM daily AS g
),
conversion AS (
  SELECT
    d.date,
    CASE WHEN d.app = 1 THEN 'mobile_app' ELSE 'online' END AS channel,
    count(*) AS sessions,
    sum(d.converted) AS converted
  FROM session_days AS d
  GROUP BY d.date, CASE WHEN d.app = 1 THEN 'mobile_app' ELSE 'online' END
)
SELECT
  d.date,
  d.region,
  d.channel,
  d.net_amount AS total_revenue,
  d.sales AS total_transactions,
  CASE
    WHEN d.net_amount < 0
      THEN -((2 * CAST(-d.net_amount * 100 AS BIGINT) + d.sales) // (2 * NULLIF(d.sales, 0)))
    ELSE (2 * CAST(d.net_amount * 100 AS BIGINT) + d.sales) // (2 * NULLIF(d.sales, 0))
  END * 0.01 AS avg_order_value,
  d.new_customers,
  d.returning_customers,
  (20000 * c.converted + c.sessions) // (2 * NULLIF(c.sessions, 0)) * 0.0001 AS conversion_rate,
  CASE WHEN d.sales > 0 THEN least((20000 * d.refunds + d.sales) // (2 * d.sales), 99999) END * 0.0001
    AS refund_rate,
  CASE WHEN d.holder = 1 THEN CAST(coalesce(c.sessions, 0) AS INTEGER) END AS sessions,
  CASE WHEN d.holder = 1 THEN CAST(coalesce(c.converted, 0) AS INTEGER) END AS converted_sessions
FROM held AS d
LEFT JOIN conversion AS c ON c.date = d.date AND c.channel = d.channel
