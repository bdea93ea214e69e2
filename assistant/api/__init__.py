"""The HTTP API and the web chat (FastAPI)."""
