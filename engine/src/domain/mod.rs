//! The domain vocabulary shared by the workflow definitions, the state machine and storage.

pub mod body;
pub mod calendar;
pub mod csv;
pub mod description;
pub mod document;
pub mod economics;
pub mod economics_summary;
pub mod ids;
pub mod role;
pub mod text;
