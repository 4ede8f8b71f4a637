//! Turns a definition file into a validated [`Definition`], or into every problem it has, each
//! with the file, the line and what to change.

use super::definition::{
    Bodies, Definition, DefinitionError, HearingRule, NotifyRule, Quorum, Recipient, Section,
    Stage, State, Transition,
};
use super::guard::Guard;
use super::problems::Problems;
use super::raw::{RawDefinition, RawLabel, RawQuorum};
use crate::domain::calendar::{ClosingDay, WorkingCalendar};
use crate::domain::economics::hex;
use crate::domain::ids::{RegionSlug, StateId, TransitionId};
use crate::domain::role::{Role, Side};
use crate::domain::text::Label;
use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ops::Range;
use toml::Spanned;

/// Parses and validates one definition file. `file` is the path used in messages; its stem must
/// be the region slug. `templates` are the mail templates that exist.
///
/// # Errors
/// Every problem found, each naming the file, the line and the fix.
pub fn parse_definition(
    file: &str,
    source: &str,
    templates: &BTreeSet<String>,
) -> Result<Definition, Vec<DefinitionError>> {
    let mut problems = Problems::new(file, source);
    let raw: RawDefinition = problems.parse().map_err(|()| problems.found.clone())?;
    let definition = build(&raw, file, source, templates, &mut problems);
    match definition {
        Some(definition) if problems.found.is_empty() => {
            check_graph(&definition, &raw, &mut problems);
            if problems.found.is_empty() {
                Ok(definition)
            } else {
                Err(problems.found)
            }
        }
        _ => Err(problems.found),
    }
}

fn label(
    raw: Option<&RawLabel>,
    span: Range<usize>,
    what: &str,
    problems: &mut Problems<'_>,
) -> Label {
    let text =
        |value: Option<&String>| value.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let da = text(raw.and_then(|l| l.da.as_ref()));
    let en = text(raw.and_then(|l| l.en.as_ref()));
    if da.is_none() || en.is_none() {
        problems.at(
            span,
            format!(
                "{what} has no {} label; add `label = {{ da = \"…\", en = \"…\" }}`",
                match (&da, &en) {
                    (None, None) => "Danish or English",
                    (None, Some(_)) => "Danish",
                    _ => "English",
                }
            ),
        );
    }
    Label::new(da.unwrap_or_default(), en.unwrap_or_default())
}

pub(super) fn date(
    raw: &Spanned<toml::value::Datetime>,
    key: &str,
    problems: &mut Problems<'_>,
) -> Option<NaiveDate> {
    let value = raw.get_ref();
    let parsed = value.date.filter(|_| value.time.is_none()).and_then(|d| {
        NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
    });
    if parsed.is_none() {
        problems.at(
            raw.span(),
            format!("`{key}` must be a plain date such as 2027-01-01"),
        );
    }
    parsed
}

fn role(raw: &str, span: Range<usize>, problems: &mut Problems<'_>) -> Option<Role> {
    raw.parse::<Role>()
        .map_err(|e| problems.at(span, e.to_string()))
        .ok()
}

