-- meta.customer_tier_spells: per day and tier, the activity spells of two or more purchase days
-- that started that day (their last purchase day ends the activity and continues a spell),
-- counted on the spell's first day for gold.scout_kpi_customer_metrics' retention. Kept as sums
-- (kind summary) like meta.customer_tier_days.
MODEL (
  kind summary,
  grain (day, customer_tier),
  tests (
    not_null(day, customer_tier, spells),
    unique(day, customer_tier)
  ),
  description 'Per day and tier: spells of two or more purchase days that started that day'
);

SELECT
  a.spell_start AS day,
  a.customer_tier,
  count(*) AS spells
FROM meta.customer_activity AS a
WHERE a.ending AND a.continuing
GROUP BY a.spell_start, a.customer_tier
