//! The pure state machine: which transitions an actor may take now, and what taking one does.
//! No I/O: storage loads the facts and commits the decision.

use crate::domain::body::Body;
use crate::domain::ids::{StateId, TransitionId};
use crate::domain::role::Role;
use crate::domain::text::Label;
use crate::workflow::Stage;
use crate::workflow::definition::{Definition, NotifyRule, State, Transition};
use crate::workflow::guard::{self, AgendaFacts, CaseFacts, Guard, GuardFailure};
use chrono::NaiveDate;
use serde::Serialize;

pub use crate::policy::CaseActor;

/// Where the actor sits for a decision at a meeting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seat {
    /// The transition is not a decision at a meeting.
    NoMeeting,
    /// The actor decides for this body.
    Member(Body),
    /// The decision is this body's, and the actor is not among its members.
    Outsider(Body),
    /// Every one of the case's councils the actor sits on has already recommended.
    Recommended(Body),
    /// The case has no council to recommend it.
    NoCouncil,
}

/// A transition that checks `on_agenda` is a body's decision at a meeting: the body deciding
/// in the state's stage takes it, and in the council stage each of the case's councils that
/// has not recommended yet — preferring one whose meeting holds the item.
fn seat(state: &State, transition: &Transition, facts: &CaseFacts, actor: &CaseActor) -> Seat {
    if !transition.guards.contains(&Guard::OnAgenda) {
        return Seat::NoMeeting;
    }
    if state.stage != Stage::Council {
        return match Body::deciding_in(state.stage) {
            None => Seat::NoMeeting,
            Some(body) if actor.bodies.contains(&body) => Seat::Member(body),
            Some(body) => Seat::Outsider(body),
        };
    }
    let councils = || facts.councils.iter().map(|id| Body::Council(*id));
    let pending = || facts.awaited_councils().map(Body::Council);
    let mine = || pending().filter(|b| actor.bodies.contains(b));
    if let Some(body) = mine()
        .find(|b| facts.on_agenda.contains_key(b))
        .or_else(|| mine().next())
    {
        return Seat::Member(body);
    }
    if let Some(body) = councils().find(|b| actor.bodies.contains(b)) {
        return Seat::Recommended(body);
    }
    pending().next().map_or(Seat::NoCouncil, Seat::Outsider)
}

impl Seat {
    fn deciding(self) -> Option<Body> {
        match self {
            Seat::Member(body) | Seat::Outsider(body) | Seat::Recommended(body) => Some(body),
            Seat::NoMeeting | Seat::NoCouncil => None,
        }
    }

    /// Why a council cannot recommend (again), if that is what stops the actor.
    fn council_failure(self) -> Option<GuardFailure> {
        let message = match self {
            Seat::Recommended(_) => Label::new(
                "Dit sundhedsråd har allerede givet sin indstilling; sagen venter på de andre sundhedsråd.",
                "Your council has already given its recommendation; the case waits for the other councils.",
            ),
            Seat::NoCouncil => Label::new(
                "Sagen har intet sundhedsråd; sekretariatet vælger sagens sundhedsråd.",
                "The case has no council; the secretariat chooses the case's councils.",
            ),
            _ => return None,
        };
        Some(GuardFailure {
            guard: Guard::OnAgenda,
            message,
        })
    }
}

impl CaseActor {
    /// Whether the actor holds a role the transition names and, for a decision at a meeting,
    /// is a member of the deciding body.
    fn may_take(&self, state: &State, transition: &Transition, facts: &CaseFacts) -> bool {
        transition.by.iter().any(|r| self.roles.contains(r))
            && matches!(
                seat(state, transition, facts, self),
                Seat::NoMeeting | Seat::Member(_)
            )
    }
}

/// Why the meeting holding the case's item cannot decide it yet, if it cannot.
fn meeting_not_ready(item: &AgendaFacts, today: NaiveDate) -> Option<MeetingNotReady> {
    if !item.published {
        Some(MeetingNotReady::AgendaNotPublished)
    } else if today < item.held_on {
        Some(MeetingNotReady::NotHeld {
            held_on: item.held_on,
        })
    } else {
        None
    }
}

