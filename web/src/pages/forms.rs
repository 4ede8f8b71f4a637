//! Form pieces for views: a [`FormField`] per input (what was typed and its error), and the
//! [`ErrorSummary`] at the top of a form that links to each field (`{{> error_summary}}`).

use super::i18n::Lang;
use super::views::Views;
use overdrag_engine::FieldError;
use serde::Serialize;

/// One input as the `field` partial shows it: `{{> field f=view.email label=(t "…")}}`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FormField {
    /// The input's `name` and `id`; the error summary links to `#<name>`.
    pub name: String,
    /// What the user typed (kept when the form comes back with errors).
    pub value: String,
    pub error: Option<String>,
}

impl FormField {
    pub fn new(name: &str, value: &str, summary: &ErrorSummary) -> Self {
        Self {
            name: name.to_owned(),
            value: value.to_owned(),
            error: summary.error_for(name),
        }
    }
}

/// One line of the error summary.
#[derive(Clone, Debug, Serialize)]
pub struct SummaryItem {
    pub field: String,
    pub message: String,
}

/// The problems with a submitted form, each linking to its field.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ErrorSummary {
    pub items: Vec<SummaryItem>,
}

impl ErrorSummary {
    /// One problem with `field`.
    pub fn single(field: &str, message: impl Into<String>) -> Self {
        Self {
            items: vec![SummaryItem {
                field: field.to_owned(),
                message: message.into(),
            }],
        }
    }

    /// The engine's field errors, each in the page's language where `web/i18n` has a text
    /// `field_errors.<field>`, else in the engine's words.
    pub fn from_field_errors(views: &Views, lang: Lang, errors: &[FieldError]) -> Self {
        Self {
            items: errors
                .iter()
                .map(|e| SummaryItem {
                    field: e.field.clone(),
                    message: views
                        .lookup(lang, &format!("field_errors.{}", e.field))
                        .unwrap_or_else(|| e.message_in(lang.code()).to_owned()),
                })
                .collect(),
        }
    }

    /// Adds a problem with `field`.
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.items.push(SummaryItem {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The message for `field`, if it has one.
    pub fn error_for(&self, field: &str) -> Option<String> {
        self.items
            .iter()
            .find(|i| i.field == field)
            .map(|i| i.message.clone())
    }
}

/// An `<option>` of a select.
#[derive(Clone, Debug, Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    /// The option `value` labelled `label`, selected when `current` is its value.
    pub fn new(value: impl Into<String>, label: impl Into<String>, current: &str) -> Self {
        let value = value.into();
        Self {
            selected: value == current,
            value,
            label: label.into(),
        }
    }
}
