"""HTTP plumbing around the GraphQL view: small ASGI middleware, one concern each."""
