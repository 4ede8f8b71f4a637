//! What an actor may do to a case besides its transitions: edit its sections, change figures,
//! sign off, classify, record a party's reference, plan the implementation, open the hearing,
//! attach documents.

use super::CaseActor;
use crate::domain::role::{Role, Side};
use crate::error::EngineError;
use crate::workflow::Stage;
use crate::workflow::definition::{Definition, Section, State};

/// The facts of a case the rules read.
#[derive(Clone, Copy, Debug)]
pub struct CaseContext<'a> {
    pub def: &'a Definition,
    pub state: &'a State,
    pub giving_party_id: i64,
    pub receiving_party_id: i64,
}

impl CaseContext<'_> {
    pub fn party(&self, side: Side) -> i64 {
        match side {
            Side::Giving => self.giving_party_id,
            Side::Receiving => self.receiving_party_id,
        }
    }
}

/// An action on a case, other than a transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseAction {
    EditDescription,
    /// Open the economic assessment for changes at all.
    EditEconomics,
    /// Add, change or remove the figures of one organisation.
    ChangeFiguresOf {
        party_id: i64,
    },
    /// Change the assumptions behind the figures, which both sides share.
    ChangeAssumptions,
    SignOff(Side),
    Classify,
    RecordReference {
        party_id: i64,
    },
    PlanImplementation,
    /// Open the case's hearing; `already_open` when one is open in the current state.
    OpenHearing {
        already_open: bool,
    },
    AttachDocument,
    /// Choose the councils of a case; `municipal_party` when a municipality is a party, whose
    /// area gives the case its councils instead.
    ChooseCouncils {
        municipal_party: bool,
    },
}

impl CaseAction {
    /// What the actor tried, in the journal's words.
    pub fn attempted(self) -> String {
        match self {
            CaseAction::EditDescription => "revise the professional description".into(),
            CaseAction::EditEconomics | CaseAction::ChangeAssumptions => {
                "change the economic assessment".into()
            }
            CaseAction::ChangeFiguresOf { party_id } => {
                format!("change the economic figures of organisation {party_id}")
            }
            CaseAction::SignOff(side) => format!("sign off the economics for the {side} party"),
            CaseAction::Classify => "classify the case".into(),
            CaseAction::RecordReference { .. } => "record an external case number".into(),
            CaseAction::PlanImplementation => "plan the implementation".into(),
            CaseAction::OpenHearing { .. } => "open the hearing".into(),
            CaseAction::AttachDocument => "attach a document".into(),
            CaseAction::ChooseCouncils { .. } => "choose the case's councils".into(),
        }
    }
}

const ECONOMICS_EDITORS: [Role; 2] = [Role::Economist, Role::Secretariat];
const ATTACHERS: [Role; 3] = [Role::Proposer, Role::Secretariat, Role::Economist];

fn forbidden(action: impl Into<String>, needed: &[Role]) -> EngineError {
    EngineError::Forbidden {
        action: action.into(),
        needed: needed.to_vec(),
    }
}

fn editable(state: &State, section: Section) -> Result<(), EngineError> {
    if state.editable.contains(&section) {
        return Ok(());
    }
    Err(EngineError::NotEditable {
        section: match section {
            Section::Description => "professional description",
            Section::Economics => "economic assessment",
        },
        state: state.id.to_string(),
    })
}

