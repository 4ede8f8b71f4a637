//! The rules of meetings and their agendas: which bodies meet, which cases go on a body's
//! agenda and until when the agenda may change. Who decides at a meeting is the transition
//! rule in [`crate::workflow::machine`]: the deciding body's members, at a held meeting with a
//! published agenda.

use crate::domain::body::Body;
use crate::error::FieldError;
use crate::storage::entity::meeting;
use crate::workflow::State;
use chrono::NaiveDate;
use std::collections::BTreeSet;

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
        ));
    }
    agenda_open(meeting, today).map_err(|_| {
        FieldError::new(
            "meeting",
            "the meeting has been held; place the case on a coming meeting",
        )
    })?;
    if today > meeting.material_deadline && !override_deadline {
        return Err(FieldError::new(
            "meeting",
            format!(
                "the material deadline {} has passed; the secretariat may place the case anyway with override_deadline",
                meeting.material_deadline
            ),
        ));
    }
    Ok(())
}

/// Whether the agenda may still change: until the day of the meeting.
///
/// # Errors
/// A field error on `meeting` once the meeting has been held.
pub fn agenda_open(meeting: &meeting::Model, today: NaiveDate) -> Result<(), FieldError> {
    if meeting.held_on < today {
        Err(FieldError::new(
            "meeting",
            "the meeting has been held; its agenda can no longer change",
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
        ));
    }
    if material_deadline > held_on {
        problems.push(FieldError::new(
            "material_deadline",
            "the material deadline must be on or before the meeting date",
        ));
    }
    problems
}
