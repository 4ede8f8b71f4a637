//! Realistic sample data for every region: demo users for each role, contact addresses for the
//! parties, and a dozen handover cases per region in various states — each driven through the
//! engine's own operations, so the journal and outbox are what real use would leave.

use crate::accounts::{self, Password};
use crate::actor::Actor;
use crate::cases::hearings::HearingAnswer;
use crate::cases::implementation::ImplementationPlan;
use crate::cases::meetings::NewMeeting;
use crate::cases::{Engine, NewCase};
use crate::domain::body::Body;
use crate::domain::description::ProfessionalDescription;
use crate::domain::economics::EconomicsLine;
use crate::domain::ids::StateId;
use crate::domain::role::Role;
use crate::error::EngineError;
use crate::storage::entity::{handover_case, organisation, region};
use crate::users::{self, NewUser};
use crate::workflow::Stage;
use crate::workflow::definition::{Definition, Section, Transition};
use crate::workflow::guard::Guard;
use chrono::{Datelike, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write;

mod meetings;
use meetings::{Meetings, body_of};

/// A task that could move between sectors, with the facts a proposer would write.
struct Task {
    title: &'static str,
    task: &'static str,
    target_group: &'static str,
    volume: u32,
    competences: &'static str,
    equipment: &'static str,
    /// Running cost per citizen per year for the receiving party, in kroner.
    cost_per_citizen: i64,
}

const TASKS: [Task; 12] = [
    Task {
        title: "IV-behandling i eget hjem",
        task: "Intravenøs antibiotikabehandling gives i dag under indlæggelse. Borgere i stabil tilstand kan få behandlingen i eget hjem ved kommunens sygeplejersker, så indlæggelsen forkortes.",
        target_group: "Voksne med infektioner, der kræver IV-antibiotika i 3-14 dage, og som er klinisk stabile.",
        volume: 420,
        competences: "Sygeplejersker i hjemmesygeplejen med kompetence i venøs adgang, infusion og observation for bivirkninger.",
        equipment: "Infusionspumper, PICC-line-udstyr og medicin leveres af hospitalet.",
        cost_per_citizen: 9_800,
    },
    Task {
        title: "Sondeernæring — pasning af nasogastrisk sonde",
        task: "Pasning af nasogastrisk sonde og sondeernæring efter udskrivelse flyttes fra hospitalets ambulatorium til den kommunale sygepleje.",
        target_group: "Borgere med dysfagi efter apopleksi eller kræftbehandling.",
        volume: 160,
        competences: "Sygeplejersker og social- og sundhedsassistenter oplært i sondeernæring og kontrol af sondeplacering.",
        equipment: "Ernæringspumper og sondemad via hjælpemiddelordningen.",
        cost_per_citizen: 6_200,
    },
    Task {
        title: "Kateteranlæggelse og skift af KAD i hjemmet",
        task: "Anlæggelse og skift af KAD hos kendte borgere udføres af kommunen i hjemmet i stedet for på hospitalets urologiske ambulatorium.",
        target_group: "Borgere med kronisk urinretention og fast kateter.",
        volume: 900,
        competences: "Sygeplejersker med kompetence i steril kateteranlæggelse.",
        equipment: "Katetre og sterile sæt via kommunens depot.",
        cost_per_citizen: 1_400,
    },
    Task {
        title: "Blodprøvetagning hos borgere i eget hjem",
        task: "Blodprøver til kontrol af behandling tages af kommunen hos borgere, der ikke kan komme til almen praksis eller hospitalet.",
        target_group: "Svækkede ældre og borgere med nedsat mobilitet i fast medicinsk behandling.",
        volume: 2_500,
        competences: "Social- og sundhedsassistenter med oplæring i venepunktur og prøvehåndtering.",
        equipment: "Prøvetagningsudstyr og transport til laboratoriet.",
        cost_per_citizen: 450,
    },
    Task {
        title: "Sårbehandling med undertryk (VAC) efter udskrivelse",
        task: "Undertryksbehandling af komplicerede sår fortsættes i eget hjem efter udskrivelse.",
        target_group: "Borgere med komplicerede kirurgiske sår eller tryksår.",
        volume: 140,
        competences: "Sårsygeplejersker med erfaring i VAC-behandling.",
        equipment: "VAC-pumper lejes af hospitalet i behandlingsperioden.",
        cost_per_citizen: 14_500,
    },
    Task {
        title: "Hjemmedialyse — støtte til peritonealdialyse",
        task: "Kommunen støtter borgere i peritonealdialyse i hjemmet med observation og hjælp til udskiftning.",
        target_group: "Borgere i peritonealdialyse, der ikke selv kan varetage hele behandlingen.",
        volume: 60,
        competences: "Sygeplejersker oplært af hospitalets dialyseafsnit.",
        equipment: "Dialyseudstyr leveres af hospitalet.",
        cost_per_citizen: 38_000,
    },
    Task {
        title: "Palliativ smertepumpe i eget hjem",
        task: "Opstart og pasning af subkutan smertepumpe hos borgere i palliativt forløb sker i hjemmet.",
        target_group: "Borgere i palliativt forløb, som ønsker at dø hjemme.",
        volume: 300,
        competences: "Sygeplejersker med palliativ uddannelse.",
        equipment: "Smertepumper fra hospitalets palliative team.",
        cost_per_citizen: 7_500,
    },
    Task {
        title: "Stomipleje efter udskrivelse",
        task: "Oplæring i og pasning af nyanlagt stomi overgår til kommunen fra udskrivelsen.",
        target_group: "Borgere med nyanlagt colo-, ileo- eller urostomi.",
        volume: 350,
        competences: "Stomisygeplejersker og oplært hjemmesygepleje.",
        equipment: "Stomiprodukter via hjælpemiddelordningen.",
        cost_per_citizen: 3_100,
    },
    Task {
        title: "Subkutan væsketerapi på plejecentre",
        task: "Behandling af let dehydrering med subkutan væske gives på plejecentret i stedet for ved indlæggelse.",
        target_group: "Beboere på plejecentre med let til moderat dehydrering.",
        volume: 700,
        competences: "Sygeplejersker på plejecentre.",
        equipment: "Infusionssæt og væske.",
        cost_per_citizen: 2_200,
    },
    Task {
        title: "Telemedicinsk opfølgning på KOL",
        task: "Opfølgning på borgere med svær KOL sker via telemedicinsk udstyr i hjemmet, varetaget af kommunens KOL-team.",
        target_group: "Borgere med svær KOL og hyppige indlæggelser.",
        volume: 1_100,
        competences: "Sygeplejersker og fysioterapeuter i kommunens KOL-team.",
        equipment: "Tablet, saturationsmåler og vægt.",
        cost_per_citizen: 4_300,
    },
    Task {
        title: "Insulinadministration ved nydiagnosticeret type 2-diabetes",
        task: "Opstart af insulin og oplæring af borgeren flyttes fra diabetesambulatoriet til kommunal sygepleje og almen praksis.",
        target_group: "Borgere med type 2-diabetes, der starter insulinbehandling.",
        volume: 800,
        competences: "Diabetessygeplejersker og oplært hjemmesygepleje.",
        equipment: "Insulinpenne og blodsukkerapparater.",
        cost_per_citizen: 2_600,
    },
    Task {
        title: "Pleje af PICC-line og CVK i kommunalt regi",
        task: "Skylning og forbindsskift af PICC-line og CVK varetages af kommunen mellem hospitalsbesøg.",
        target_group: "Borgere i kemoterapi eller langvarig IV-behandling med central venøs adgang.",
        volume: 500,
        competences: "Sygeplejersker med kompetence i central venøs adgang og hygiejne.",
        equipment: "Sterile forbindingssæt og skylleudstyr.",
        cost_per_citizen: 3_900,
    },
];

fn description(task: &Task, complete: bool) -> ProfessionalDescription {
    let full = ProfessionalDescription {
        task: task.task.into(),
        target_group: task.target_group.into(),
        volume_per_year: Some(task.volume),
        competences: task.competences.into(),
        responsibility: "Hospitalet har behandlingsansvaret og ordinerer; kommunen har ansvaret for at udføre de delegerede sygeplejeopgaver. Ansvaret følger sundhedsaftalens principper for delegation.".into(),
        quality_and_safety: "Fælles instruks, tjekliste ved udskrivelse og en telefonlinje til afdelingen døgnet rundt. Utilsigtede hændelser rapporteres og gennemgås kvartalsvis i fællesskab.".into(),
        equipment: task.equipment.into(),
        training: "Hospitalet oplærer kommunens personale inden opstart og tilbyder sidemandsoplæring det første halve år.".into(),
        documentation: "Ordination og plan sendes som korrespondancemeddelelse via MedCom; kommunen dokumenterer i omsorgsjournalen.".into(),
        timeline: "Oplæring i første kvartal, pilot i to kommuner i andet kvartal, fuld drift fra tredje kvartal.".into(),
        evidence: "Erfaringer fra tilsvarende forløb i andre regioner viser færre og kortere indlæggelser uden flere komplikationer.".into(),
    };
    if complete {
        full
    } else {
        ProfessionalDescription {
            task: full.task,
            target_group: full.target_group,
            ..Default::default()
        }
    }
}

const ASSUMPTIONS: &str = "Priser i 2026-niveau. Hospitalets besparelse er opgjort som sparede sengedage à 4.800 kr. Kommunernes driftsudgifter omfatter sygeplejetid, kørsel og utensilier. Engangsudgifter dækker oplæring.";

const DEMO_DOMAIN: &str = "demo.overdrag.invalid";

/// A demo person for each role, per region.
/// The password of every demo user, for logging in to the pages.
pub const DEMO_PASSWORD: &str = "demo";

const PEOPLE: [(Role, &str, &str); 8] = [
    (Role::Proposer, "forslag", "Anne Holm"),
    (Role::Secretariat, "sekretariat", "Mette Kjær"),
    (Role::Economist, "oekonomi", "Lars Winther"),
    (Role::SteeringGroup, "styregruppe", "Jens Bach"),
    (Role::Committee, "ssu", "Birgitte Lund"),
    (Role::Admin, "admin", "Søren Dahl"),
    // From 2027: a member of every council of the region, and of the regionsråd.
    (Role::Council, "raad", "Karin Møller"),
    (Role::RegionalCouncil, "regionsraad", "Per Nørgaard"),
];

/// Why the secretariat chose the councils of a demo case with no municipal party.
const COUNCILS_CHOSEN: &str =
    "Opgaven løses i almen praksis i hele regionen; det største sundhedsråd giver indstilling.";

fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_lowercase().chars() {
        match c {
            'æ' => out.push_str("ae"),
            'ø' => out.push_str("oe"),
            'å' => out.push_str("aa"),
            'a'..='z' | '0'..='9' => out.push(c),
            _ if !out.ends_with('-') => out.push('-'),
            _ => {}
        }
    }
    out.trim_matches('-').to_owned()
}

