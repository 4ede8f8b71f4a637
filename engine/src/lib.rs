//! Overdrag's engine: the domain of planned and agreed task handover between the Danish health
//! sectors. It holds the workflow definitions and the pure state machine, the case services and
//! their storage. It knows nothing of HTTP or pages.

pub mod domain;
pub mod workflow;

pub mod accounts;
pub mod actor;
pub mod cases;
pub mod councils;
pub mod demo;
pub mod error;
pub mod idempotency;
pub mod journal_event;
pub mod mail;
pub mod operations;
pub mod organisations;
pub mod policy;
pub mod preferences;
pub mod regions;
pub mod render;
pub mod sso;
pub mod storage;
pub mod user_admin;
pub mod users;

pub use actor::Actor;
pub use cases::Engine;
pub use error::{EngineError, FieldError};
