//! A carry-over file (`workflows/reform/*.toml`): on which day the open cases of ending
//! definitions move onto new ones, which regions merge into which, and where each state goes.
//! Validated against the definitions it names, with the file and line of every problem.

use super::definition::{Definition, DefinitionError};
use super::problems::Problems;
use super::validate::date;
use crate::domain::ids::{RegionSlug, StateId};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCarryOver {
    reform: RawReform,
    #[serde(default, rename = "merge")]
    merges: Vec<Spanned<RawMerge>>,
    #[serde(default, rename = "carry")]
    carries: Vec<Spanned<RawCarry>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReform {
    name: Spanned<String>,
    on: Spanned<toml::value::Datetime>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMerge {
    into: Spanned<String>,
    from: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCarry {
    from: Spanned<RawVersion>,
    to: Spanned<RawVersion>,
    states: BTreeMap<String, Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVersion {
    region: String,
    key: String,
    version: u32,
}

/// One definition version, by region, key and version.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
pub struct VersionRef {
    #[schema(value_type = String)]
    pub region: RegionSlug,
    pub key: String,
    pub version: u32,
}

impl VersionRef {
    pub fn of(def: &Definition) -> Self {
        Self {
            region: def.region.clone(),
            key: def.key.clone(),
            version: def.version,
        }
    }

    pub fn names(&self, def: &Definition) -> bool {
        def.region == self.region && def.key == self.key && def.version == self.version
    }
}

impl std::fmt::Display for VersionRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} v{}", self.region, self.key, self.version)
    }
}

/// Where the open cases of one ending definition go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Carry {
    pub from: VersionRef,
    pub to: VersionRef,
    /// Every open state of `from`, and the state of `to` a case in it moves to.
    pub states: BTreeMap<StateId, StateId>,
}

/// A validated carry-over file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CarryOver {
    pub file: String,
    pub name: String,
    /// The day the new definitions take effect; nothing is carried before it.
    pub on: NaiveDate,
    /// Each merged region and the region that takes it over.
    pub merges: BTreeMap<RegionSlug, RegionSlug>,
    pub carries: Vec<Carry>,
}

impl CarryOver {
    /// Where the open cases of `def` go, if this file carries them.
    pub fn carry_of(&self, def: &Definition) -> Option<&Carry> {
        self.carries.iter().find(|c| c.from.names(def))
    }

    /// The region that takes over `region` (itself when it does not merge).
    pub fn successor<'a>(&'a self, region: &'a RegionSlug) -> &'a RegionSlug {
        self.merges.get(region).unwrap_or(region)
    }
}