/// Loads the demo unless the database already holds cases.
///
/// # Errors
/// An engine error from any step.
pub async fn load_if_empty(engine: &Engine) -> Result<String, EngineError> {
    let cases = handover_case::Entity::find().count(engine.db()).await?;
    if cases > 0 {
        return Ok(format!(
            "demo not loaded: the database already holds {cases} cases"
        ));
    }
    load(engine).await
}

/// Loads demo users and a dozen cases per region whose workflow is in force today.
///
/// # Errors
/// An engine error from any step.
pub async fn load(engine: &Engine) -> Result<String, EngineError> {
    let mut summary = String::from("Demo data loaded.\n");
    let today = engine.today();
    let regions = region::Entity::find().all(engine.db()).await?;
    for region in &regions {
        let Some(def) = engine.workflows().in_force(&region.slug, today) else {
            let _ = writeln!(
                summary,
                "  {}: no workflow in force on {today}; no demo cases",
                region.name
            );
            continue;
        };
        let people = people(engine, region).await?;
        let parties = parties(engine, region).await?;
        let mut by_stage: BTreeMap<String, usize> = BTreeMap::new();
        let mut meetings = Meetings::default();
        let mut awaiting_steering_group = Vec::new();
        for (i, task) in TASKS.iter().enumerate() {
            let target = &def.states[i % def.states.len()].id;
            let (id, state) = drive(
                engine,
                def,
                &people,
                &parties,
                &mut meetings,
                i,
                task,
                target,
            )
            .await?;
            if def
                .state_by_str(&state)
                .is_some_and(|s| s.stage == Stage::SteeringGroup)
            {
                awaiting_steering_group.push(id);
            }
            *by_stage.entry(state).or_default() += 1;
        }
        // Today's meetings decided; the cases awaiting the steering group go on the draft
        // agenda of its next meeting, left for the secretariat to publish.
        if !awaiting_steering_group.is_empty() {
            let secretariat = &people[&Role::Secretariat];
            let (body, title) = body_of(def, Body::SteeringGroup);
            let held_on = today + chrono::Duration::weeks(3);
            let next = NewMeeting {
                region: def.region.to_string(),
                body,
                title,
                held_on,
                material_deadline: held_on - chrono::Duration::days(10),
            };
            let next = engine.create_meeting(secretariat, next).await?.id;
            for id in awaiting_steering_group {
                engine.place_on_agenda(secretariat, next, id, false).await?;
            }
        }
        let states: Vec<String> = by_stage.iter().map(|(s, n)| format!("{s} {n}")).collect();
        let _ = writeln!(
            summary,
            "  {}: {} cases ({})",
            region.name,
            TASKS.len(),
            states.join(", ")
        );
    }
    summary.push_str(&format!(
        "Demo users: log in at /login with the email and the password `{DEMO_PASSWORD}`; API tokens are shown once:\n"
    ));
    for region in &regions {
        for (role, prefix, name) in PEOPLE {
            let email = format!("{prefix}.{}@{DEMO_DOMAIN}", region.slug);
            let input = NewUser {
                email: email.clone(),
                name: name.into(),
                region: region.slug.clone(),
                role: role.as_str().into(),
                organisation: None,
                language: None,
            };
            let (actor, token) = users::add_user(engine.db(), input, Utc::now()).await?;
            accounts::set_password(engine.db(), actor.user_id, &Password::demo()).await?;
            let _ = writeln!(summary, "  {email:<48} {:<15} {token}", role.as_str());
        }
    }
    Ok(summary)
}

