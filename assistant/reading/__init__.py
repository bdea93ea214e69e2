"""Reading the retrieved clauses: candidate sentences scored per facet, and the evidence for an answer."""
