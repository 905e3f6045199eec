-- gold.ces_kpi_satisfaction_scores: feedback and support quality per day, channel and
-- interaction type. Definitions (also in docs/definitions.md, "Gold"):
--
-- * Items of a group: feedback (silver.ces_clean_feedback, on its submission_date, with its own
--   channel and interaction_type) and support contacts (passed bronze interactions of type
--   support_ticket, chat or call, latest delivery of each interaction_id, on their UTC day, with
--   their channel and type). A missing channel or type reads 'unknown'.
--   total_interactions = feedback items + support contacts of the group.
-- * Feedback measures (NULL in a group without feedback that carries them): avg_rating (stars,
--   2 decimals), avg_sentiment_score (silver's sentiment, -1..1, 4 decimals) and nps_score.
-- * NPS: of the feedback with an nps_response (0-10, read from the bronze record, silver does not
--   keep it), promoters answered 9-10 and detractors 0-6; nps_score = 100 x (promoters -
--   detractors) / responses, from -100 to 100, 2 decimals. The spec's numeric(4,2) cannot hold 100,
--   so migration 0007 widens the column to numeric(5,2).
-- * Support measures, over the group's support contacts (NULL without any):
--   response_rate = contacts with responded = true / contacts;
--   resolution_rate = contacts with resolution_status 'resolved' / contacts;
--   escalation_rate = contacts with escalated = true or resolution_status 'escalated' / contacts;
--   avg_resolution_time = mean hours from occurred_at to resolved_at over contacts with both,
--   2 decimals. Rates have 4 decimals.
-- Every average and rate is divided exactly (integers) and rounded once, half away from zero.
-- * The counts and sums they are divided from (migration 0009; 0 when the group has none), so
--   several rows combine exactly (sum / sum): rating_count and rating_sum (stars, 2 decimals),
--   sentiment_count and sentiment_sum (6 decimals), nps_responses and nps_net_promoters
--   (promoters - detractors), support_contacts and, of them, responded_contacts,
--   resolved_contacts, escalated_contacts and timed_contacts (with both times), and
--   resolution_seconds (their occurred_at -> resolved_at spans, each rounded to the second).
--
-- Incremental by date: every figure belongs to its own day (bronze partition_key is the UTC day of
-- the event; silver's submission_date is the UTC day of submitted_at), so no lookback is needed.
MODEL (
  kind incremental,
  partition_by date,
  grain (date, channel, interaction_type),
  partition_source (
    silver.ces_clean_feedback.submission_date,
    bronze.ces_raw_feedback.partition_key,
    bronze.ces_raw_interactions.partition_key
  ),
  watermark (silver.ces_clean_feedback.created_at),
  tests (
    not_null(date, channel, interaction_type, total_interactions),
    unique(date, channel, interaction_type),
    range(avg_rating, min := 0, max := 5),
    range(avg_sentiment_score, min := -1, max := 1),
    range(nps_score, min := -100, max := 100),
    range(response_rate, min := 0, max := 1),
    range(resolution_rate, min := 0, max := 1),
    range(escalation_rate, min := 0, max := 1)
  ),
  description 'Ratings, sentiment, NPS and support response, resolution and escalation per day, channel and interaction type'
);

WITH feedback AS (
  SELECT
    f.submission_date AS date,
    coalesce(f.channel, 'unknown') AS channel,
    coalesce(f.interaction_type, 'unknown') AS interaction_type,
    count(*) AS items,
    count(f.rating) AS ratings,
    sum(CAST(round(f.rating * 100) AS BIGINT)) AS rating_hundredths,
    count(f.sentiment_score) AS sentiments,
    sum(CAST(round(f.sentiment_score * 1000000) AS BIGINT)) AS sentiment_millionths,
    count(n.score) AS nps_responses,
    count(*) FILTER (WHERE n.score >= 9) AS promoters,
    count(*) FILTER (WHERE n.score <= 6) AS detractors
  FROM silver.ces_clean_feedback AS f
  LEFT JOIN (
    SELECT b.id, TRY_CAST(b.interaction_context ->> 'nps_response' AS INTEGER) AS score
    FROM bronze.ces_raw_feedback AS b
  ) AS n ON n.id = f.source_bronze_id
  WHERE f.submission_date IS NOT NULL
  GROUP BY f.submission_date, coalesce(f.channel, 'unknown'), coalesce(f.interaction_type, 'unknown')
),
contacts AS (
  SELECT
    v.date,
    v.channel,
    v.interaction_type,
    count(*) AS items,
    count(*) FILTER (WHERE v.responded) AS responded,
    count(*) FILTER (WHERE v.status = 'resolved') AS resolved,
    count(*) FILTER (WHERE v.escalated OR v.status = 'escalated') AS escalated,
    count(v.seconds) AS timed,
    sum(v.seconds) AS seconds
  FROM (
    SELECT
      i.partition_key AS date,
      coalesce(i.interaction_data ->> 'channel', 'unknown') AS channel,
      i.interaction_type,
      TRY_CAST(i.interaction_data ->> 'responded' AS BOOLEAN) AS responded,
      TRY_CAST(i.interaction_data ->> 'escalated' AS BOOLEAN) AS escalated,
      i.interaction_data ->> 'resolution_status' AS status,
      CAST(round(epoch(
        CAST(i.interaction_data ->> 'resolved_at' AS TIMESTAMPTZ)
        - CAST(i.interaction_data ->> 'occurred_at' AS TIMESTAMPTZ)
      )) AS BIGINT) AS seconds,
      row_number() OVER (PARTITION BY i.record_key ORDER BY i.ingested_at DESC, i.id DESC) AS version
    FROM bronze.ces_raw_interactions AS i
    WHERE i.validation_status = 'passed'
      AND i.interaction_type IN ('support_ticket', 'chat', 'call')
      AND i.partition_key IS NOT NULL
  ) AS v
  WHERE v.version = 1
  GROUP BY v.date, v.channel, v.interaction_type
),
items AS (
  SELECT
    f.date, f.channel, f.interaction_type, f.items, f.ratings, f.rating_hundredths, f.sentiments,
    f.sentiment_millionths, f.nps_responses, f.promoters, f.detractors,
    0 AS contacts, 0 AS responded, 0 AS resolved, 0 AS escalated, 0 AS timed, 0 AS seconds
  FROM feedback AS f
  UNION ALL
  SELECT
    c.date, c.channel, c.interaction_type, c.items, 0, 0, 0, 0, 0, 0, 0,
    c.items, c.responded, c.resolved, c.escalated, c.timed, c.seconds
  FROM contacts AS c
),
groups AS (
  SELECT
    i.date,
    i.channel,
    i.interaction_type,
    sum(i.items) AS items,
    sum(i.ratings) AS ratings,
    sum(i.rating_hundredths) AS rating_hundredths,
    sum(i.sentiments) AS sentiments,
    sum(i.sentiment_millionths) AS sentiment_millionths,
    sum(i.nps_responses) AS nps_responses,
    sum(i.promoters) - sum(i.detractors) AS net_promoters,
    sum(i.contacts) AS contacts,
    sum(i.responded) AS responded,
    sum(i.resolved) AS resolved,
    sum(i.escalated) AS escalated,
    sum(i.timed) AS timed,
    sum(i.seconds) AS seconds
  FROM items AS i
  GROUP BY i.date, i.channel, i.interaction_type
)
SELECT
  g.date,
  g.channel,
  g.interaction_type,
  CASE
    WHEN g.rating_hundredths < 0 THEN -((2 * -g.rating_hundredths + g.ratings) // (2 * NULLIF(g.ratings, 0)))
    ELSE (2 * g.rating_hundredths + g.ratings) // (2 * NULLIF(g.ratings, 0))
  END * 0.01 AS avg_rating,
  CASE
    WHEN g.sentiment_millionths < 0
      THEN -((2 * -g.sentiment_millionths + 100 * g.sentiments) // (200 * NULLIF(g.sentiments, 0)))
    ELSE (2 * g.sentiment_millionths + 100 * g.sentiments) // (200 * NULLIF(g.sentiments, 0))
  END * 0.0001 AS avg_sentiment_score,
  (20000 * g.responded + g.contacts) // (2 * NULLIF(g.contacts, 0)) * 0.0001 AS response_rate,
  (20000 * g.resolved + g.contacts) // (2 * NULLIF(g.contacts, 0)) * 0.0001 AS resolution_rate,
  CASE
    WHEN g.seconds < 0 THEN -((2 * -g.seconds + 36 * g.timed) // (72 * NULLIF(g.timed, 0)))
    ELSE (2 * g.seconds + 36 * g.timed) // (72 * NULLIF(g.timed, 0))
  END * 0.01 AS avg_resolution_time,
  CASE
    WHEN g.net_promoters < 0
      THEN -((20000 * -g.net_promoters + g.nps_responses) // (2 * NULLIF(g.nps_responses, 0)))
    ELSE (20000 * g.net_promoters + g.nps_responses) // (2 * NULLIF(g.nps_responses, 0))
  END * 0.01 AS nps_score,
  g.items AS total_interactions,
  (20000 * g.escalated + g.contacts) // (2 * NULLIF(g.contacts, 0)) * 0.0001 AS escalation_rate,
  g.ratings AS rating_count,
  coalesce(g.rating_hundredths, 0) * 0.01 AS rating_sum,
  g.sentiments AS sentiment_count,
  coalesce(g.sentiment_millionths, 0) * 0.000001 AS sentiment_sum,
  g.nps_responses,
  g.net_promoters AS nps_net_promoters,
  g.contacts AS support_contacts,
  g.responded AS responded_contacts,
  g.resolved AS resolved_contacts,
  g.escalated AS escalated_contacts,
  g.timed AS timed_contacts,
  coalesce(g.seconds, 0) AS resolution_seconds
FROM groups AS g
