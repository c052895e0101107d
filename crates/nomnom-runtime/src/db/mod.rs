//! PostgreSQL: connection pool from the environment and the migration runner.