async fn people(
    engine: &Engine,
    region: &region::Model,
) -> Result<BTreeMap<Role, Actor>, EngineError> {
    let mut people = BTreeMap::new();
    for (role, prefix, name) in PEOPLE {
        let input = NewUser {
            email: format!("{prefix}.{}@{DEMO_DOMAIN}", region.slug),
            name: name.into(),
            region: region.slug.clone(),
            role: role.as_str().into(),
            organisation: None,
            language: None,
        };
        let (actor, _) = users::add_user(engine.db(), input, Utc::now()).await?;
        people.insert(role, actor);
    }
    // The demo's council member sits on every council of the region (none before 2027).
    let councils = engine.councils(&people[&Role::Admin], &region.slug).await?;
    for council in &councils {
        engine
            .set_council_seat(
                &people[&Role::Admin],
                &region.slug,
                council.id,
                people[&Role::Council].user_id,
                true,
            )
            .await?;
    }
    if let Some(member) = Actor::load(engine.db(), people[&Role::Council].user_id).await? {
        people.insert(Role::Council, member);
    }
    Ok(people)
}

struct Parties {
    regional: Vec<organisation::Model>,
    municipalities: Vec<organisation::Model>,
    general_practice: Vec<organisation::Model>,
}

/// The region's parties, each given a demo contact address so party mails have somewhere to go.
async fn parties(engine: &Engine, region: &region::Model) -> Result<Parties, EngineError> {
    let all = organisation::Entity::find()
        .filter(organisation::Column::RegionId.eq(region.id))
        .all(engine.db())
        .await?;
    let mut parties = Parties {
        regional: Vec::new(),
        municipalities: Vec::new(),
        general_practice: Vec::new(),
    };
    for org in all {
        let org = if org.contact_email.is_none() {
            let email = format!("sundhedsaftale@{}.{DEMO_DOMAIN}", slug(&org.name));
            let mut active: organisation::ActiveModel = org.into();
            active.contact_email = Set(Some(email));
            active.update(engine.db()).await?
        } else {
            org
        };
        match org.kind.as_str() {
            "municipality" => parties.municipalities.push(org),
            "general_practice" => parties.general_practice.push(org),
            _ => parties.regional.push(org),
        }
    }
    Ok(parties)
}

