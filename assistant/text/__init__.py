"""Bottom layer: vocabularies and text helpers shared by ingestion, the index, matching and the reader."""