fn build(
    raw: &RawDefinition,
    file: &str,
    source: &str,
    templates: &BTreeSet<String>,
    problems: &mut Problems<'_>,
) -> Option<Definition> {
    let w = &raw.workflow;
    let stem = std::path::Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let region = RegionSlug::parse(w.region.get_ref())
        .map_err(|e| problems.at(w.region.span(), e.to_string()))
        .ok();
    // `syddanmark.toml`, or `syddanmark-2027.toml` for a further version kept beside it.
    let named_after = |r: &RegionSlug| {
        stem == r.as_str()
            || stem
                .strip_prefix(r.as_str())
                .is_some_and(|rest| rest.starts_with('-'))
    };
    if region.as_ref().is_some_and(|r| !named_after(r)) {
        problems.at(w.region.span(), format!("region `{}` does not match the file name; name the file `{}.toml` (or `{}-<label>.toml` for a further version) or change `region`", w.region.get_ref(), w.region.get_ref(), w.region.get_ref()));
    }
    if StateId::parse(w.key.get_ref()).is_err() {
        problems.at(
            w.key.span(),
            "`key` must be a snake_case word such as \"opgaveoverdragelse\"",
        );
    }
    let version = u32::try_from(*w.version.get_ref()).ok().filter(|v| *v >= 1);
    if version.is_none() {
        problems.at(w.version.span(), "`version` must be a whole number from 1 up; raise it for every change to a definition in use");
    }
    if w.name.get_ref().trim().is_empty() {
        problems.at(
            w.name.span(),
            "`name` is empty; give the model's official name",
        );
    }
    let prefix = w.case_prefix.get_ref();
    if !(2..=6).contains(&prefix.len()) || !prefix.chars().all(|c| c.is_ascii_uppercase()) {
        problems.at(
            w.case_prefix.span(),
            format!("`case_prefix` \"{prefix}\" must be 2 to 6 capital letters A–Z, e.g. \"SYD\""),
        );
    }
    let valid_from = date(&w.valid_from, "valid_from", problems);
    let valid_to = w
        .valid_to
        .as_ref()
        .and_then(|d| date(d, "valid_to", problems));
    if let (Some(from), Some(to), Some(raw_to)) = (valid_from, valid_to, &w.valid_to)
        && to < from
    {
        problems.at(
            raw_to.span(),
            format!("`valid_to` {to} is before `valid_from` {from}"),
        );
    }
    let agreement_years = match &w.agreement_years {
        None => Some(4),
        Some(years) => u32::try_from(*years.get_ref())
            .ok()
            .filter(|y| (1..=10).contains(y))
            .or_else(|| {
                problems.at(years.span(), "`agreement_years` must be between 1 and 10");
                None
            }),
    };
    let fair_balance_percent = match &w.fair_balance_percent {
        None => Some(10),
        Some(percent) => u32::try_from(*percent.get_ref())
            .ok()
            .filter(|p| *p <= 100)
            .or_else(|| {
                problems.at(
                    percent.span(),
                    "`fair_balance_percent` must be a whole per cent from 0 to 100",
                );
                None
            }),
    };
    let closing_days: Vec<ClosingDay> = w
        .closing_days
        .iter()
        .filter_map(|d| {
            ClosingDay::parse(d.get_ref())
                .map_err(|e| problems.at(d.span(), e))
                .ok()
        })
        .collect();

    let states = states(raw, problems);
    let bodies = bodies(raw.bodies.as_ref(), &states, problems);
    let known_states: BTreeSet<&str> = raw
        .states
        .iter()
        .map(|s| s.get_ref().id.get_ref().as_str())
        .collect();
    let state_list = known_states.iter().copied().collect::<Vec<_>>().join(", ");
    let initial = StateId::parse(w.initial.get_ref())
        .ok()
        .filter(|i| known_states.contains(i.as_str()));
    if initial.is_none() {
        problems.at(
            w.initial.span(),
            format!(
                "`initial` names unknown state `{}`; use one of: {state_list}",
                w.initial.get_ref()
            ),
        );
    }
    let transitions = transitions(raw, &states, templates, &state_list, problems);
    let hearing = hearing(raw, &bodies, &states, problems);

    Some(Definition {
        file: file.to_owned(),
        key: w.key.get_ref().clone(),
        version: version?,
        region: region?,
        name: w.name.get_ref().trim().to_owned(),
        valid_from: valid_from?,
        valid_to,
        case_prefix: prefix.clone(),
        initial: initial?,
        agreement_years: agreement_years?,
        fair_balance_percent: fair_balance_percent?,
        bodies: bodies?,
        hearing,
        calendar: WorkingCalendar::new(closing_days),
        states,
        transitions,
        content_hash: hex(&Sha256::digest(source.as_bytes())),
        source: source.to_owned(),
    })
}

