"""Ingestion: from raw policy files to cleaned, structured, chunked documents."""
