-- gold.scout_kpi_product_performance: sales, stock and a demand forecast per day and product.
-- Definitions (also in docs/definitions.md, "Gold"):
--
-- * Sales and refunds as in the revenue table (silver amount > 0 / < 0), on their own day.
--   Units are silver's quantity (the bronze record's `quantity`, absolute value; 1 when absent).
-- * revenue = sales minus refunds of the product that day (net), reporting currency.
-- * units_sold = units of the sales; return_rate = units refunded that day / units_sold,
--   4 decimals (NULL without units sold; capped at 9.9999).
-- * margin_percentage = the product's list margin in silver, (price - cost) / price.
-- * Rows: every product-day with sales or refunds, and the 28 days after each (the forecast
--   horizon), so a product has a forecast row on days it did not sell (revenue and units 0);
--   rows may therefore lie up to 28 days after the newest sale.
-- * Stock: each passed bronze product record is a stock snapshot (stock_quantity,
--   inventory_status) taken at its updated_at; a day's stock is the last snapshot of that UTC day,
--   else the last one before it. stock_out_days is 1 when that stock reads inventory_status
--   'out_of_stock' or stock_quantity <= 0, else 0 (counted on the rows above only).
-- * inventory_turnover = units_sold / stock_quantity of the day, 4 decimals (NULL when the
--   stock is unknown or not positive; capped at 9999.9999).
-- * demand_forecast = the average daily units sold over the 28 days before the row's day (days
--   without sales count as 0), 2 decimals: a naive trailing-average forecast (platinum forecasts).
--
-- Incremental by date. A day's row depends on the transactions of that day and the 28 days before
-- it (units, the forecast window, the sale day whose horizon holds it), and on nothing later:
-- `partition_window 28` says so, so new transactions of day D rebuild D .. D+28 reading only the
-- transactions of D-28 .. D+28 (no lookback needed). A changed product (margin, category)
-- rebuilds the product's days, a new stock snapshot every day (the stock carries forward).
MODEL (
  kind incremental,
  partition_by date,
  partition_source (silver.scout_clean_transactions.transaction_date),
  partition_window 28,
  grain (date, product_id),
  tests (
    not_null(date, product_id, revenue, units_sold, stock_out_days),
    unique(date, product_id),
    range(units_sold, min := 0),
    range(stock_out_days, min := 0, max := 1),
    range(return_rate, min := 0),
    range(demand_forecast, min := 0)
  ),
  description 'Revenue, units, margin, returns, stock-outs, turnover and a trailing-average forecast per day and product'
);

WITH lines AS (
  SELECT
    t.transaction_date AS date,
    t.product_id,
    t.amount,
    coalesce(t.quantity, 1) AS units
  FROM silver.scout_clean_transactions AS t
  WHERE t.product_id IS NOT NULL AND t.transaction_date IS NOT NULL AND t.amount IS NOT NULL
),
daily AS (
  SELECT
    l.date,
    l.product_id,
    sum(l.amount) AS revenue,
    sum(CASE WHEN l.amount > 0 THEN l.units ELSE 0 END) AS units_sold,
    sum(CASE WHEN l.amount < 0 THEN l.units ELSE 0 END) AS units_returned
  FROM lines AS l
  GROUP BY l.date, l.product_id
),
snapshots AS (
  SELECT
    s.product_id,
    s.day,
    s.stock,
    s.out_of_stock,
    coalesce(lead(s.day) OVER (PARTITION BY s.product_id ORDER BY s.day), DATE '9999-12-31') AS next_day
  FROM (
    SELECT
      r.product_data ->> 'product_id' AS product_id,
      r.partition_key AS day,
      TRY_CAST(r.product_data ->> 'stock_quantity' AS INTEGER) AS stock,
      CASE
        WHEN r.product_data ->> 'inventory_status' = 'out_of_stock' THEN 1
        WHEN TRY_CAST(r.product_data ->> 'stock_quantity' AS INTEGER) <= 0 THEN 1
        ELSE 0
      END AS out_of_stock,
      row_number() OVER (
        PARTITION BY r.product_data ->> 'product_id', r.partition_key
        ORDER BY CAST(r.product_data ->> 'updated_at' AS TIMESTAMPTZ) DESC, r.ingested_at DESC, r.id DESC
      ) AS latest
    FROM bronze.scout_raw_products AS r
    WHERE r.validation_status = 'passed' AND r.partition_key IS NOT NULL
  ) AS s
  WHERE s.latest = 1 AND s.product_id IS NOT NULL
),
sale_days AS (
  SELECT
    d.product_id,
    d.date,
    lead(d.date) OVER (PARTITION BY d.product_id ORDER BY d.date) AS next_date
  FROM daily AS d
),
product_days AS (
  -- Each day with sales or refunds owns the days up to the next one, at most 28 days on.
  SELECT s.product_id, CAST(g.day AS DATE) AS date
  FROM sale_days AS s
  CROSS JOIN generate_series(
    s.date,
    CASE WHEN s.next_date <= s.date + 28 THEN s.next_date - 1 ELSE s.date + 28 END,
    INTERVAL 1 DAY
  ) AS g(day)
),
product_rows AS (
  SELECT
    k.date,
    k.product_id,
    coalesce(d.revenue, 0) AS revenue,
    coalesce(d.units_sold, 0) AS units_sold,
    d.units_returned,
    s.stock,
    coalesce(s.out_of_stock, 0) AS stock_out_days,
    sum(coalesce(d.units_sold, 0)) OVER (
      PARTITION BY k.product_id ORDER BY CAST(k.date - DATE '2000-01-01' AS INTEGER)
      RANGE BETWEEN 28 PRECEDING AND 1 PRECEDING
    ) AS units_28d
  FROM product_days AS k
  LEFT JOIN daily AS d ON d.date = k.date AND d.product_id = k.product_id
  LEFT JOIN snapshots AS s ON s.product_id = k.product_id AND k.date >= s.day AND k.date < s.next_day
)
SELECT
  r.date,
  r.product_id,
  p.category_l1,
  r.revenue,
  r.units_sold,
  CASE WHEN r.stock > 0 THEN least((20000 * r.units_sold + r.stock) // (2 * r.stock), 99999999) END
    * 0.0001 AS inventory_turnover,
  p.margin AS margin_percentage,
  CASE
    WHEN r.units_sold > 0 THEN least((20000 * r.units_returned + r.units_sold) // (2 * r.units_sold), 99999)
  END * 0.0001 AS return_rate,
  r.stock_out_days,
  (200 * coalesce(r.units_28d, 0) + 28) // 56 * 0.01 AS demand_forecast
FROM product_rows AS r
LEFT JOIN silver.scout_clean_products AS p ON p.product_id = r.product_id