fn bodies(
    raw: Option<&Spanned<BTreeMap<String, String>>>,
    states: &[State],
    problems: &mut Problems<'_>,
) -> Option<Bodies> {
    let span = raw.map(|r| r.span()).unwrap_or(0..0);
    let mut others = raw.map(|r| r.get_ref().clone()).unwrap_or_default();
    let has_stage = |stage: Stage| states.iter().any(|s| s.stage == stage);
    // A body's name is required where one of its states is; the committee is the 2024–27
    // model's, the regionsråd the 2027 model's.
    let mut take = |key: &str, example: &str, required: bool| {
        let name = others
            .remove(key)
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty());
        if name.is_none() && required {
            problems.at(span.clone(), format!("`[bodies]` has no `{key}`; add the region's own name for it, e.g. {key} = \"{example}\""));
        }
        name
    };
    let secretariat = take("secretariat", "Sundhedsaftalesekretariatet", true);
    let steering_group = take("steering_group", "Sundhedsstyregruppen", true);
    let committee = take(
        "committee",
        "Sundhedssamarbejdsudvalget",
        has_stage(Stage::Committee),
    );
    let regional_council = take(
        "regional_council",
        "Regionsrådet",
        has_stage(Stage::RegionalCouncil),
    );
    if has_stage(Stage::Committee) && committee.is_none()
        || has_stage(Stage::RegionalCouncil) && regional_council.is_none()
    {
        return None;
    }
    Some(Bodies {
        secretariat: secretariat?,
        steering_group: steering_group?,
        committee,
        regional_council,
        others,
    })
}

fn states(raw: &RawDefinition, problems: &mut Problems<'_>) -> Vec<State> {
    let mut seen = BTreeSet::new();
    let mut states = Vec::new();
    for spanned in &raw.states {
        let s = spanned.get_ref();
        let Ok(id) =
            StateId::parse(s.id.get_ref()).map_err(|e| problems.at(s.id.span(), e.to_string()))
        else {
            continue;
        };
        if !seen.insert(id.clone()) {
            problems.at(
                s.id.span(),
                format!("state `{id}` is defined twice; give each state its own id"),
            );
        }
        let label = label(
            s.label.as_ref(),
            spanned.span(),
            &format!("state `{id}`"),
            problems,
        );
        let stage_names = Stage::ALL.map(Stage::as_str).join(", ");
        let Some(stage) = Stage::parse(s.stage.get_ref()) else {
            problems.at(
                s.stage.span(),
                format!(
                    "state `{id}` has unknown stage `{}`; use one of: {stage_names}",
                    s.stage.get_ref()
                ),
            );
            continue;
        };
        let actor = s
            .actor
            .as_ref()
            .and_then(|a| role(a.get_ref(), a.span(), problems));
        match (&s.actor, stage.is_terminal()) {
            (None, false) => problems.at(spanned.span(), format!("state `{id}` has no `actor`; name the role expected to act, e.g. actor = \"secretariat\"")),
            (Some(a), true) => problems.at(a.span(), format!("terminal state `{id}` cannot have an `actor`; remove it")),
            _ => {}
        }
        let editable = s
            .editable
            .iter()
            .filter_map(|e| {
                Section::parse(e.get_ref()).or_else(|| {
                    problems.at(
                        e.span(),
                        format!(
                            "unknown section `{}` in `editable`; use description or economics",
                            e.get_ref()
                        ),
                    );
                    None
                })
            })
            .collect();
        let signoff = s
            .signoff
            .iter()
            .filter_map(|side| {
                side.get_ref()
                    .parse::<Side>()
                    .map_err(|e| problems.at(side.span(), e))
                    .ok()
            })
            .collect();
        let due_days = s.due_days.as_ref().and_then(|d| {
            u32::try_from(*d.get_ref())
                .ok()
                .filter(|d| (1..=365).contains(d))
                .or_else(|| {
                    problems.at(
                        d.span(),
                        "`due_days` must be between 1 and 365 working days",
                    );
                    None
                })
        });
        states.push(State {
            id,
            label,
            stage,
            actor,
            editable,
            signoff,
            due_days,
        });
    }
    states
}

