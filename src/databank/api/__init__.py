"""The REST API (FastAPI): `create_app` builds it, each module of `routes` adds its endpoints."""
