//! Drives cases through a region's workflow as its people would: one person per role, a case
//! moved on until it reaches a stage, meetings planned with cases on their agendas.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use crate::{full_description, person};
use overdrag_engine::cases::NewCase;
use overdrag_engine::cases::hearings::HearingAnswer;
use overdrag_engine::cases::meetings::NewMeeting;
use overdrag_engine::cases::view::CaseView;
use overdrag_engine::domain::body::Body;
use overdrag_engine::domain::economics::EconomicsLine;
use overdrag_engine::domain::role::{Role, Side};
use overdrag_engine::workflow::{Definition, Stage};
use overdrag_engine::{Actor, Engine};
use std::collections::BTreeMap;

/// One person for each role in a region, and two of its organisations.
#[derive(Debug)]
pub struct Region {
    pub slug: String,
    pub people: BTreeMap<Role, Actor>,
    pub giving: i64,
    pub receiving: i64,
}

pub async fn region(engine: &Engine, def: &Definition) -> Region {
    let slug = def.region.to_string();
    let mut people = BTreeMap::new();
    for role in [
        Role::Proposer,
        Role::Secretariat,
        Role::Economist,
        Role::SteeringGroup,
        Role::Committee,
        Role::RegionalCouncil,
        Role::Admin,
    ] {
        let email = format!("{role}@{slug}.policy.invalid");
        people.insert(role, person(engine, &email, &slug, role.as_str()).await);
    }
    let parties = engine.parties(&slug).await.expect("parties");
    let giving = parties
        .iter()
        .find(|p| p.kind == "hospital")
        .expect("a hospital")
        .id;
    let receiving = parties
        .iter()
        .find(|p| p.kind == "municipality")
        .expect("a municipality")
        .id;
    Region {
        slug,
        people,
        giving,
        receiving,
    }
}

impl Region {
    pub fn who(&self, role: Role) -> &Actor {
        &self.people[&role]
    }
}

pub fn figures(r: &Region) -> Vec<EconomicsLine> {
    [(r.giving, 0, 900_000), (r.receiving, 800_000, 0)]
        .into_iter()
        .map(|(party_id, running_costs, savings)| EconomicsLine {
            party_id,
            year: 2027,
            one_off_costs: 0,
            running_costs,
            savings,
        })
        .collect()
}

/// Plans a meeting of `body` held `held_in` days from today and places the case on it.
pub async fn on_agenda(
    engine: &Engine,
    r: &Region,
    case: &CaseView,
    body: Body,
    held_in: i64,
) -> i64 {
    let held_on = engine.today() + chrono::Duration::days(held_in);
    let meeting = engine
        .create_meeting(
            r.who(Role::Secretariat),
            NewMeeting {
                region: r.slug.clone(),
                body: body.key(),
                title: format!("Møde i {body}"),
                held_on,
                material_deadline: engine.today(),
            },
        )
        .await
        .expect("meeting planned");
    engine
        .place_on_agenda(r.who(Role::Secretariat), meeting.id, case.id, false)
        .await
        .expect("placed on the agenda");
    meeting.id
}

/// Drives a new case forward until it reaches `target`: each step fulfils what the stage
/// needs, then takes the transition that moves it furthest without passing `target`.
pub async fn case_at(engine: &Engine, r: &Region, target: Stage) -> CaseView {
    let proposer = r.who(Role::Proposer);
    let mut case = engine
        .create_case(
            proposer,
            NewCase {
                region: r.slug.clone(),
                title: "Sårbehandling i eget hjem".into(),
                kind: "transfer".into(),
                giving_party_id: r.giving,
                receiving_party_id: r.receiving,
            },
        )
        .await
        .expect("case created");
    case = engine
        .revise_description(proposer, case.id, case.version, full_description())
        .await
        .expect("described");
    let def = engine
        .workflows()
        .definitions()
        .iter()
        .find(|d| d.region.as_str() == r.slug && d.version == case.workflow.version)
        .expect("the case's definition")
        .clone();
    while case.stage != target {
        match case.stage {
            Stage::Economics if case.economics.lines.is_empty() => {
                let economist = r.who(Role::Economist);
                case = engine
                    .replace_economics(economist, case.id, case.version, figures(r), None)
                    .await
                    .expect("figures");
                for side in [Side::Giving, Side::Receiving] {
                    case = engine
                        .sign_off_economics(economist, case.id, case.version, side)
                        .await
                        .expect("signed off");
                }
            }
            Stage::Hearing if engine.hearing(proposer, case.id).await.unwrap().is_none() => {
                let opened = engine
                    .open_hearing(r.who(Role::Secretariat), case.id, None, None)
                    .await
                    .expect("hearing opened");
                for link in &opened.links {
                    engine
                        .answer_hearing_by_link(&link.token, HearingAnswer::Agree, None)
                        .await
                        .expect("answered");
                }
            }
            // Every council of the case recommends, each by a member seated on it, at a
            // meeting of its own; the last recommendation moves the case on.
            Stage::Council => {
                let secretariat = r.who(Role::Secretariat);
                for council in case.councils.clone() {
                    let email = format!("council{}@{}.drive.invalid", council.id, r.slug);
                    let member = person(engine, &email, &r.slug, Role::Council.as_str()).await;
                    engine
                        .set_council_seat(
                            r.who(Role::Admin),
                            &r.slug,
                            council.id,
                            member.user_id,
                            true,
                        )
                        .await
                        .expect("seated on the council");
                    let member = Actor::load(engine.db(), member.user_id)
                        .await
                        .expect("member")
                        .expect("member");
                    let meeting = on_agenda(engine, r, &case, Body::Council(council.id), 0).await;
                    engine
                        .publish_agenda(secretariat, meeting)
                        .await
                        .expect("published");
                    case = engine.case(proposer, case.id).await.expect("case");
                    case = engine
                        .transition(&member, case.id, case.version, "recommend", None)
                        .await
                        .unwrap_or_else(|e| panic!("{}: {} recommends: {e}", r.slug, council.name));
                }
                continue;
            }
            Stage::SteeringGroup | Stage::Committee | Stage::RegionalCouncil => {
                let body = Body::deciding_in(case.stage).expect("a deciding body");
                let meeting = on_agenda(engine, r, &case, body, 0).await;
                engine
                    .publish_agenda(r.who(Role::Secretariat), meeting)
                    .await
                    .expect("published");
            }
            _ => {}
        }
        case = engine.case(proposer, case.id).await.expect("case");
        let state = def.state_by_str(&case.state).expect("state");
        let forward = def
            .transitions_from(&state.id)
            .filter_map(|t| Some((t, def.state(&t.to)?.stage)))
            .filter(|(_, to)| *to > case.stage && *to <= target && !to.is_terminal())
            .max_by_key(|(_, to)| *to)
            .map(|(t, _)| t)
            .unwrap_or_else(|| panic!("{}: no way on from {}", r.slug, case.state));
        let actor = r.who(forward.by[0]);
        let comment = forward.require_comment.then_some("Begrundelse");
        case = engine
            .transition(actor, case.id, case.version, forward.id.as_str(), comment)
            .await
            .unwrap_or_else(|e| panic!("{}: {} from {}: {e}", r.slug, forward.id, case.state));
    }
    case
}