/// Parses and validates a carry-over file against `definitions`: the definitions it names
/// exist, each carries from one that ends before `on` to one that starts on it, in the same
/// region or the one that takes it over; every open state of every definition that ends is
/// carried, and only to an open state.
///
/// # Errors
/// Every problem found, each naming the file, the line and the fix.
pub fn parse_carry_over(
    file: &str,
    source: &str,
    definitions: &[Definition],
) -> Result<CarryOver, Vec<DefinitionError>> {
    let mut problems = Problems::new(file, source);
    let raw: RawCarryOver = problems.parse().map_err(|()| problems.found.clone())?;
    let on = date(&raw.reform.on, "on", &mut problems);
    if raw.reform.name.get_ref().trim().is_empty() {
        problems.at(
            raw.reform.name.span(),
            "`name` must say which reform this is",
        );
    }
    let known_region = |slug: &str| definitions.iter().any(|d| d.region.as_str() == slug);
    let mut merges = BTreeMap::new();
    for merge in &raw.merges {
        let merge = merge.get_ref();
        let into = RegionSlug::parse(merge.into.get_ref()).ok();
        if !known_region(merge.into.get_ref()) {
            problems.at(
                merge.into.span(),
                format!(
                    "no definition for region `{}`; add its workflow before merging into it",
                    merge.into.get_ref()
                ),
            );
        }
        for from in &merge.from {
            match (RegionSlug::parse(from.get_ref()), &into) {
                (Ok(slug), Some(into)) if known_region(from.get_ref()) => {
                    if merges.insert(slug, into.clone()).is_some() {
                        problems.at(from.span(), format!("`{}` merges twice", from.get_ref()));
                    }
                }
                _ => problems.at(
                    from.span(),
                    format!("no definition for region `{}`", from.get_ref()),
                ),
            }
        }
    }
    let find = |v: &RawVersion| {
        definitions
            .iter()
            .find(|d| d.region.as_str() == v.region && d.key == v.key && d.version == v.version)
    };
    let mut carries: Vec<Carry> = Vec::new();
    for raw_carry in &raw.carries {
        let carry = raw_carry.get_ref();
        let missing = |v: &Spanned<RawVersion>, problems: &mut Problems<'_>| {
            let r = v.get_ref();
            problems.at(
                v.span(),
                format!(
                    "no definition {} {} version {}; name one in workflows/",
                    r.region, r.key, r.version
                ),
            );
        };
        let (Some(from), Some(to)) = (find(carry.from.get_ref()), find(carry.to.get_ref())) else {
            if find(carry.from.get_ref()).is_none() {
                missing(&carry.from, &mut problems);
            }
            if find(carry.to.get_ref()).is_none() {
                missing(&carry.to, &mut problems);
            }
            continue;
        };
        if carries.iter().any(|c| c.from.names(from)) {
            problems.at(
                carry.from.span(),
                format!(
                    "{} is carried twice; keep one `[[carry]]` for it",
                    VersionRef::of(from)
                ),
            );
        }
        if let Some(on) = on {
            if from.valid_to.is_none_or(|end| end >= on) {
                problems.at(
                    carry.from.span(),
                    format!(
                        "{} must end before {on} (set its `valid_to`); a case is carried off a definition only when it ends",
                        VersionRef::of(from)
                    ),
                );
            }
            if to.valid_from != on {
                problems.at(
                    carry.to.span(),
                    format!(
                        "{} starts on {}, not on {on}; carry to the definition that starts on the reform's day",
                        VersionRef::of(to),
                        to.valid_from
                    ),
                );
            }
        }
        let successor = merges.get(&from.region).unwrap_or(&from.region);
        if &to.region != successor {
            problems.at(
                carry.to.span(),
                format!(
                    "a case of {} goes to region `{successor}`, not `{}`",
                    from.region, to.region
                ),
            );
        }
        let mut states = BTreeMap::new();
        for (from_state, to_state) in &carry.states {
            let Some(source_state) = from.state_by_str(from_state) else {
                problems.at(
                    to_state.span(),
                    format!("{} has no state `{from_state}`", VersionRef::of(from)),
                );
                continue;
            };
            if source_state.stage.is_terminal() {
                problems.at(
                    to_state.span(),
                    format!("`{from_state}` is a final state: a closed case stays where it is; remove the line"),
                );
                continue;
            }
            match to.state_by_str(to_state.get_ref()) {
                Some(target) if !target.stage.is_terminal() => {
                    states.insert(source_state.id.clone(), target.id.clone());
                }
                Some(_) => problems.at(
                    to_state.span(),
                    format!(
                        "`{}` is a final state of {}; an open case goes to an open state",
                        to_state.get_ref(),
                        VersionRef::of(to)
                    ),
                ),
                None => problems.at(
                    to_state.span(),
                    format!(
                        "{} has no state `{}`",
                        VersionRef::of(to),
                        to_state.get_ref()
                    ),
                ),
            }
        }
        for state in from.states.iter().filter(|s| !s.stage.is_terminal()) {
            if !carry.states.contains_key(state.id.as_str()) {
                problems.at(
                    raw_carry.span(),
                    format!(
                        "the open state `{}` of {} is not carried; add `{} = \"<state of {}>\"` to `states`",
                        state.id,
                        VersionRef::of(from),
                        state.id,
                        VersionRef::of(to)
                    ),
                );
            }
        }
        carries.push(Carry {
            from: VersionRef::of(from),
            to: VersionRef::of(to),
            states,
        });
    }
    if let Some(on) = on {
        for def in definitions {
            let ends = def
                .valid_to
                .is_some_and(|end| end < on && end >= on.pred_opt().unwrap_or(on));
            if ends && !carries.iter().any(|c| c.from.names(def)) {
                problems.at(
                    raw.reform.on.span(),
                    format!(
                        "{} ends on the eve of {on} but no `[[carry]]` says where its open cases go; add one",
                        VersionRef::of(def)
                    ),
                );
            }
        }
    }
    match on {
        Some(on) if problems.found.is_empty() => Ok(CarryOver {
            file: file.to_owned(),
            name: raw.reform.name.into_inner(),
            on,
            merges,
            carries,
        }),
        _ => Err(problems.found),
    }
}
