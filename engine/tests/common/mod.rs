//! Loads the definitions shipped in `workflows/` against the templates in `mail-templates/`.
#![allow(dead_code)]

use overdrag_engine::workflow::WorkflowSet;
use overdrag_engine::workflow::set::mail_templates_in;
use std::path::PathBuf;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn shipped() -> WorkflowSet {
    let templates = mail_templates_in(&root().join("mail-templates")).unwrap_or_else(|errors| {
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
