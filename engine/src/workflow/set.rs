//! All definitions of a `workflows/` directory, validated together.

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
}

impl WorkflowSet {
    /// Loads every `*.toml` in `dir`; the mail templates that exist are `templates`.
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
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map_err(unreadable)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        let mut sources = Vec::new();
        for path in files {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                vec![DefinitionError {
                    file: path.display().to_string(),
                    line: 0,
                    message: format!("cannot read file: {e}"),
                }]
            })?;
            sources.push((path.display().to_string(), text));
        }
        Self::from_sources(&sources, templates)
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
            Ok(Self { definitions })
        } else {
            Err(errors)
        }
    }

    pub fn definitions(&self) -> &[Definition] {
        &self.definitions
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
