"""Platinum models: forecasting, churn, recommendations, anomalies, insights."""
