//! The case page's read model: the case, what the reader may do with it, its hearing and its
//! journal, read with one visibility check, one load of the case file and one of the journal.

use super::Engine;
use super::actions::CaseActions;
use super::file::CaseFile;
use super::hearings::HearingView;
use super::next_step::NextStep;
use super::view::{CaseView, JournalView};
use crate::actor::Actor;
use crate::error::EngineError;
use crate::storage::journal;

/// Everything the case page shows.
#[derive(Clone, Debug)]
pub struct CasePage {
    pub case: CaseView,
    pub actions: CaseActions,
    pub hearing: Option<HearingView>,
    pub journal: JournalView,
    /// What happens next and who takes the step; `None` once the case is over.
    pub next_step: Option<NextStep>,
}

impl Engine {
    /// The case page of `case_id` as `actor` sees it.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] when the case does not exist or is in another region.
    pub async fn case_page(&self, actor: &Actor, case_id: i64) -> Result<CasePage, EngineError> {
        let visible = self.visible(actor, case_id).await?;
        let (file, events) = tokio::try_join!(
            CaseFile::load(&self.db, case_id),
            journal::events_of(&self.db, case_id),
        )?;
        let municipal_party = self.has_municipal_party(&visible.case, &file).await?;
        let actions = self.actions_of(actor, &visible, &file, &events, municipal_party)?;
        let case = self.view_of(actor, &visible, &file).await?;
        let hearing = self.hearing_of(case_id, &file).await?;
        let next_step = self
            .next_step(self.definition_of(&visible.case)?, &case, &file)
            .await?;
        let journal = self.journal_of(&visible, events).await?;
        Ok(CasePage {
            case,
            actions,
            hearing,
            journal,
            next_step,
        })
    }
}