/// The shortest forward path of transitions from the initial state to `target`.
fn path_to<'d>(def: &'d Definition, target: &StateId) -> Vec<&'d Transition> {
    let mut previous: BTreeMap<StateId, (StateId, &Transition)> = BTreeMap::new();
    let mut queue = VecDeque::from([def.initial.clone()]);
    while let Some(state) = queue.pop_front() {
        if &state == target {
            break;
        }
        let stage = def.state(&state).map(|s| s.stage);
        for t in def.transitions_from(&state) {
            let to_stage = def.state(&t.to).map(|s| s.stage);
            let backwards =
                matches!((stage, to_stage), (Some(a), Some(b)) if !b.is_terminal() && b <= a);
            let early_exit = to_stage
                .is_some_and(|s| s == Stage::Withdrawn || s == Stage::Rejected)
                && def.state(target).map(|s| s.stage) != to_stage;
            if backwards || early_exit || t.to == def.initial || previous.contains_key(&t.to) {
                continue;
            }
            previous.insert(t.to.clone(), (state.clone(), t));
            queue.push_back(t.to.clone());
        }
    }
    let mut path = Vec::new();
    let mut at = target.clone();
    while let Some((from, t)) = previous.get(&at) {
        path.push(*t);
        at = from.clone();
    }
    path.reverse();
    path
}

