"""Domain operations shared by the GraphQL layer, the CLI and the worker."""
