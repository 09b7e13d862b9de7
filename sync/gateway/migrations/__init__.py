"""The gateway store's ordered schema migrations (`NNNN_name.sql`), applied by sync/gateway/schema.py."""
