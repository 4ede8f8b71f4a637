//! The TOML shape of a definition file, as written. Validation turns it into a `Definition`.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDefinition {
    pub workflow: RawWorkflow,
    pub bodies: Option<Spanned<BTreeMap<String, String>>>,
    pub hearing: Option<Spanned<RawHearing>>,
    #[serde(default, rename = "state")]
    pub states: Vec<Spanned<RawState>>,
    #[serde(default, rename = "transition")]
    pub transitions: Vec<Spanned<RawTransition>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWorkflow {
    pub key: Spanned<String>,
    pub version: Spanned<i64>,
    pub region: Spanned<String>,
    pub name: Spanned<String>,
    pub valid_from: Spanned<toml::value::Datetime>,
    pub valid_to: Option<Spanned<toml::value::Datetime>>,
    pub case_prefix: Spanned<String>,
    pub initial: Spanned<String>,
    #[serde(default)]
    pub closing_days: Vec<Spanned<String>>,
    pub agreement_years: Option<Spanned<i64>>,
    /// Per cent by which costs and savings may differ and still count as balanced.
    pub fair_balance_percent: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLabel {
    pub da: Option<String>,
    pub en: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHearing {
    pub parties: Vec<String>,
    pub quorum: Spanned<RawQuorum>,
    pub answer_days: u32,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum RawQuorum {
    Word(String),
    Count(i64),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawState {
    pub id: Spanned<String>,
    pub label: Option<RawLabel>,
    pub stage: Spanned<String>,
    pub actor: Option<Spanned<String>>,
    #[serde(default)]
    pub editable: Vec<Spanned<String>>,
    #[serde(default)]
    pub signoff: Vec<Spanned<String>>,
    pub due_days: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn names(&self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one.clone()],
            OneOrMany::Many(many) => many.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTransition {
    pub id: Spanned<String>,
    pub label: Option<RawLabel>,
    pub from: Spanned<OneOrMany>,
    pub to: Spanned<String>,
    pub by: Spanned<Vec<String>>,
    #[serde(default)]
    pub guards: Vec<Spanned<String>>,
    #[serde(default)]
    pub require_comment: bool,
    #[serde(default)]
    pub notify: Vec<Spanned<RawNotify>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNotify {
    pub template: String,
    pub to: Vec<String>,
}
