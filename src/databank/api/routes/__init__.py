"""API route modules: each defines `router` (a FastAPI APIRouter); `create_app` includes them all."""
