"""Models of `meta` helper tables silver needs (the customer id map, the feedback text analysis)."""