fn comment_for(transition: &str) -> &'static str {
    match transition {
        "approve_with_conditions" => {
            "Godkendt på betingelse af, at der følges op på kvalitet og økonomi efter 12 måneder, og at oplæringen er gennemført før opstart."
        }
        "reject" => {
            "Afvist: de økonomiske konsekvenser for kommunerne er ikke tilstrækkeligt belyst, og kapaciteten til opgaven er ikke afklaret."
        }
        "withdraw" => {
            "Forslaget trækkes tilbage; opgaven løses i stedet inden for den eksisterende aftale."
        }
        "return_to_steering_group" => {
            "Udvalget ønsker en nærmere vurdering af konsekvenserne for de mindre kommuner."
        }
        _ => "Beskrivelsen af behandlingsansvaret skal uddybes, før sagen kan gå videre.",
    }
}

#[allow(clippy::too_many_arguments)]
async fn drive(
    engine: &Engine,
    def: &Definition,
    people: &BTreeMap<Role, Actor>,
    parties: &Parties,
    meetings: &mut Meetings,
    index: usize,
    task: &Task,
    target: &StateId,
) -> Result<(i64, String), EngineError> {
    let proposer = &people[&Role::Proposer];
    let receiving = if index % 5 == 4 && !parties.general_practice.is_empty() {
        &parties.general_practice[0]
    } else {
        &parties.municipalities[index % parties.municipalities.len().max(1)]
    };
    let giving = &parties.regional[(index + 1) % parties.regional.len().max(1)];
    let kind = if giving.kind == "region" {
        "new_task"
    } else {
        "transfer"
    };
    let input = NewCase {
        region: def.region.to_string(),
        title: task.title.into(),
        kind: kind.into(),
        giving_party_id: giving.id,
        receiving_party_id: receiving.id,
    };
    let mut case = engine.create_case(proposer, input).await?;
    let complete = target != &def.initial || index.is_multiple_of(2);
    case = engine
        .revise_description(proposer, case.id, case.version, description(task, complete))
        .await?;

    for transition in path_to(def, target) {
        let state = def
            .state_by_str(&case.state)
            .ok_or(EngineError::NotFound { what: "state" })?;
        if state.editable.contains(&Section::Economics) && case.economics.lines.is_empty() {
            let economist = &people[&Role::Economist];
            let first_year = engine.today().year() + 1;
            let volume = i64::from(task.volume);
            let mut lines = Vec::new();
            for year in first_year..first_year + i32::try_from(def.agreement_years).unwrap_or(4) {
                let first = year == first_year;
                lines.push(EconomicsLine {
                    party_id: giving.id,
                    year,
                    one_off_costs: if first { 80_000 } else { 0 },
                    running_costs: 0,
                    savings: volume * task.cost_per_citizen * 11 / 10,
                });
                lines.push(EconomicsLine {
                    party_id: receiving.id,
                    year,
                    one_off_costs: if first { 150_000 + volume * 40 } else { 0 },
                    running_costs: volume * task.cost_per_citizen,
                    savings: 0,
                });
            }
            case = engine
                .replace_economics(economist, case.id, case.version, lines, Some(ASSUMPTIONS))
                .await?;
            for side in &state.signoff {
                case = engine
                    .sign_off_economics(economist, case.id, case.version, *side)
                    .await?;
            }
        }
        if transition.guards.contains(&Guard::HearingClosed) {
            let secretariat = &people[&Role::Secretariat];
            let opened = engine
                .open_hearing(secretariat, case.id, None, None)
                .await?;
            // Every party answers through its personal link; one municipality has remarks.
            for (n, link) in opened.links.iter().enumerate() {
                let (answer, text) = if n == 1 {
                    (
                        HearingAnswer::AgreeWithRemarks,
                        Some("Vi bakker op, men ønsker en fælles evaluering efter et år."),
                    )
                } else {
                    (HearingAnswer::Agree, None)
                };
                engine
                    .answer_hearing_by_link(&link.token, answer, text)
                    .await?;
            }
            case = engine.case(proposer, case.id).await?;
        }
        let at_meeting = transition.guards.contains(&Guard::OnAgenda);
        let comment = transition
            .require_comment
            .then(|| comment_for(transition.id.as_str()));
        // Every council of the case recommends at its own meeting; the last moves it on.
        if at_meeting && state.stage == Stage::Council {
            let secretariat = &people[&Role::Secretariat];
            if case.councils.is_empty() {
                let first = engine.councils(secretariat, def.region.as_str()).await?;
                let ids: Vec<i64> = first.iter().take(1).map(|c| c.id).collect();
                case = engine
                    .choose_councils(secretariat, case.id, case.version, &ids, COUNCILS_CHOSEN)
                    .await?;
            }
            for council in case.councils.clone() {
                meetings
                    .place(engine, secretariat, def, Body::Council(council.id), case.id)
                    .await?;
                case = engine.case(proposer, case.id).await?;
                case = engine
                    .transition(
                        &people[&Role::Council],
                        case.id,
                        case.version,
                        transition.id.as_str(),
                        comment,
                    )
                    .await?;
            }
            continue;
        }
        // A decision at a meeting is taken by a member of the body whose meeting it is: the
        // steering group's for a case awaiting it, the committee's or the regionsråd's for one
        // awaiting that, even where the transition (a rejection) lists several bodies.
        let body = Body::deciding_in(state.stage).unwrap_or(Body::SteeringGroup);
        if at_meeting && !meetings.placed(case.id, body) {
            meetings
                .place(engine, &people[&Role::Secretariat], def, body, case.id)
                .await?;
            case = engine.case(proposer, case.id).await?;
        }
        let body_role = body.member_role();
        let actor = transition
            .by
            .iter()
            .filter(|role| !at_meeting || **role == body_role)
            .find_map(|role| people.get(role))
            .ok_or_else(|| EngineError::Forbidden {
                action: format!("demo transition {}", transition.id),
                needed: transition.by.clone(),
            })?;
        case = engine
            .transition(
                actor,
                case.id,
                case.version,
                transition.id.as_str(),
                comment,
            )
            .await?;
    }
    if def
        .state_by_str(&case.state)
        .is_some_and(|s| s.stage == Stage::Implementation)
    {
        let today = engine.today();
        let plan = ImplementationPlan {
            implementation_on: Some(today + chrono::Duration::days(45)),
            follow_up_on: Some(today + chrono::Duration::days(410)),
        };
        case = engine
            .plan_implementation(&people[&Role::Secretariat], case.id, case.version, plan)
            .await?;
    }
    Ok((case.id, case.state))
}
