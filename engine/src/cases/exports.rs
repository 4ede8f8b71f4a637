//! Exports of a case's file for other systems and for print.

use super::Engine;
use crate::actor::Actor;
use crate::domain::economics_summary;
use crate::error::EngineError;

/// A file to hand out: its name and bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Export {
    pub file_name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

impl Engine {
    /// The economic assessment as CSV (semicolon-separated, for Excel in a Danish locale).
    ///
    /// # Errors
    /// [`EngineError::NotFound`] when the actor may not see the case.
    pub async fn economics_csv(&self, actor: &Actor, case_id: i64) -> Result<Export, EngineError> {
        let case = self.case(actor, case_id).await?;
        let csv = economics_summary::to_csv(&case.economics.summary, &case.economics.assumptions);
        Ok(Export {
            file_name: format!("{}-oekonomi.csv", case.number),
            content_type: "text/csv; charset=utf-8",
            bytes: csv.into_bytes(),
        })
    }
}
