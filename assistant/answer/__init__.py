"""Composing answers with citations from retrieved clauses."""
