"""Silver models: clean, typed, de-duplicated business tables built from passed bronze records.

The runner loads the `.sql` and `.py` files here by path; modules and packages whose name starts
with `_` are helpers it skips (the feedback text analysis lives in `_feedback`).
"""
