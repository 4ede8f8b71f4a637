//! What happens next in an open case and who takes the step, for the case page: no waiting
//! state leaves a reader without the next step, also when it is not theirs to take.

use super::Engine;
use super::file::CaseFile;
use super::view::CaseView;
use crate::domain::body::Body;
use crate::domain::role::Role;
use crate::workflow::{Definition, Stage};
use chrono::NaiveDate;
use serde::Serialize;

/// The next step of an open case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NextStep {
    /// The holder of role `by` works on the case in its `stage`: describes it, reviews the
    /// description, assesses the economics, implements or follows up.
    Work { by: Role, stage: Stage },
    /// The secretariat sends the case into hearing.
    OpenHearing,
    /// The hearing runs: `answered` of `parties` have answered, until `deadline`.
    Hearing {
        answered: u32,
        parties: u32,
        deadline: NaiveDate,
        /// Enough parties have answered; the case goes on at the deadline, or earlier when
        /// every party has answered.
        quorum_met: bool,
    },
    /// The hearing is over: the secretariat sends the case on to the next body.
    HearingOver,
    /// The secretariat places the case on the agenda of a meeting of `body`.
    PlaceOnAgenda { body: String },
    /// The case is on the agenda of the meeting `meeting_id` of `body` held on `held_on`;
    /// its members decide there once the agenda is published.
    AtMeeting {
        body: String,
        meeting_id: i64,
        held_on: NaiveDate,
        published: bool,
    },
    /// The councils that have not recommended yet, by name; each recommends at its own
    /// meeting, which the secretariat plans.
    Councils { waiting: Vec<String> },
    /// The case has no municipal party to give it its councils: the secretariat chooses them.
    ChooseCouncils,
}

impl Engine {
    /// The next step of `case` in its state of `def`, from its file; `None` once it is over.
    pub(super) async fn next_step(
        &self,
        def: &Definition,
        case: &CaseView,
        file: &CaseFile,
    ) -> Result<Option<NextStep>, crate::EngineError> {
        let Some(state) = def.state_by_str(&case.state) else {
            return Ok(None);
        };
        if state.stage.is_terminal() {
            return Ok(None);
        }
        let step = match state.stage {
            Stage::Hearing => Some(match file.hearing_facts(self.today()) {
                None => NextStep::OpenHearing,
                Some(h) if h.closed() => NextStep::HearingOver,
                Some(h) => NextStep::Hearing {
                    answered: h.answered,
                    parties: h.parties,
                    deadline: h.deadline,
                    quorum_met: h.quorum_met(),
                },
            }),
            Stage::Council if case.councils.is_empty() => Some(NextStep::ChooseCouncils),
            Stage::Council => {
                let done: Vec<i64> = file
                    .current_recommendations()
                    .map(|r| r.council_id)
                    .collect();
                let waiting: Vec<String> = case
                    .councils
                    .iter()
                    .filter(|c| !done.contains(&c.id))
                    .map(|c| c.name.clone())
                    .collect();
                Some(NextStep::Councils { waiting })
            }
            stage => match Body::deciding_in(stage) {
                Some(body) => {
                    let name = self.body_name(Some(def), body, &body.key()).await?;
                    Some(match file.current_meeting(body) {
                        Some(meeting) => NextStep::AtMeeting {
                            body: name,
                            meeting_id: meeting.id,
                            held_on: meeting.held_on,
                            published: meeting.published_at.is_some(),
                        },
                        None => NextStep::PlaceOnAgenda { body: name },
                    })
                }
                None => state.actor.map(|by| NextStep::Work { by, stage }),
            },
        };
        Ok(step)
    }
}
