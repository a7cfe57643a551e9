-- Per-variant sufficient statistics for `varroute analyze -summaries`,
-- computed where the data lives. Tables:
--   exposures(time, plan, variant, unit)  -- the exposure log (exposure.Writer's JSON lines)
--   outcomes(unit, metric, value)         -- one row per value; rows of a unit and metric add up
-- Written for SQLite; elsewhere change only the period expression:
--   BigQuery   FORMAT_TIMESTAMP('%FT%H:00:00Z', TIMESTAMP_TRUNC(time, HOUR))
--   ClickHouse formatDateTime(toStartOfHour(time), '%FT%H:00:00Z')
--   DuckDB     strftime(date_trunc('hour', time), '%Y-%m-%dT%H:00:00Z')
--   Spark      date_format(date_trunc('HOUR', time), "yyyy-MM-dd'T'HH:00:00'Z'")
-- Set the plan and the covariate (or '' for none) in the two places marked.
WITH ranked AS (
  SELECT unit, variant, time,
         ROW_NUMBER() OVER (PARTITION BY unit ORDER BY time, variant) AS n
  FROM exposures
  WHERE plan = 'checkout-2026'                               -- the plan
    AND unit <> ''
),
assigned AS (            -- intent to treat: each unit's first exposure
  SELECT unit, variant,
         strftime('%Y-%m-%dT%H:00:00Z', time) AS period       -- the period expression
  FROM ranked WHERE n = 1
),
per_unit AS (
  SELECT unit, metric, SUM(value) AS value FROM outcomes GROUP BY unit, metric
),
metrics AS (SELECT DISTINCT metric FROM outcomes),
params AS (SELECT 'pre_revenue' AS covariate),               -- the covariate
unit_metric AS (         -- every exposed unit for every metric; no row is 0
  SELECT a.period, a.variant, m.metric,
         COALESCE(y.value, 0) AS y, COALESCE(x.value, 0) AS x
  FROM assigned a
  CROSS JOIN metrics m
  LEFT JOIN per_unit y ON y.unit = a.unit AND y.metric = m.metric
  LEFT JOIN per_unit x ON x.unit = a.unit AND x.metric = (SELECT covariate FROM params)
)
SELECT period, variant, metric,
       COUNT(*)                            AS units,
       SUM(CASE WHEN y > 0 THEN 1 ELSE 0 END) AS positive,
       SUM(y)                              AS sum,
       SUM(y * y)                          AS sum_sq,
       (SELECT covariate FROM params)      AS covariate,
       SUM(x)                              AS cov_sum,
       SUM(x * x)                          AS cov_sum_sq,
       SUM(x * y)                          AS cov_cross
FROM unit_metric
GROUP BY period, variant, metric
ORDER BY period, variant, metric;