fn transitions(
    raw: &RawDefinition,
    states: &[State],
    templates: &BTreeSet<String>,
    state_list: &str,
    problems: &mut Problems<'_>,
) -> Vec<Transition> {
    let find = |id: &str| states.iter().find(|s| s.id.as_str() == id);
    let mut seen: BTreeSet<(StateId, TransitionId)> = BTreeSet::new();
    let mut transitions = Vec::new();
    for spanned in &raw.transitions {
        let t = spanned.get_ref();
        let Ok(id) = TransitionId::parse(t.id.get_ref())
            .map_err(|e| problems.at(t.id.span(), e.to_string()))
        else {
            continue;
        };
        let label = label(
            t.label.as_ref(),
            spanned.span(),
            &format!("transition `{id}`"),
            problems,
        );
        let from_names = t.from.get_ref().names();
        if from_names.is_empty() {
            problems.at(
                t.from.span(),
                format!("transition `{id}` has an empty `from`; name at least one state"),
            );
        }
        let mut from = Vec::new();
        for name in &from_names {
            match find(name) {
                None => problems.at(t.from.span(), format!("transition `{id}` starts from unknown state `{name}`; use one of: {state_list}")),
                Some(state) if state.stage.is_terminal() => {
                    problems.at(t.from.span(), format!("transition `{id}` leaves terminal state `{name}`; a terminal state cannot be left — remove it from `from`"));
                }
                Some(state) => {
                    if !seen.insert((state.id.clone(), id.clone())) {
                        problems.at(t.id.span(), format!("state `{name}` has two transitions with id `{id}`; give each its own id"));
                    }
                    from.push(state.id.clone());
                }
            }
        }
        let to = find(t.to.get_ref());
        if to.is_none() {
            problems.at(
                t.to.span(),
                format!(
                    "transition `{id}` goes to unknown state `{}`; use one of: {state_list}",
                    t.to.get_ref()
                ),
            );
        }
        let by: Vec<Role> =
            t.by.get_ref()
                .iter()
                .filter_map(|r| role(r, t.by.span(), problems))
                .collect();
        if t.by.get_ref().is_empty() {
            problems.at(
                t.by.span(),
                format!("transition `{id}` has no roles in `by`; name who may take it"),
            );
        }
        let mut guards = Vec::new();
        for g in &t.guards {
            match Guard::parse(g.get_ref()) {
                Some(guard) => guards.push(guard),
                None => problems.at(
                    g.span(),
                    format!(
                        "unknown guard `{}`; use one of: {}",
                        g.get_ref(),
                        Guard::ALL.map(Guard::as_str).join(", ")
                    ),
                ),
            }
        }
        if guards.contains(&Guard::SignoffComplete) {
            for state in from
                .iter()
                .filter_map(|f| find(f.as_str()))
                .filter(|s| s.signoff.is_empty())
            {
                problems.at(t.id.span(), format!("transition `{id}` checks `signoff_complete` but state `{}` names no `signoff` sides; add signoff = [\"giving\", \"receiving\"] to the state", state.id));
            }
        }
        if guards.contains(&Guard::HearingClosed) {
            for state in from
                .iter()
                .filter_map(|f| find(f.as_str()))
                .filter(|s| s.stage != Stage::Hearing)
            {
                problems.at(t.id.span(), format!("transition `{id}` checks `hearing_closed` from state `{}`, which is not a hearing stage", state.id));
            }
        }
        if guards.contains(&Guard::OnAgenda) {
            for state in from
                .iter()
                .filter_map(|f| find(f.as_str()))
                .filter(|s| !crate::domain::body::Body::decides_at_meetings(s.stage))
            {
                problems.at(t.id.span(), format!("transition `{id}` checks `on_agenda` from state `{}`, which is not a steering_group, committee, council or regional_council stage; only those bodies hold meetings", state.id));
            }
            // A council's forward step is its recommendation to the regionsråd.
            let council_sources = from
                .iter()
                .filter_map(|f| find(f.as_str()))
                .filter(|s| s.stage == Stage::Council);
            if let Some(target) = to
                && target.stage > Stage::Council
                && target.stage != Stage::RegionalCouncil
            {
                for state in council_sources {
                    problems.at(t.id.span(), format!("transition `{id}` leaves council state `{}` for `{}`; a council recommends to the regionsråd — lead it to a `regional_council` state, or return the case with a comment", state.id, target.id));
                }
            }
        }
        let require_comment = t.require_comment || guards.contains(&Guard::CommentGiven);
        if let Some(target) = to {
            for source in from.iter().filter_map(|f| find(f.as_str())) {
                let goes_back = !target.stage.is_terminal() && target.stage < source.stage;
                if goes_back && !require_comment {
                    problems.at(t.id.span(), format!("transition `{id}` returns the case from `{}` to `{}`; a return needs a comment — add `require_comment = true`", source.id, target.id));
                }
            }
        }
        let mut notify = Vec::new();
        for n in &t.notify {
            let rule = n.get_ref();
            if !templates.contains(&rule.template) {
                problems.at(n.span(), format!("transition `{id}` notifies with unknown mail template `{}`; add mail-templates/{}/ or use one of: {}", rule.template, rule.template, templates.iter().cloned().collect::<Vec<_>>().join(", ")));
            }
            let mut to = Vec::new();
            for recipient in &rule.to {
                match Recipient::parse(recipient) {
                    Ok(r) => to.push(r),
                    Err(e) => problems.at(n.span(), e),
                }
            }
            if to.is_empty() {
                problems.at(
                    n.span(),
                    format!("a notification of transition `{id}` has no recipients in `to`"),
                );
            }
            notify.push(NotifyRule {
                template: rule.template.clone(),
                to,
            });
        }
        if let Some(to) = to {
            transitions.push(Transition {
                id,
                label,
                from,
                to: to.id.clone(),
                by,
                guards,
                require_comment,
                notify,
            });
        }
    }
    transitions
}

