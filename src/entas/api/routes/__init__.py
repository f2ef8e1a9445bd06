"""The routers of the HTTP API, one per area of the ledger; each route parses, calls the access layer, renders."""
