"""A fleet's dumps: object storage, crash sites grouped across hosts, keys for encryption."""