fn hearing(
    raw: &RawDefinition,
    bodies: &Option<Bodies>,
    states: &[State],
    problems: &mut Problems<'_>,
) -> Option<HearingRule> {
    let has_hearing_state = states.iter().any(|s| s.stage == Stage::Hearing);
    let Some(spanned) = &raw.hearing else {
        if has_hearing_state {
            problems.at(0..0, "a state has stage `hearing` but there is no `[hearing]` section; add one with parties, quorum and answer_days");
        }
        return None;
    };
    let h = spanned.get_ref();
    if !has_hearing_state {
        problems.at(spanned.span(), "`[hearing]` is configured but no state has stage `hearing`; add the hearing state or remove the section");
    }
    for party in &h.parties {
        let known = match party.split_once(':') {
            Some(("body", key)) => bodies.as_ref().is_none_or(|b| b.others.contains_key(key)),
            _ => matches!(
                party.as_str(),
                "municipalities" | "general_practice" | "hospitals"
            ),
        };
        if !known {
            problems.at(spanned.span(), format!("unknown hearing party `{party}`; use municipalities, general_practice, hospitals or body:<key of a body in [bodies]>"));
        }
    }
    if h.parties.is_empty() {
        problems.at(
            spanned.span(),
            "`[hearing]` has no `parties`; name who is heard",
        );
    }
    let quorum = match h.quorum.get_ref() {
        RawQuorum::Word(w) if w == "all" => Some(Quorum::All),
        RawQuorum::Word(w) if w == "majority" => Some(Quorum::Majority),
        RawQuorum::Count(n) if *n >= 1 => u32::try_from(*n).ok().map(Quorum::AtLeast),
        _ => None,
    };
    if quorum.is_none() {
        problems.at(
            h.quorum.span(),
            "`quorum` must be \"all\", \"majority\" or a number of answers from 1 up",
        );
    }
    if !(1..=120).contains(&h.answer_days) {
        problems.at(
            spanned.span(),
            "`answer_days` must be between 1 and 120 working days",
        );
    }
    Some(HearingRule {
        parties: h.parties.clone(),
        quorum: quorum?,
        answer_days: h.answer_days,
    })
}