/// Why a meeting cannot decide its items yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MeetingNotReady {
    /// The secretariat has not published the agenda.
    AgendaNotPublished,
    /// The meeting is held on a later day.
    NotHeld { held_on: NaiveDate },
}

impl MeetingNotReady {
    pub fn message(self) -> Label {
        match self {
            MeetingNotReady::AgendaNotPublished => Label::new(
                "Mødets dagsorden er ikke offentliggjort endnu; sekretariatet offentliggør den før mødet.",
                "The meeting's agenda is not published yet; the secretariat publishes it before the meeting.",
            ),
            MeetingNotReady::NotHeld { held_on } => Label::new(
                format!(
                    "Mødet holdes {}; sagen besluttes på mødet.",
                    crate::render::danish::danish_date(held_on)
                ),
                format!(
                    "The meeting is held on {}; the case is decided at the meeting.",
                    crate::render::danish::english_date(held_on)
                ),
            ),
        }
    }
}

/// A transition the actor may take from the current state, with what still blocks it.
#[derive(Clone, Debug, Serialize)]
pub struct TransitionOption<'a> {
    pub transition: &'a Transition,
    /// Guards that do not hold now. A required comment is not listed: it comes with the action.
    pub blocked_by: Vec<GuardFailure>,
}

/// The outcome of a permitted transition, for the caller to commit in one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub transition: TransitionId,
    pub from: StateId,
    pub to: StateId,
    pub comment: Option<String>,
    /// Mails to enqueue.
    pub notifications: Vec<NotifyRule>,
    /// When the case is due in its new state, if that state has a deadline.
    pub due_date: Option<NaiveDate>,
    /// The body whose meeting took the decision, if it was one.
    pub body: Option<Body>,
    /// A council's recommendation, in the council stage.
    pub recommendation: Option<Recommendation>,
}

/// One council's recommendation. The case moves on with the last of its councils'; until then
/// it stays where it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recommendation {
    pub council: i64,
    /// Every other council of the case has recommended already: the case moves on.
    pub completes: bool,
}

/// Why a transition was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the case is in state `{state}`, from which there is no transition `{transition}`")]
    NotAvailable {
        transition: TransitionId,
        state: StateId,
    },
    #[error(
        "transition `{transition}` may only be taken by: {}",
        join_roles(needed)
    )]
    RoleNotAllowed {
        transition: TransitionId,
        needed: Vec<Role>,
    },
    #[error("transition `{transition}` is decided by {}; only its members take it", body.english())]
    NotMember {
        transition: TransitionId,
        body: Body,
    },
    #[error("transition `{transition}` is taken at meeting {meeting_id}: {}", reason.message().en)]
    MeetingNotReady {
        transition: TransitionId,
        meeting_id: i64,
        reason: MeetingNotReady,
    },
    #[error("transition `{transition}` is blocked: {}", failures.iter().map(|f| f.message.en.as_str()).collect::<Vec<_>>().join(" "))]
    Blocked {
        transition: TransitionId,
        failures: Vec<GuardFailure>,
    },
}

