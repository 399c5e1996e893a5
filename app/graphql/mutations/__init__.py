"""Root mutation fields, one module per area, composed in `app.graphql.schema`."""
