//! The Overdrag server and command line: HTTP and the CLI around the engine. Nothing here
//! decides who may do what or writes SQL; that is the engine's.

pub mod api;
pub mod cli;
pub mod config;
pub mod headers;
pub mod metrics;
pub mod oidc_config;
pub mod pages;
pub mod server;