fn join_roles(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn failures(
    state: &State,
    transition: &Transition,
    facts: &CaseFacts,
    comment: Option<&str>,
    with_comment: bool,
    deciding: Option<Body>,
) -> Vec<GuardFailure> {
    let mut guards: Vec<Guard> = transition.guards.clone();
    if transition.require_comment && !guards.contains(&Guard::CommentGiven) {
        guards.push(Guard::CommentGiven);
    }
    guards
        .into_iter()
        .filter(|g| with_comment || *g != Guard::CommentGiven)
        .filter_map(|g| guard::check(g, facts, state, comment, deciding))
        .collect()
}

/// The meeting holding the case's item for `body`'s decision, when that meeting cannot decide
/// it yet.
fn unready_meeting(
    body: Option<Body>,
    facts: &CaseFacts,
    today: NaiveDate,
) -> Option<(i64, MeetingNotReady)> {
    let item = facts.on_agenda.get(&body?)?;
    meeting_not_ready(item, today).map(|reason| (item.meeting_id, reason))
}

/// The transitions `actor` may take from `state` on `today`, each with what still blocks it:
/// the guards that fail, and a meeting not yet held or published.
pub fn options<'a>(
    def: &'a Definition,
    state: &'a StateId,
    facts: &CaseFacts,
    actor: &CaseActor,
    today: NaiveDate,
) -> Vec<TransitionOption<'a>> {
    let Some(current) = def.state(state) else {
        return Vec::new();
    };
    def.transitions_from(state)
        .filter(|t| actor.may_take(current, t, facts))
        .map(|t| {
            let deciding = seat(current, t, facts, actor).deciding();
            let mut blocked_by = failures(current, t, facts, None, false, deciding);
            if let Some((_, reason)) = unready_meeting(deciding, facts, today) {
                blocked_by.push(GuardFailure {
                    guard: Guard::OnAgenda,
                    message: reason.message(),
                });
            }
            TransitionOption {
                transition: t,
                blocked_by,
            }
        })
        .collect()
}

/// Decides whether `actor` may take `transition` from `state` now.
///
/// # Errors
/// A [`Refusal`] saying whether the transition does not exist from this state, the actor lacks
/// the role, or which guards failed.
pub fn decide(
    def: &Definition,
    state: &StateId,
    facts: &CaseFacts,
    actor: &CaseActor,
    transition: &TransitionId,
    comment: Option<&str>,
    today: NaiveDate,
) -> Result<Decision, Refusal> {
    let not_available = || Refusal::NotAvailable {
        transition: transition.clone(),
        state: state.clone(),
    };
    let chosen = def
        .transitions_from(state)
        .find(|t| &t.id == transition)
        .ok_or_else(not_available)?;
    let current = def.state(state).ok_or_else(not_available)?;
    if !chosen.by.iter().any(|r| actor.roles.contains(r)) {
        return Err(Refusal::RoleNotAllowed {
            transition: transition.clone(),
            needed: chosen.by.clone(),
        });
    }
    let seat = seat(current, chosen, facts, actor);
    if let Seat::Outsider(body) = seat {
        return Err(Refusal::NotMember {
            transition: transition.clone(),
            body,
        });
    }
    if let Some(failure) = seat.council_failure() {
        return Err(Refusal::Blocked {
            transition: transition.clone(),
            failures: vec![failure],
        });
    }
    let deciding = seat.deciding();
    if let Some((meeting_id, reason)) = unready_meeting(deciding, facts, today) {
        return Err(Refusal::MeetingNotReady {
            transition: transition.clone(),
            meeting_id,
            reason,
        });
    }
    let failed = failures(current, chosen, facts, comment, true, deciding);
    if !failed.is_empty() {
        return Err(Refusal::Blocked {
            transition: transition.clone(),
            failures: failed,
        });
    }
    let target_stage = def.state(&chosen.to).map(|s| s.stage);
    // A council's step forward is its recommendation; a return moves the case at once.
    let recommendation = match deciding {
        Some(Body::Council(council)) if target_stage > Some(current.stage) => {
            Some(Recommendation {
                council,
                completes: facts.awaited_councils().all(|c| c == council),
            })
        }
        _ => None,
    };
    let comment = comment
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    if recommendation.is_some_and(|r| !r.completes) {
        return Ok(Decision {
            transition: chosen.id.clone(),
            from: state.clone(),
            to: state.clone(),
            comment,
            notifications: Vec::new(),
            due_date: None,
            body: deciding,
            recommendation,
        });
    }
    let due_date = def
        .state(&chosen.to)
        .and_then(|s| s.due_days)
        .map(|days| def.calendar.add_working_days(today, days));
    Ok(Decision {
        transition: chosen.id.clone(),
        from: state.clone(),
        to: chosen.to.clone(),
        comment,
        notifications: chosen.notify.clone(),
        due_date,
        body: deciding,
        recommendation,
    })
}