/// States reachable from `start` without entering any state for which `avoid` is true.
fn reachable(
    def: &Definition,
    start: &StateId,
    avoid: impl Fn(&State) -> bool,
) -> BTreeSet<StateId> {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([start.clone()]);
    while let Some(id) = queue.pop_front() {
        let Some(state) = def.state(&id) else {
            continue;
        };
        if avoid(state) || !seen.insert(id.clone()) {
            continue;
        }
        queue.extend(def.transitions_from(&id).map(|t| t.to.clone()));
    }
    seen
}

fn check_graph(def: &Definition, raw: &RawDefinition, problems: &mut Problems<'_>) {
    let span_of = |id: &StateId| {
        raw.states
            .iter()
            .find(|s| s.get_ref().id.get_ref() == id.as_str())
            .map(|s| s.span())
            .unwrap_or(0..0)
    };
    let from_initial = reachable(def, &def.initial, |_| false);
    for state in &def.states {
        if !from_initial.contains(&state.id) {
            problems.at(
                span_of(&state.id),
                format!(
                    "state `{}` cannot be reached from `{}`; add a transition into it or remove it",
                    state.id, def.initial
                ),
            );
            continue;
        }
        if state.stage.is_terminal() {
            continue;
        }
        if def.transitions_from(&state.id).next().is_none() {
            problems.at(
                span_of(&state.id),
                format!(
                    "state `{}` is not terminal but has no way out; add a transition from it",
                    state.id
                ),
            );
        } else if !reachable(def, &state.id, |_| false)
            .iter()
            .any(|s| def.state(s).is_some_and(|s| s.stage.is_terminal()))
        {
            problems.at(span_of(&state.id), format!("from state `{}` no terminal state can be reached; add a way to close, withdraw or reject the case", state.id));
        }
    }
    if def
        .state(&def.initial)
        .is_some_and(|s| s.stage != Stage::Draft)
    {
        problems.at(
            raw.workflow.initial.span(),
            "the initial state must have stage `draft`",
        );
    }
    check_deciding_bodies(def, problems, &span_of);
}

/// Both levels must decide before a task moves: the steering group, then either the committee
/// (2024–27) or every council and the regionsråd (from 2027).
fn check_deciding_bodies(
    def: &Definition,
    problems: &mut Problems<'_>,
    span_of: &dyn Fn(&StateId) -> std::ops::Range<usize>,
) {
    let has = |stage: Stage| def.states.iter().any(|s| s.stage == stage);
    let political: &[Stage] = if has(Stage::RegionalCouncil) || has(Stage::Council) {
        &[Stage::Council, Stage::RegionalCouncil]
    } else {
        &[Stage::Committee]
    };
    let required = [Stage::SteeringGroup].iter().chain(political);
    for &stage in required {
        let body = match stage {
            Stage::SteeringGroup => "steering group",
            Stage::Council => "councils (sundhedsråd)",
            Stage::RegionalCouncil => "regionsråd",
            _ => "committee",
        };
        if !has(stage) {
            problems.at(
                0..0,
                format!(
                    "no state has stage `{}`; the health agreements require the {body} to decide",
                    stage.as_str()
                ),
            );
            continue;
        }
        let around = reachable(def, &def.initial, |s| s.stage == stage);
        if let Some(approved) = around
            .iter()
            .filter_map(|id| def.state(id))
            .find(|s| s.stage.is_approved())
        {
            problems.at(span_of(&approved.id), format!("state `{}` can be reached without passing the {body}; route approval through a `{}` state", approved.id, stage.as_str()));
        }
    }
    if has(Stage::Committee) && political.contains(&Stage::Council) {
        problems.at(0..0, "the model has both a `committee` state and the 2027 `council`/`regional_council` stages; a version follows one model — move the committee to the 2024–27 version");
    }
}
