-- silver.ces_clean_feedback: one row per feedback, with its text analysis.
--
-- Definitions (docs/definitions.md, "Silver"):
-- * Input: bronze.ces_raw_feedback rows with validation_status = 'passed', the latest version of
--   each feedback_id (latest ingested_at, then record_index, then bronze id).
-- * feedback_id: the source's feedback_id when it is a UUID, else a UUID derived from it (md5);
--   the source's own id stays in bronze (source_bronze_id → interaction_context).
-- * customer_id: the person the source customer id maps to (meta.customer_id_map), else the
--   source's id as sent (an orphan until its customer record arrives).
-- * submission_date: the UTC date of submitted_at (bronze partition_key).
-- * sentiment_score / sentiment_label, categories, key_topics, priority_score: from the Python
--   model meta.feedback_analysis (VADER for English, small lexicons for de/fr/es/nl, `unscored`
--   otherwise; keyword rules per language; the priority formula in _feedback/analyse.py).
-- * response_time and resolution_status stay NULL: feedback records carry no response data
--   (support response times are in bronze.ces_raw_interactions).
-- * Incremental by submission_date: new bronze rows, new analyses or changed customer mappings
--   replace the days they touch.
MODEL (
  kind incremental,
  partition_by submission_date,
  grain (feedback_id),
  tests (
    not_null(feedback_id, submission_date, feedback_text, sentiment_label, priority_score, source_bronze_id),
    unique(feedback_id),
    range(rating, min := 1, max := 5),
    range(sentiment_score, min := -1, max := 1),
    range(priority_score, min := 0, max := 1),
    accepted_values(sentiment_label, ['positive', 'neutral', 'negative', 'unscored']),
    accepted_values(channel, ['survey', 'app_review', 'social', 'email', 'support'], severity := 'warn'),
    accepted_values(interaction_type, ['purchase', 'support', 'delivery', 'general'], severity := 'warn'),
    relationships(customer_id, to := silver.scout_clean_customers.customer_id, severity := 'warn')
  )
);

WITH latest AS (
  SELECT
    b.id, b.record_key, b.partition_key, b.feedback_text, b.rating, b.channel, b.customer_id,
    b.interaction_context ->> 'interaction_type' AS interaction_type
  FROM bronze.ces_raw_feedback AS b
  WHERE b.validation_status = 'passed'
    AND NOT EXISTS (
      SELECT 1
      FROM bronze.ces_raw_feedback AS n
      WHERE n.record_key = b.record_key
        AND n.validation_status = 'passed'
        AND (
          n.ingested_at > b.ingested_at
          OR (n.ingested_at = b.ingested_at AND n.record_index > b.record_index)
          OR (n.ingested_at = b.ingested_at AND n.record_index = b.record_index AND n.id > b.id)
        )
    )
)
SELECT
  coalesce(TRY_CAST(l.record_key AS UUID), CAST(md5(l.record_key) AS UUID)) AS feedback_id,
  coalesce(m.customer_id, l.customer_id) AS customer_id,
  l.feedback_text,
  l.rating,
  a.sentiment_score,
  a.sentiment_label,
  l.channel,
  l.interaction_type,
  l.partition_key AS submission_date,
  a.categories,
  a.key_topics,
  a.priority_score,
  l.id AS source_bronze_id
FROM latest AS l
LEFT JOIN meta.feedback_analysis AS a ON a.bronze_id = l.id
LEFT JOIN meta.customer_id_map AS m ON m.source_customer_id = l.customer_id AND m.is_current
