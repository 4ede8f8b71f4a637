//! The rules of meetings and their agendas: which bodies meet, which cases go on a body's
//! agenda and until when the agenda may change. Who decides at a meeting is the transition
//! rule in [`crate::workflow::machine`]: the deciding body's members, at a held meeting with a
//! published agenda.

use crate::actor::Actor;
use crate::domain::body::Body;
use crate::domain::role::Role;
use crate::error::{EngineError, FieldError};
use crate::storage::entity::meeting;
use crate::workflow::State;
use chrono::NaiveDate;
use std::collections::BTreeSet;

/// The role that plans meetings and prepares their agendas.
pub const PREPARER: Role = Role::Secretariat;

/// Whether `actor` prepares meetings in any region: asked before their input is read, so a
/// caller without the role hears that first. The region of each meeting is checked after.
///
/// # Errors
/// [`EngineError::Forbidden`] for an actor who holds [`PREPARER`] in no region.
pub fn prepares_meetings_anywhere(actor: &Actor, action: &str) -> Result<(), EngineError> {
    if actor
        .regions
        .values()
        .any(|roles| roles.contains(&PREPARER))
    {
        Ok(())
    } else {
        Err(EngineError::Forbidden {
            action: action.to_owned(),
            needed: vec![PREPARER],
        })
    }
}

/// The bodies of a region with the councils `region_councils` that hold meetings: the steering
/// group and the committee, and once the region has councils each council and the regionsråd.
pub fn meeting_bodies(region_councils: &BTreeSet<i64>) -> Vec<Body> {
    let mut bodies = vec![Body::SteeringGroup, Body::Committee];
    if !region_councils.is_empty() {
        bodies.extend(region_councils.iter().map(|id| Body::Council(*id)));
        bodies.push(Body::RegionalCouncil);
    }
    bodies
}

/// The body a meeting is planned for, from its key, in a region with the councils
/// `region_councils` (none before the reform).
///
/// # Errors
/// A field error on `body` for a key that is no body of the region holding meetings.
pub fn meeting_body(raw: &str, region_councils: &BTreeSet<i64>) -> Result<Body, FieldError> {
    let body = raw
        .parse::<Body>()
        .ok()
        .filter(|b| meeting_bodies(region_councils).contains(b));
    body.ok_or_else(|| {
        FieldError::new(
            "body",
            if region_councils.is_empty() {
                format!("unknown body `{raw}`; use steering_group or committee")
            } else {
                format!(
                    "unknown body `{raw}`; use steering_group, committee, regional_council or council:<id> of one of the region's councils"
                )
            },
            if region_councils.is_empty() {
                format!("»{raw}« er ikke et mødeorgan; vælg styregruppen eller Sundhedssamarbejdsudvalget")
            } else {
                format!(
                    "»{raw}« er ikke et mødeorgan; vælg styregruppen, Sundhedssamarbejdsudvalget, regionsrådet eller et af regionens sundhedsråd"
                )
            },
        )
    })
}

/// Whether a case in `state` may be placed on `meeting`'s agenda on `today`; in the council
/// stage `awaited` holds the case's councils that have not recommended yet.
///
/// # Errors
/// The field error saying why not.
pub fn placement(
    meeting: &meeting::Model,
    state: &State,
    awaited: &BTreeSet<i64>,
    today: NaiveDate,
    override_deadline: bool,
) -> Result<(), FieldError> {
    let body = meeting.body();
    if let Some(Body::Council(id)) = body
        && state.stage == crate::workflow::Stage::Council
        && !awaited.contains(&id)
    {
        return Err(FieldError::new(
            "case_id",
            "the case is not awaiting this council's recommendation: its councils follow from its municipal parties, and a council that has recommended is done",
            "sagen venter ikke på en indstilling fra dette sundhedsråd: sagens sundhedsråd følger af dens kommunale parter, og et sundhedsråd, der har indstillet, er færdigt med sagen",
        ));
    }
    if body.and_then(Body::deciding_stage) != Some(state.stage) {
        return Err(FieldError::new(
            "case_id",
            format!(
                "the case is in state `{}`; only cases awaiting {} go on its agenda",
                state.id,
                body.map_or("this body", Body::english)
            ),
            format!(
                "sagen er i trinnet »{}«; kun sager, der venter på {}, kan sættes på mødets dagsorden",
                state.label.da,
                body.map_or("dette organ", Body::danish)
            ),
        ));
    }
    agenda_open(meeting, today).map_err(|closed| {
        if meeting.cancelled_at.is_some() {
            closed
        } else {
            FieldError::new(
                "meeting",
                "the meeting has been held; place the case on a coming meeting",
                "mødet er holdt; sæt sagen på dagsordenen for et kommende møde",
            )
        }
    })?;
    if today > meeting.material_deadline && !override_deadline {
        return Err(FieldError::new(
            "meeting",
            format!(
                "the material deadline {} has passed; the secretariat may place the case anyway with override_deadline",
                meeting.material_deadline
            ),
            format!(
                "materialefristen {} er overskredet; sekretariatet kan alligevel sætte sagen på dagsordenen ved at tilsidesætte materialefristen",
                crate::render::danish::danish_date(meeting.material_deadline)
            ),
        ));
    }
    Ok(())
}

/// Whether the agenda may still change: until the day of the meeting, unless it was cancelled.
///
/// # Errors
/// A field error on `meeting` once the meeting has been held or was cancelled.
pub fn agenda_open(meeting: &meeting::Model, today: NaiveDate) -> Result<(), FieldError> {
    if meeting.cancelled_at.is_some() {
        Err(FieldError::new(
            "meeting",
            "the meeting was cancelled; plan another meeting of the body",
            "mødet er aflyst; planlæg et nyt møde for organet",
        ))
    } else if meeting.held_on < today {
        Err(FieldError::new(
            "meeting",
            "the meeting has been held; its agenda can no longer change",
            "mødet er holdt; dagsordenen kan ikke længere ændres",
        ))
    } else {
        Ok(())
    }
}

/// What is wrong with the dates of a meeting planned on `today`; empty when nothing is.
pub fn meeting_dates(
    held_on: NaiveDate,
    material_deadline: NaiveDate,
    today: NaiveDate,
) -> Vec<FieldError> {
    let mut problems = Vec::new();
    if held_on < today {
        problems.push(FieldError::new(
            "held_on",
            "the meeting date has passed; plan meetings from today on",
            "mødedatoen er passeret; planlæg møder fra i dag og frem",
        ));
    }
    if material_deadline > held_on {
        problems.push(FieldError::new(
            "material_deadline",
            "the material deadline must be on or before the meeting date",
            "materialefristen skal ligge på eller før mødedatoen",
        ));
    }
    problems
}
