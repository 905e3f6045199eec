-- meta.customer_channels: each customer's transactions per channel, as sums kept up to date by
-- adding new silver transactions and subtracting replaced ones (kind summary, docs/models.md),
-- for silver.scout_clean_customers' lifetime_value and preferred_channel.
--
-- * One row per customer_id and channel of silver.scout_clean_transactions (channel NULL is a
--   group of its own).
-- * amount: the sum of the transactions' amounts in EUR, refunds (negative) included; 0 when no
--   transaction of the group has an amount.
-- * sales: transactions with amount > 0; transactions: all of them (the group goes when it
--   reaches 0).
-- * Why a summary: re-reading a micro-batch's 1,000 customers' transactions filtered all 10 M
--   silver transactions by customer id, 0.1 s of each micro-batch; the sums change by what the
--   new and replaced transactions bring.
MODEL (
  kind summary,
  grain (customer_id, channel),
  tests (
    not_null(customer_id, amount, sales, transactions),
    unique(customer_id, channel),
    range(transactions, min := 1),
    range(sales, min := 0)
  ),
  description 'Per customer and channel: spend in EUR, sales and transactions'
);

SELECT
  t.customer_id,
  t.channel,
  sum(t.amount) AS amount,
  count(*) FILTER (WHERE t.amount > 0) AS sales,
  count(*) AS transactions
FROM silver.scout_clean_transactions AS t
GROUP BY t.customer_id, t.channel
