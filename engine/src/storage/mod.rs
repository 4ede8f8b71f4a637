//! Storage: sea-orm over SQLite (the embedded default) or PostgreSQL, the same code for both.

pub mod db;
pub mod documents;
pub use sea_orm::DbErr;
pub mod entity;
pub mod journal;
pub(crate) mod numbers;
pub(crate) mod outbox;
pub(crate) mod registry;