/// Whether `actor` may take `action` on the case now.
///
/// # Errors
/// [`EngineError::NotEditable`] when the state does not allow it, [`EngineError::Forbidden`]
/// naming the roles it needs, or [`EngineError::Invalid`] when the case is at the wrong stage
/// for it.
pub fn check(
    case: &CaseContext<'_>,
    actor: &CaseActor,
    action: CaseAction,
) -> Result<(), EngineError> {
    let state = case.state;
    match action {
        CaseAction::EditDescription => {
            editable(state, Section::Description)?;
            let editors: Vec<Role> = state.actor.into_iter().chain([Role::Secretariat]).collect();
            if actor.has_any(&editors) {
                Ok(())
            } else {
                Err(forbidden("editing the professional description", &editors))
            }
        }
        CaseAction::EditEconomics => {
            editable(state, Section::Economics)?;
            if actor.has_any(&ECONOMICS_EDITORS) {
                Ok(())
            } else {
                Err(forbidden(
                    "editing the economic assessment",
                    &ECONOMICS_EDITORS,
                ))
            }
        }
        CaseAction::ChangeFiguresOf { party_id } => {
            check(case, actor, CaseAction::EditEconomics)?;
            // An economist of an organisation answers for that organisation's figures only;
            // the secretariat and the region's own economists keep every party's.
            match actor.organisation_id {
                Some(own) if own != party_id && !actor.has(Role::Secretariat) => Err(forbidden(
                    format!(
                        "changing the figures of organisation {party_id} (you belong to another organisation; change only your own organisation's lines)"
                    ),
                    &[Role::Secretariat],
                )),
                _ => Ok(()),
            }
        }
        CaseAction::ChangeAssumptions => {
            check(case, actor, CaseAction::EditEconomics)?;
            let own_party = actor
                .organisation_id
                .is_none_or(|o| o == case.giving_party_id || o == case.receiving_party_id);
            if own_party || actor.has(Role::Secretariat) {
                Ok(())
            } else {
                Err(forbidden(
                    "changing the assumptions (your organisation is neither the giving nor the receiving party)",
                    &[Role::Secretariat],
                ))
            }
        }
        CaseAction::SignOff(side) => {
            if !state.signoff.contains(&side) {
                return Err(EngineError::NotEditable {
                    section: "economics sign-off",
                    state: state.id.to_string(),
                });
            }
            if !actor.has(Role::Economist) {
                return Err(forbidden("signing off the economics", &[Role::Economist]));
            }
            // An economist of one of the parties signs only for that party's side; the
            // region's own economists (no organisation) sign on a party's behalf.
            match actor.organisation_id {
                Some(own) if own != case.party(side) => Err(forbidden(
                    format!(
                        "signing off the economics for the {side} party (you belong to another organisation)"
                    ),
                    &[Role::Economist],
                )),
                _ => Ok(()),
            }
        }
        CaseAction::Classify => {
            if actor.has(Role::Secretariat) {
                Ok(())
            } else {
                Err(forbidden("classifying the case", &[Role::Secretariat]))
            }
        }
        CaseAction::RecordReference { party_id } => {
            if actor.organisation_id == Some(party_id) || actor.has(Role::Secretariat) {
                Ok(())
            } else {
                Err(forbidden(
                    format!("recording organisation {party_id}'s case number"),
                    &[Role::Secretariat],
                ))
            }
        }
        CaseAction::PlanImplementation => {
            if !actor.has(Role::Secretariat) {
                return Err(forbidden(
                    "planning the implementation",
                    &[Role::Secretariat],
                ));
            }
            if matches!(state.stage, Stage::Implementation | Stage::FollowUp) {
                Ok(())
            } else {
                Err(EngineError::invalid(
                    "implementation_on",
                    "the implementation is planned once the committee has approved the case",
                    "implementeringen kan først planlægges, når sagen er godkendt",
                ))
            }
        }
        CaseAction::OpenHearing { already_open } => {
            if !actor.has(Role::Secretariat) {
                return Err(forbidden("opening a hearing", &[Role::Secretariat]));
            }
            if case.def.hearing.is_none() || state.stage != Stage::Hearing {
                Err(EngineError::invalid(
                    "case_id",
                    format!(
                        "the case is in state `{}`; a hearing opens only in the hearing state",
                        state.id
                    ),
                    format!(
                        "sagen er i trinnet »{}«; en høring kan kun åbnes, når sagen er sendt i høring",
                        state.label.da
                    ),
                ))
            } else if already_open {
                Err(EngineError::invalid(
                    "case_id",
                    "the hearing of this case is already open",
                    "høringen i sagen er allerede åben",
                ))
            } else {
                Ok(())
            }
        }
        CaseAction::ChooseCouncils { municipal_party } => {
            if !actor.has(Role::Secretariat) {
                return Err(forbidden(
                    "choosing the case's councils",
                    &[Role::Secretariat],
                ));
            }
            if municipal_party {
                Err(EngineError::invalid(
                    "council_ids",
                    "the case's councils follow from its municipal parties; they are not chosen",
                    "sagens sundhedsråd følger af dens kommunale parter og vælges ikke",
                ))
            } else {
                Ok(())
            }
        }
        CaseAction::AttachDocument => {
            if actor.has_any(&ATTACHERS) {
                Ok(())
            } else {
                Err(forbidden("attaching documents", &ATTACHERS))
            }
        }
    }
}

/// Whether a refusal from [`check`] is one the journal records: a try the actor's role or the
/// case's state does not allow. Input that is merely wrong is not journaled.
pub fn is_journaled(refusal: &EngineError) -> bool {
    matches!(
        refusal,
        EngineError::Forbidden { .. } | EngineError::NotEditable { .. }
    )
}
