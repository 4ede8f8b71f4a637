//! The meetings a region's demo decisions are taken at: one of each body, held today, its
//! agenda published once the first case is on it. A decision at a meeting needs its body's
//! member, the meeting held or being held, and the agenda published; the engine plans no
//! meeting in the past, so the demo's decisions are today's. Created on first use; it keeps
//! which cases went on which.

use crate::actor::Actor;
use crate::cases::Engine;
use crate::cases::meetings::NewMeeting;
use crate::domain::body::Body;
use crate::error::EngineError;
use crate::storage::entity::council;
use crate::workflow::definition::Definition;
use sea_orm::EntityTrait;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Default)]
pub(super) struct Meetings {
    ids: BTreeMap<Body, i64>,
    placed: BTreeSet<(i64, Body)>,
    published: BTreeSet<Body>,
}

impl Meetings {
    async fn of(
        &mut self,
        engine: &Engine,
        secretariat: &Actor,
        def: &Definition,
        body: Body,
    ) -> Result<i64, EngineError> {
        if let Some(id) = self.ids.get(&body) {
            return Ok(*id);
        }
        let (key, mut title) = body_of(def, body);
        if let Body::Council(id) = body {
            if let Some(council) = council::Entity::find_by_id(id).one(engine.db()).await? {
                title = format!("Møde i {}", council.name);
            }
        }
        let held_on = engine.today();
        let input = NewMeeting {
            region: def.region.to_string(),
            body: key,
            title,
            held_on,
            material_deadline: held_on,
        };
        let id = engine.create_meeting(secretariat, input).await?.id;
        self.ids.insert(body, id);
        Ok(id)
    }

    /// Places the case on the agenda of today's meeting of `body`, and publishes the agenda
    /// if this is its first case; later cases are announced by their own mail.
    pub(super) async fn place(
        &mut self,
        engine: &Engine,
        secretariat: &Actor,
        def: &Definition,
        body: Body,
        case_id: i64,
    ) -> Result<(), EngineError> {
        let meeting = self.of(engine, secretariat, def, body).await?;
        engine
            .place_on_agenda(secretariat, meeting, case_id, false)
            .await?;
        self.placed.insert((case_id, body));
        if self.published.insert(body) {
            engine.publish_agenda(secretariat, meeting).await?;
        }
        Ok(())
    }

    pub(super) fn placed(&self, case_id: i64, body: Body) -> bool {
        self.placed.contains(&(case_id, body))
    }
}

/// The key of `body` and a meeting title naming it as the region does.
pub(super) fn body_of(def: &Definition, body: Body) -> (String, String) {
    let name = def
        .bodies
        .name_of(body)
        .map_or_else(|| "udvalget".to_owned(), str::to_owned);
    (body.key(), format!("Møde i {name}"))
}
