"""Reference card-management gateway: the server side of the sync protocol (its own store)."""
