//! Loads the definitions shipped in `workflows/` against the templates in `mail-templates/`.
#![allow(dead_code)]

use overdrag_engine::mail::MailTemplates;
use overdrag_engine::workflow::WorkflowSet;
use std::path::PathBuf;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The shipped definitions, loaded once per test binary: property tests ask for them in every
/// case, and parsing six files hundreds of times made them take minutes.
pub fn shipped() -> &'static WorkflowSet {
    static SHIPPED: std::sync::OnceLock<WorkflowSet> = std::sync::OnceLock::new();
    SHIPPED.get_or_init(load_shipped)
}

fn load_shipped() -> WorkflowSet {
    let templates = MailTemplates::load(&root().join("mail-templates"))
        .map(|t| t.events().clone())
        .unwrap_or_else(|errors| {
            panic!(
                "mail templates are broken:\n{}",
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        });
    WorkflowSet::load_dir(&root().join("workflows"), &templates).unwrap_or_else(|errors| {
        panic!(
            "shipped definitions are broken:\n{}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}
