//! My tasks: the cases waiting for me by my roles and regions, overdue first, then by due
//! date (the engine's `my_tasks` decides what waits for whom).

use super::PageState;
use super::cases::{CompactProgress, compact_progress, date, days_left_text, label};
use super::error::PageError;
use super::session::CurrentUser;
use axum::extract::State;
use axum::response::Response;
use overdrag_engine::cases::tasks::TaskReason;
use serde::Serialize;

#[derive(Debug, Serialize)]
struct TaskRow {
    id: i64,
    number: String,
    title: String,
    region_name: String,
    parties: String,
    state_label: String,
    progress: CompactProgress,
    /// What is expected: act in the state as a role, or sign off sides.
    todo: String,
    due_date: Option<String>,
    days_left: Option<String>,
    overdue: bool,
}

#[derive(Debug, Serialize)]
struct TasksView {
    tasks: Vec<TaskRow>,
    overdue: usize,
}

pub async fn my_tasks(
    State(state): State<PageState>,
    user: CurrentUser,
) -> Result<Response, PageError> {
    let lang = user.lang;
    let views = &state.views;
    let tasks = state.engine.my_tasks(&user.actor).await?;
    let mut rows = Vec::with_capacity(tasks.len());
    for task in tasks {
        let role = views.text(lang, &format!("roles.{}", task.waiting_for.as_str()), &[])?;
        let todo = match task.reason {
            TaskReason::Act => views.text(lang, "tasks.todo_act", &[("role", &role)])?,
            TaskReason::SignOff => {
                let sides = task
                    .unsigned_sides
                    .iter()
                    .map(|s| views.text(lang, &format!("cases.sides.{}", s.as_str()), &[]))
                    .collect::<Result<Vec<_>, _>>()?
                    .join(", ");
                views.text(lang, "tasks.todo_sign_off", &[("sides", &sides)])?
            }
        };
        rows.push(TaskRow {
            id: task.case_id,
            number: task.number,
            title: task.title,
            region_name: task.region_name,
            parties: format!("{} → {}", task.giving_party.name, task.receiving_party.name),
            state_label: label(&task.state_label, lang),
            progress: compact_progress(views, lang, task.stage)?,
            todo,
            due_date: task.due_date.map(|d| date(d, lang)),
            days_left: task
                .days_left
                .map(|d| days_left_text(views, lang, d))
                .transpose()?,
            overdue: task.overdue,
        });
    }
    let view = TasksView {
        overdue: rows.iter().filter(|r| r.overdue).count(),
        tasks: rows,
    };
    views.render("tasks", &user.chrome("tasks.title"), &view)
}
