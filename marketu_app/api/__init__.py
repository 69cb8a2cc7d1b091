"""The operator API v1 (shared/spec/operator-api.md): FastAPI router and pydantic schemas."""
