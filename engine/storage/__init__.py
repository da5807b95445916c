"""Storage: the database connection, the core entities, numbered migrations, plain SQL and the data generation."""
