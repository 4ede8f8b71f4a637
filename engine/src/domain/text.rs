//! Text in the two languages Overdrag speaks.

use serde::{Deserialize, Serialize};

/// A user-facing text in Danish (the default) and English.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Label {
    pub da: String,
    pub en: String,
}

impl Label {
    pub fn new(da: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            da: da.into(),
            en: en.into(),
        }
    }

    /// The text in `lang` ("en" gives English; anything else Danish).
    pub fn in_language(&self, lang: &str) -> &str {
        if lang == "en" { &self.en } else { &self.da }
    }
}
