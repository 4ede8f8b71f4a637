//! All definitions of a `workflows/` directory, validated together.

use super::carry_over::{CarryOver, parse_carry_over};
use super::definition::{Definition, DefinitionError};
use super::validate::parse_definition;
use crate::domain::ids::RegionSlug;
use chrono::NaiveDate;
use std::collections::BTreeSet;
use std::path::Path;

/// The validated definitions the server runs on.
#[derive(Clone, Debug, Default)]
pub struct WorkflowSet {
    definitions: Vec<Definition>,
    carry_overs: Vec<CarryOver>,
}

impl WorkflowSet {
    /// Loads every `*.toml` in `dir`, and the carry-overs in `dir/reform/`; the mail templates
    /// that exist are `templates`.
    ///
    /// # Errors
    /// Every problem in every file, or a single one if the directory cannot be read.
    pub fn load_dir(
        dir: &Path,
        templates: &BTreeSet<String>,
    ) -> Result<Self, Vec<DefinitionError>> {
        let unreadable = |e: std::io::Error| {
            vec![DefinitionError {
                file: dir.display().to_string(),
                line: 0,
                message: format!(
                    "cannot read the workflows directory: {e}; point --dir or OVERDRAG_WORKFLOWS_DIR at it"
                ),
            }]
        };
        let sources = read_toml_files(dir).map_err(unreadable)?;
        let set = Self::from_sources(&sources, templates)?;
        // The carry-overs sit in `reform/` beside the definitions: they are no definitions.
        let reform_dir = dir.join("reform");
        if !reform_dir.is_dir() {
            return Ok(set);
        }
        let carry_overs = read_toml_files(&reform_dir).map_err(|e| {
            vec![DefinitionError {
                file: reform_dir.display().to_string(),
                line: 0,
                message: format!("cannot read the carry-overs: {e}"),
            }]
        })?;
        set.with_carry_overs(&carry_overs)
    }

    /// Adds the carry-overs given as `(file name, text)` pairs, validated against the
    /// definitions.
    ///
    /// # Errors
    /// Every problem in every file, and two carry-overs on the same day.
    pub fn with_carry_overs(
        mut self,
        sources: &[(String, String)],
    ) -> Result<Self, Vec<DefinitionError>> {
        let mut errors = Vec::new();
        for (file, text) in sources {
            match parse_carry_over(file, text, &self.definitions) {
                Ok(carry) if self.carry_overs.iter().any(|c| c.on == carry.on) => {
                    errors.push(DefinitionError {
                        file: file.clone(),
                        line: 1,
                        message: format!(
                            "another carry-over is also on {}; keep one per day",
                            carry.on
                        ),
                    });
                }
                Ok(carry) => self.carry_overs.push(carry),
                Err(mut found) => errors.append(&mut found),
            }
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(errors)
        }
    }

    /// Validates definitions given as `(file name, text)` pairs.
    ///
    /// # Errors
    /// Every problem in every file, and definitions that clash with each other.
    pub fn from_sources(
        sources: &[(String, String)],
        templates: &BTreeSet<String>,
    ) -> Result<Self, Vec<DefinitionError>> {
        let mut errors = Vec::new();
        let mut definitions: Vec<Definition> = Vec::new();
        for (file, text) in sources {
            match parse_definition(file, text, templates) {
                Ok(def) => {
                    if let Some(other) = definitions.iter().find(|d| {
                        d.region == def.region && d.key == def.key && d.version == def.version
                    }) {
                        errors.push(DefinitionError {
                            file: file.clone(),
                            line: 1,
                            message: format!(
                                "{} version {} is also defined in {}; raise the version",
                                def.key, def.version, other.file
                            ),
                        });
                    }
                    definitions.push(def);
                }
                Err(mut found) => errors.append(&mut found),
            }
        }
        if definitions.is_empty() && errors.is_empty() {
            errors.push(DefinitionError {
                file: "workflows".into(),
                line: 0,
                message: "no workflow definitions found; add one `<region>.toml` per region".into(),
            });
        }
        if errors.is_empty() {
            Ok(Self {
                definitions,
                carry_overs: Vec::new(),
            })
        } else {
            Err(errors)
        }
    }

    pub fn definitions(&self) -> &[Definition] {
        &self.definitions
    }

    /// The carry-overs, earliest first.
    pub fn carry_overs(&self) -> &[CarryOver] {
        &self.carry_overs
    }

    /// The definition new cases of `region` start on at `date`: the highest version in force.
    pub fn in_force(&self, region: &str, date: NaiveDate) -> Option<&Definition> {
        self.definitions
            .iter()
            .filter(|d| d.region.as_str() == region && d.is_in_force_on(date))
            .max_by_key(|d| d.version)
    }

    /// The exact definition a case started on.
    pub fn find(&self, region: &RegionSlug, key: &str, version: u32) -> Option<&Definition> {
        self.definitions
            .iter()
            .find(|d| &d.region == region && d.key == key && d.version == version)
    }

    /// The newest definition of a region, whether or not in force today (for diagrams).
    pub fn latest(&self, region: &str) -> Option<&Definition> {
        self.definitions
            .iter()
            .filter(|d| d.region.as_str() == region)
            .max_by_key(|d| (d.valid_from, d.version))
    }
}

/// Every `*.toml` file directly in `dir`, by name, with its text.
fn read_toml_files(dir: &Path) -> std::io::Result<Vec<(String, String)>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)?;
            Ok((path.display().to_string(), text))
        })
        .collect()
}
