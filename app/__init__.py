"""CreatorAudit: a GraphQL API for public Instagram and TikTok engagement."""
