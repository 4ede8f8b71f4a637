//! The header's main menu: one row of the screens people work in, the current one marked
//! (`aria-current`). Each region's own workflow and public register are on the front page;
//! the menu links the first region's. The administration entry is shown to administrators
//! only — display, not access: the engine decides who may open what.

use overdrag_engine::Actor;
use overdrag_engine::domain::role::Role;
use serde::Serialize;

/// One entry of the main menu.
#[derive(Clone, Debug, Serialize)]
pub struct MenuItem {
    pub href: String,
    /// The text's key in `web/i18n/*.toml`.
    pub text_key: &'static str,
    /// The page shown is this entry's (or below it).
    pub current: bool,
}

/// Whether `actor` administers any region.
pub fn administers_any(actor: &Actor) -> bool {
    actor
        .regions
        .values()
        .any(|roles| roles.contains(&Role::Admin))
}

/// The main menu for `actor` on the page at `path`.
pub fn main_menu(actor: &Actor, path: &str) -> Vec<MenuItem> {
    let first_region = actor.regions.keys().next();
    let mut entries: Vec<(String, &'static str, &'static str)> = vec![
        ("/".into(), "nav.home", "/"),
        ("/tasks".into(), "nav.tasks", "/tasks"),
        ("/cases".into(), "nav.cases", "/cases"),
        ("/meetings".into(), "nav.meetings", "/meetings"),
    ];
    if let Some(region) = first_region {
        entries.push((
            format!("/workflows/{region}"),
            "nav.workflows",
            "/workflows",
        ));
        entries.push((format!("/public/{region}"), "nav.public", "/public"));
    }
    if administers_any(actor) {
        entries.push(("/admin".into(), "nav.admin", "/admin"));
    }
    entries.push(("/settings".into(), "nav_admin.settings", "/settings"));
    entries
        .into_iter()
        .map(|(href, text_key, section)| MenuItem {
            current: if section == "/" {
                path == "/"
            } else {
                path == section || path.starts_with(&format!("{section}/"))
            },
            href,
            text_key,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::main_menu;
    use overdrag_engine::Actor;
    use overdrag_engine::domain::role::Role;
    use std::collections::{BTreeMap, BTreeSet};

    fn actor(role: Role) -> Actor {
        Actor {
            user_id: 1,
            name: "Anne".into(),
            email: "anne@ouh.dk".into(),
            language: "da".into(),
            organisation_id: None,
            regions: BTreeMap::from([("syddanmark".to_owned(), BTreeSet::from([role]))]),
            councils: BTreeMap::new(),
        }
    }

    #[test]
    fn the_current_section_is_marked_and_administration_is_for_administrators() {
        let menu = main_menu(&actor(Role::Proposer), "/cases/17/economics");
        let current: Vec<&str> = menu
            .iter()
            .filter(|m| m.current)
            .map(|m| m.href.as_str())
            .collect();
        assert_eq!(current, ["/cases"]);
        assert!(menu.iter().all(|m| m.href != "/admin"));
        assert!(menu.iter().any(|m| m.href == "/workflows/syddanmark"));

        let menu = main_menu(&actor(Role::Admin), "/admin/councils");
        let current: Vec<&str> = menu
            .iter()
            .filter(|m| m.current)
            .map(|m| m.href.as_str())
            .collect();
        assert_eq!(current, ["/admin"]);
        let home = main_menu(&actor(Role::Admin), "/");
        assert!(home.iter().find(|m| m.href == "/").unwrap().current);
    }
}
