//! A region's workflow in force: the state machine drawn on the server as SVG, with the count
//! of the region's cases in each state, and the same as tables for those who cannot see it.

use super::PageState;
use super::error::PageError;
use super::meetings::long_date;
use super::session::CurrentUser;
use super::workflow_svg::{self, Diagram, Edge, Node};
use axum::extract::{Path, State};
use axum::response::Response;
use overdrag_engine::workflow::Stage;
use serde::Serialize;

#[derive(Debug, Serialize)]
struct StateRow {
    id: String,
    label: String,
    actor: Option<String>,
    terminal: bool,
    cases: u64,
}

#[derive(Debug, Serialize)]
struct TransitionRow {
    id: String,
    label: String,
    from: String,
    to: String,
    by: String,
    require_comment: bool,
    guards: Vec<String>,
}

#[derive(Debug, Serialize)]
struct WorkflowView {
    region_name: String,
    name: String,
    version: u32,
    valid_from: String,
    svg: String,
    states: Vec<StateRow>,
    transitions: Vec<TransitionRow>,
    other_states: Vec<StateRow>,
    total: u64,
}

pub async fn show_workflow(
    State(state): State<PageState>,
    user: CurrentUser,
    Path(region): Path<String>,
) -> Result<Response, PageError> {
    let overview = state.engine.workflow_overview(&user.actor, &region).await?;
    let lang = user.lang;
    let views = &state.views;
    let count_text = |n: u64| -> Result<String, PageError> {
        let key = if n == 1 {
            "workflow.one_case"
        } else {
            "workflow.cases"
        };
        views.text(lang, key, &[("count", &n.to_string())])
    };
    let label_of = |id: &str| {
        overview.states.iter().find(|s| s.id == id).map_or_else(
            || id.to_owned(),
            |s| s.label.in_language(lang.code()).to_owned(),
        )
    };
    let role = |r: &overdrag_engine::domain::role::Role| {
        views.text(lang, &format!("roles.{}", r.as_str()), &[])
    };
    let mut nodes = Vec::new();
    for s in &overview.states {
        nodes.push(Node {
            id: s.id.clone(),
            label: s.label.in_language(lang.code()).to_owned(),
            count_text: count_text(s.cases)?,
            rank: Stage::ALL.iter().position(|x| *x == s.stage).unwrap_or(0),
            terminal: s.terminal,
            aside: s.terminal && s.stage != Stage::Closed,
        });
    }
    let edges = overview
        .transitions
        .iter()
        .flat_map(|t| {
            t.from.iter().map(|from| Edge {
                transition: t.id.clone(),
                from: from.clone(),
                to: t.to.clone(),
                label: t.label.in_language(lang.code()).to_owned(),
            })
        })
        .collect();
    let diagram = Diagram {
        title: views.text(
            lang,
            "workflow.svg_title",
            &[("region", &overview.region_name)],
        )?,
        initial: overview.initial.clone(),
        terminal_text: views.text(lang, "workflow.terminal", &[])?,
        nodes,
        edges,
    };
    let mut states = Vec::new();
    for s in &overview.states {
        states.push(StateRow {
            id: s.id.clone(),
            label: s.label.in_language(lang.code()).to_owned(),
            actor: s.actor.as_ref().map(role).transpose()?,
            terminal: s.terminal,
            cases: s.cases,
        });
    }
    let mut transitions = Vec::new();
    for t in &overview.transitions {
        transitions.push(TransitionRow {
            id: t.id.clone(),
            label: t.label.in_language(lang.code()).to_owned(),
            from: t
                .from
                .iter()
                .map(|f| label_of(f))
                .collect::<Vec<_>>()
                .join(", "),
            to: label_of(&t.to),
            by: t
                .by
                .iter()
                .map(role)
                .collect::<Result<Vec<_>, _>>()?
                .join(", "),
            require_comment: t.require_comment,
            guards: t
                .guards
                .iter()
                .map(|g| g.in_language(lang.code()).to_owned())
                .collect(),
        });
    }
    let view = WorkflowView {
        region_name: overview.region_name.clone(),
        name: overview.name.clone(),
        version: overview.version,
        valid_from: long_date(lang, overview.valid_from),
        svg: workflow_svg::render(&diagram),
        total: overview.states.iter().map(|s| s.cases).sum::<u64>()
            + overview.other_states.iter().map(|(_, n)| n).sum::<u64>(),
        states,
        transitions,
        other_states: overview
            .other_states
            .iter()
            .map(|(id, n)| StateRow {
                id: id.clone(),
                label: id.clone(),
                actor: None,
                terminal: false,
                cases: *n,
            })
            .collect(),
    };
    state
        .views
        .render("workflows/show", &user.chrome("workflow.title"), &view)
}
