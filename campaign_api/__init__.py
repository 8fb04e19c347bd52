"""campaign_api: an auth-aware GraphQL API for organisations that run campaigns and petitions."""
