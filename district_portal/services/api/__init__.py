"""The open-data API for other systems: keys, the dossier changes feed, webhooks, OpenAPI."""
