"""GraphQL object types, one module per type, each mapping ORM rows explicitly."""
