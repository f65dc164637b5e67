//! The PostgreSQL store, for deployments that run several server instances against one database
//! (`../shared/notes/postgres.md`). So far: the schema and its migration, applied under an advisory lock
//! so instances starting together migrate once. The `Store` implementation is being built on it.

pub mod schema;
