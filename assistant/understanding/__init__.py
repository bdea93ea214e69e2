"""Understanding a question: analysis into facets and answer types, document references, conversation."""
