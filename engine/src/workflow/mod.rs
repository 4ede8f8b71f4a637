//! Workflow definitions: the TOML files in `workflows/`, their validation, and the pure state
//! machine that carries a case from draft to closed.

pub mod carry_over;
pub mod definition;
pub mod graph;
pub mod guard;
pub mod machine;
mod problems;
mod raw;
pub mod set;
mod validate;

pub use carry_over::CarryOver;
pub use definition::{Definition, DefinitionError, Stage, State, Transition};
pub use set::WorkflowSet;
pub use validate::parse_definition;
