//! The administration's front page: the administrator's screens, each with what it is for.
//! The menu links here instead of listing every screen.

use super::PageState;
use super::error::PageError;
use super::menu::administers_any;
use super::session::CurrentUser;
use axum::extract::State;
use axum::response::Response;
use overdrag_engine::EngineError;
use overdrag_engine::domain::role::Role;
use serde::Serialize;

#[derive(Debug, Serialize)]
struct Screen {
    href: &'static str,
    /// The keys of its name and of the sentence saying what it is for.
    name_key: &'static str,
    text_key: &'static str,
}

#[derive(Debug, Serialize)]
struct AdminHomeView {
    screens: Vec<Screen>,
}

const SCREENS: [(&str, &str, &str); 5] = [
    ("/admin/users", "nav.admin_users", "admin_home.users"),
    (
        "/admin/organisations",
        "nav_admin.organisations",
        "admin_home.organisations",
    ),
    (
        "/admin/councils",
        "nav_admin.councils",
        "admin_home.councils",
    ),
    ("/admin/outbox", "nav_admin.outbox", "admin_home.outbox"),
    ("/admin/reform", "nav_admin.reform", "admin_home.reform"),
];

pub async fn admin_home(
    State(state): State<PageState>,
    user: CurrentUser,
) -> Result<Response, PageError> {
    if !administers_any(&user.actor) {
        return Err(PageError::Engine(EngineError::Forbidden {
            action: "opening the administration".into(),
            needed: vec![Role::Admin],
        }));
    }
    let view = AdminHomeView {
        screens: SCREENS
            .into_iter()
            .map(|(href, name_key, text_key)| Screen {
                href,
                name_key,
                text_key,
            })
            .collect(),
    };
    state
        .views
        .render("admin/home", &user.chrome("admin_home.title"), &view)
}
