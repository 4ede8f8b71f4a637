//! Exports of a case's file for other systems and for print.

use super::Engine;
use super::view::JournalView;
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

impl Engine {
    /// The decision document of a case as printable HTML, as an item of `meeting` when given.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] when the actor may not see the case or the meeting.
    pub async fn decision_document(
        &self,
        actor: &Actor,
        case_id: i64,
        meeting_id: Option<i64>,
    ) -> Result<Export, EngineError> {
        let case = self.case(actor, case_id).await?;
        let journal = self.journal(actor, case_id).await?;
        let hearing = self.hearing(actor, case_id).await?;
        let meeting = match meeting_id {
            Some(id) => Some(self.meeting(actor, id).await?)
                .filter(|m| m.agenda.iter().any(|a| a.case_id == case_id)),
            None => None,
        };
        if meeting_id.is_some() && meeting.is_none() {
            return Err(EngineError::NotFound {
                what: "agenda item",
            });
        }
        let html = crate::render::decision_document::render(
            &case,
            &journal,
            hearing.as_ref(),
            meeting.as_ref(),
        )?;
        Ok(Export {
            file_name: format!("{}-beslutningsdokument.html", case.number),
            content_type: "text/html; charset=utf-8",
            bytes: html.into_bytes(),
        })
    }

    /// The whole case file as one ZIP: `case.json` (everything), the decision document, the
    /// economics as CSV, `journal.csv`, every attachment under `bilag/`, and the result of
    /// verifying the journal's hash chain.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] when the actor may not see the case; [`EngineError::Storage`]
    /// when an attachment cannot be read back intact.
    pub async fn case_file_zip(&self, actor: &Actor, case_id: i64) -> Result<Export, EngineError> {
        use std::io::Write;
        use zip::write::SimpleFileOptions;
        let case = self.case(actor, case_id).await?;
        let journal = self.journal(actor, case_id).await?;
        let hearing = self.hearing(actor, case_id).await?;
        let revisions = self.description_revisions(actor, case_id).await?;
        let decision =
            crate::render::decision_document::render(&case, &journal, hearing.as_ref(), None)?;
        let everything = serde_json::json!({
            "exported_at": self.now(),
            "case": case,
            "description_revisions": revisions,
            "hearing": hearing,
            "journal": journal,
        });
        let mut files: Vec<(String, Vec<u8>)> = vec![
            (
                "case.json".into(),
                serde_json::to_vec_pretty(&everything).unwrap_or_default(),
            ),
            ("beslutningsdokument.html".into(), decision.into_bytes()),
            (
                "oekonomi.csv".into(),
                economics_summary::to_csv(&case.economics.summary, &case.economics.assumptions)
                    .into_bytes(),
            ),
            ("journal.csv".into(), journal_csv(&journal).into_bytes()),
            (
                "journal-verifikation.txt".into(),
                verification_text(&journal).into_bytes(),
            ),
        ];
        for document in &case.documents {
            let bytes = self.document(actor, case_id, document.id).await?.bytes;
            files.push((
                format!("bilag/{}-{}", document.id, document.file_name),
                bytes,
            ));
        }
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let storage = |e: &dyn std::fmt::Display| {
            EngineError::Storage(format!("the case file could not be packed: {e}"))
        };
        for (name, bytes) in files {
            zip.start_file(name, options).map_err(|e| storage(&e))?;
            zip.write_all(&bytes).map_err(|e| storage(&e))?;
        }
        let bytes = zip.finish().map_err(|e| storage(&e))?.into_inner();
        Ok(Export {
            file_name: format!("{}-sagsmappe.zip", case.number),
            content_type: "application/zip",
            bytes,
        })
    }
}

fn csv_field(text: &str) -> String {
    crate::domain::csv::text_cell(text)
}

/// The journal as CSV, one event per row, oldest first.
fn journal_csv(journal: &JournalView) -> String {
    let mut out =
        String::from("\u{feff}nr;tidspunkt;aktør;hændelse;overgang;fra;til;kommentar;hash\n");
    for e in &journal.events {
        let row = [
            e.seq.to_string(),
            e.occurred_at.to_rfc3339(),
            e.actor.as_ref().map(|a| a.name.clone()).unwrap_or_default(),
            e.kind.clone(),
            e.transition.clone().unwrap_or_default(),
            e.from_state.clone().unwrap_or_default(),
            e.to_state.clone().unwrap_or_default(),
            e.comment.clone().unwrap_or_default(),
            e.hash.clone(),
        ];
        out.push_str(
            &row.iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(";"),
        );
        out.push('\n');
    }
    out
}

fn verification_text(journal: &JournalView) -> String {
    let chain = &journal.chain;
    if chain.verified {
        let last = journal
            .events
            .last()
            .map(|e| e.hash.as_str())
            .unwrap_or("-");
        format!(
            "Journalens hashkæde for {} er intakt: {} hændelser, sidste hash {last}.\n",
            journal.number, chain.events
        )
    } else {
        format!(
            "ADVARSEL: Journalens hashkæde for {} er brudt ved hændelse {}: {}.\n",
            journal.number,
            chain.broken_at.unwrap_or_default(),
            chain.problem.clone().unwrap_or_default()
        )
    }
}
