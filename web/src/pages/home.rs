//! The front page: who you are, your regions and roles, and where to go.

use super::PageState;
use super::error::PageError;
use super::session::CurrentUser;
use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

#[derive(Debug, Serialize)]
struct RegionRoles {
    slug: String,
    name: String,
    roles: Vec<String>,
}

#[derive(Debug, Serialize)]
struct FrontView {
    name: String,
    email: String,
    regions: Vec<RegionRoles>,
}

pub async fn front_page(
    State(state): State<PageState>,
    user: CurrentUser,
) -> Result<Response, PageError> {
    let names = state.engine.regions().await?;
    let mut regions = Vec::new();
    for (slug, roles) in &user.actor.regions {
        let name = names
            .iter()
            .find(|r| &r.slug == slug)
            .map_or(slug, |r| &r.name);
        let roles = roles
            .iter()
            .map(|r| {
                state
                    .views
                    .text(user.lang, &format!("roles.{}", r.as_str()), &[])
            })
            .collect::<Result<_, _>>()?;
        regions.push(RegionRoles {
            slug: slug.clone(),
            name: name.clone(),
            roles,
        });
    }
    let view = FrontView {
        name: user.actor.name.clone(),
        email: user.actor.email.clone(),
        regions,
    };
    state
        .views
        .render("home", &user.chrome("home.title"), &view)
}
