"""Business rules as verbs. Services flush, never commit."""
