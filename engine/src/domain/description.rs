//! The professional description (faglig beskrivelse) of a case.

use crate::domain::text::Label;
use serde::{Deserialize, Serialize};

/// The structured professional description. Every revision is kept in storage; this is the
/// content of one revision.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ProfessionalDescription {
    /// The task, and why it should move.
    pub task: String,
    pub target_group: String,
    /// Expected citizens or patients per year.
    pub volume_per_year: Option<u32>,
    pub competences: String,
    /// Who holds treatment responsibility.
    pub responsibility: String,
    pub quality_and_safety: String,
    pub equipment: String,
    pub training: String,
    /// Documentation and communication across sectors.
    pub documentation: String,
    pub timeline: String,
    pub evidence: String,
}

/// One field of the description, with the name users see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DescriptionField {
    pub key: &'static str,
    pub da: &'static str,
    pub en: &'static str,
    pub required: bool,
    pub max_chars: usize,
}

const TEXT_LIMIT: usize = 20_000;

/// The fields of the description, in the order a reader expects them.
pub const FIELDS: [DescriptionField; 11] = [
    DescriptionField {
        key: "task",
        da: "Opgaven og begrundelse",
        en: "The task and the reason",
        required: true,
        max_chars: TEXT_LIMIT,
    },
    DescriptionField {
        key: "target_group",
        da: "Målgruppe",
        en: "Target group",
        required: true,
        max_chars: TEXT_LIMIT,
    },
    DescriptionField {
        key: "volume_per_year",
        da: "Forventet volumen pr. år",
        en: "Expected volume per year",
        required: true,
        max_chars: 0,
    },
    DescriptionField {
        key: "competences",
        da: "Kompetencer",
        en: "Competences",
        required: true,
        max_chars: TEXT_LIMIT,
    },
    DescriptionField {
        key: "responsibility",
        da: "Behandlingsansvar",
        en: "Treatment responsibility",
        required: true,
        max_chars: TEXT_LIMIT,
    },
    DescriptionField {
        key: "quality_and_safety",
        da: "Kvalitet og patientsikkerhed",
        en: "Quality and patient safety",
        required: true,
        max_chars: TEXT_LIMIT,
    },
    DescriptionField {
        key: "equipment",
        da: "Udstyr og hjælpemidler",
        en: "Equipment and aids",
        required: false,
        max_chars: TEXT_LIMIT,
    },
    DescriptionField {
        key: "training",
        da: "Oplæring",
        en: "Training",
        required: false,
        max_chars: TEXT_LIMIT,
    },
    DescriptionField {
        key: "documentation",
        da: "Dokumentation og kommunikation",
        en: "Documentation and communication",
        required: true,
        max_chars: TEXT_LIMIT,
    },
    DescriptionField {
        key: "timeline",
        da: "Tidsplan for implementering",
        en: "Implementation timeline",
        required: true,
        max_chars: TEXT_LIMIT,
    },
    DescriptionField {
        key: "evidence",
        da: "Evidens og erfaringer",
        en: "Evidence and experience",
        required: false,
        max_chars: TEXT_LIMIT,
    },
];

/// Volumes above this are refused as typing errors (more than the population of Denmark).
pub const MAX_VOLUME_PER_YEAR: u32 = 6_000_000;

impl ProfessionalDescription {
    fn text(&self, key: &str) -> Option<&str> {
        Some(match key {
            "task" => &self.task,
            "target_group" => &self.target_group,
            "competences" => &self.competences,
            "responsibility" => &self.responsibility,
            "quality_and_safety" => &self.quality_and_safety,
            "equipment" => &self.equipment,
            "training" => &self.training,
            "documentation" => &self.documentation,
            "timeline" => &self.timeline,
            "evidence" => &self.evidence,
            _ => return None,
        })
    }

    /// Every text field, in order, for searching.
    pub fn texts(&self) -> Vec<&str> {
        FIELDS.iter().filter_map(|f| self.text(f.key)).collect()
    }

    /// The required fields that are still empty.
    pub fn missing_fields(&self) -> Vec<&'static DescriptionField> {
        FIELDS
            .iter()
            .filter(|f| f.required)
            .filter(|f| match self.text(f.key) {
                Some(text) => text.trim().is_empty(),
                None => self.volume_per_year.is_none(),
            })
            .collect()
    }

    /// Fields over their limits, as `(field, message)`; an empty description is valid here
    /// (a draft may be incomplete), completeness is the `description_complete` guard's job.
    pub fn limit_violations(&self) -> Vec<(&'static str, Label)> {
        let mut violations = Vec::new();
        for field in &FIELDS {
            if let Some(text) = self.text(field.key) {
                let chars = text.chars().count();
                if chars > field.max_chars {
                    violations.push((
                        field.key,
                        Label::new(
                            format!(
                                "{} er {chars} tegn; højst {} er tilladt — forkort teksten",
                                field.da, field.max_chars
                            ),
                            format!(
                                "{} is {chars} characters; at most {} are allowed — shorten the text",
                                field.en, field.max_chars
                            ),
                        ),
                    ));
                }
            }
        }
        if self
            .volume_per_year
            .is_some_and(|v| v > MAX_VOLUME_PER_YEAR)
        {
            violations.push((
                "volume_per_year",
                Label::new(
                    format!("Forventet volumen pr. år må højst være {MAX_VOLUME_PER_YEAR}; angiv antal borgere eller patienter pr. år"),
                    format!("Expected volume per year may be at most {MAX_VOLUME_PER_YEAR}; give the number of citizens or patients per year"),
                ),
            ));
        }
        violations
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_description_misses_every_required_field() {
        let missing = ProfessionalDescription::default().missing_fields();
        assert_eq!(missing.len(), FIELDS.iter().filter(|f| f.required).count());
    }

    #[test]
    fn whitespace_does_not_count_as_content() {
        let description = ProfessionalDescription {
            task: "   ".into(),
            ..Default::default()
        };
        assert!(description.missing_fields().iter().any(|f| f.key == "task"));
    }

    #[test]
    fn an_absurd_volume_is_a_violation() {
        let description = ProfessionalDescription {
            volume_per_year: Some(7_000_000),
            ..Default::default()
        };
        assert_eq!(description.limit_violations()[0].0, "volume_per_year");
    }
}
