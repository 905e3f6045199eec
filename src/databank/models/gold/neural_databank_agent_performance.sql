-- gold.neural_databank_agent_performance: how each platform agent did per day and layer, from
-- bronze.neural_databank_raw_logs (the runner's own `transformer` rows, the BronzeWriter's rows and
-- passed `logs` records). Definitions (also in docs/definitions.md, "Gold"):
--
-- * An operation is one passed log row; its day is the UTC date of created_at.
-- * successful_operations: status 'success'; error_count: status 'failed' or 'error' (other
--   statuses, such as 'skipped', are neither). success_rate = successful / total, 4 decimals.
-- * avg_execution_time: mean execution_time in seconds over the operations that report one,
--   2 decimals (each time taken to the microsecond first).
-- * throughput_per_hour = operations / active hours, an active hour being a clock hour of the day
--   with at least one operation of that agent and layer, 2 decimals.
-- * resource_utilization = busy seconds (sum of execution_time) / 86,400 seconds of the day,
--   4 decimals; above 1 when operations overlap (several workers), capped at 9.9999.
-- Every average and rate is divided exactly (integers) and rounded once, half away from zero.
-- * timed_operations (operations that report an execution_time) and busy_seconds (their sum,
--   6 decimals), migration 0009: avg_execution_time = busy_seconds / timed_operations, so
--   several rows combine exactly.
--
-- Incremental by date: a log row belongs to its own day; no lookback is needed.
MODEL (
  kind incremental,
  partition_by date,
  grain (date, agent_id, layer),
  tests (
    not_null(date, agent_id, layer, total_operations, successful_operations, error_count),
    unique(date, agent_id, layer),
    range(success_rate, min := 0, max := 1),
    range(avg_execution_time, min := 0),
    range(resource_utilization, min := 0)
  ),
  description 'Operations, success rate, execution time, errors, throughput and utilisation per day, agent and layer'
);

WITH operations AS (
  SELECT
    CAST(l.created_at AS DATE) AS date,
    l.agent_id,
    l.layer,
    l.status,
    CAST(round(l.execution_time * 1000000) AS BIGINT) AS micros,
    extract(hour FROM l.created_at) AS hour
  FROM bronze.neural_databank_raw_logs AS l
  WHERE l.validation_status = 'passed'
    AND l.agent_id IS NOT NULL AND l.layer IS NOT NULL AND l.created_at IS NOT NULL
),
daily AS (
  SELECT
    o.date,
    o.agent_id,
    o.layer,
    count(*) AS total,
    count(*) FILTER (WHERE o.status = 'success') AS successful,
    count(*) FILTER (WHERE o.status IN ('failed', 'error')) AS errors,
    count(o.micros) AS timed,
    coalesce(sum(o.micros), 0) AS micros,
    count(DISTINCT o.hour) AS hours
  FROM operations AS o
  GROUP BY o.date, o.agent_id, o.layer
)
SELECT
  d.date,
  d.agent_id,
  d.layer,
  d.total AS total_operations,
  d.successful AS successful_operations,
  (20000 * d.successful + d.total) // (2 * d.total) * 0.0001 AS success_rate,
  (2 * d.micros + 10000 * d.timed) // (20000 * NULLIF(d.timed, 0)) * 0.01 AS avg_execution_time,
  d.errors AS error_count,
  (200 * d.total + d.hours) // (2 * d.hours) * 0.01 AS throughput_per_hour,
  least((2 * d.micros + 8640000) // 17280000, 99999) * 0.0001 AS resource_utilization,
  d.timed AS timed_operations,
  d.micros * 0.000001 AS busy_seconds
FROM daily AS d
