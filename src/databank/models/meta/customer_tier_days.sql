-- meta.customer_tier_days: per day and tier, the counts gold.scout_kpi_customer_metrics needs
-- from meta.customer_activity (docs/definitions.md, "Gold", customer metrics), kept as sums
-- (kind summary): a run adds the activity rows it wrote and subtracts those it replaced, instead
-- of counting all 9.5 M activity rows at 10 M transactions (0.17 s of each micro-batch).
-- * purchases, continuing, ending, ending_spells (ending and continuing), known, acquired: the
--   day's activity rows with that flag; net_cents: their sum; activity_rows: all of them.
MODEL (
  kind summary,
  grain (day, customer_tier),
  tests (
    not_null(day, customer_tier, purchases, known, acquired, net_cents, activity_rows),
    unique(day, customer_tier)
  ),
  description 'Per day and tier: purchase days, spells continuing and ending, arrivals, net cents'
);

SELECT
  a.day,
  a.customer_tier,
  count(*) FILTER (WHERE a.purchase) AS purchases,
  count(*) FILTER (WHERE a.continuing) AS continuing,
  count(*) FILTER (WHERE a.ending) AS ending,
  count(*) FILTER (WHERE a.ending AND a.continuing) AS ending_spells,
  count(*) FILTER (WHERE a.known) AS known,
  count(*) FILTER (WHERE a.acquired) AS acquired,
  sum(a.net_cents) AS net_cents,
  count(*) AS activity_rows
FROM meta.customer_activity AS a
GROUP BY a.day, a.customer_tier
