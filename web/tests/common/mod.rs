//! A browser without JavaScript for the page tests: it sends requests through the real router
//! (`tower::ServiceExt::oneshot`), keeps cookies as a browser does, and reads pages back. Each
//! page test file adds the helpers only it needs.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use overdrag_engine::accounts::{Password, set_password};
use overdrag_engine::{Actor, Engine};
use overdrag_tests::person;
use std::collections::BTreeMap;
use tower::ServiceExt;

/// The password of every person the page tests log in as.
pub const PASSWORD: &str = "korrekt hest batteri";

/// A person with `role` in `region` who can log in with [`PASSWORD`].
pub async fn member(engine: &Engine, email: &str, region: &str, role: &str) -> Actor {
    let actor = person(engine, email, region, role).await;
    set_password(
        engine.db(),
        actor.user_id,
        &Password::parse(PASSWORD).unwrap(),
    )
    .await
    .unwrap();
    actor
}

/// A page as the browser received it.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// How often `needle` occurs in the page.
    pub fn count(&self, needle: &str) -> usize {
        self.body.matches(needle).count()
    }

    /// The text of each option of the select named `name`, in order.
    pub fn options(&self, name: &str) -> Vec<String> {
        let attribute = format!("name=\"{name}\"");
        let start = self
            .body
            .match_indices("<select")
            .map(|(at, _)| at)
            .find(|&at| {
                let tag = &self.body[at..];
                tag[..tag.find('>').unwrap_or(tag.len())].contains(&attribute)
            })
            .unwrap_or_else(|| panic!("no select `{name}` in {}", self.body));
        let select = &self.body[start..];
        let select = &select[..select.find("</select>").expect("the select ends")];
        select
            .split("<option")
            .skip(1)
            .map(|option| {
                let text = &option[option.find('>').expect("an option tag") + 1..];
                text[..text.find("</option>").expect("the option ends")]
                    .trim()
                    .to_owned()
            })
            .collect()
    }

    /// Where a redirect leads.
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The value of the first hidden field `name`.
    pub fn hidden(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("the page has no field `{name}`"))
            + marker.len();
        let end = self.body[start..].find('"').expect("the value ends") + start;
        self.body[start..end].to_owned()
    }

    /// The CSRF token of the first form on the page.
    pub fn csrf(&self) -> String {
        self.hidden("csrf")
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }
}

/// A browser without JavaScript: it keeps cookies and follows nothing by itself.
pub struct Browser {
    pub app: Router,
    pub cookies: BTreeMap<String, String>,
}

impl Browser {
    pub fn new(engine: &Engine) -> Self {
        Self {
            app: overdrag::server::router(engine.clone()),
            cookies: BTreeMap::new(),
        }
    }

    pub async fn send(&mut self, method: Method, uri: &str, form: Option<&[(&str, &str)]>) -> Page {
        let mut request = Request::builder().method(method).uri(uri);
        if !self.cookies.is_empty() {
            let cookies: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            request = request.header(header::COOKIE, cookies.join("; "));
        }
        let body = match form {
            Some(fields) => {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(serde_urlencoded::to_string(fields).unwrap())
            }
            None => Body::empty(),
        };
        let response = self
            .app
            .clone()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let page = Page {
            status: response.status(),
            headers: response.headers().clone(),
            body: String::from_utf8_lossy(
                &to_bytes(response.into_body(), 32 * 1024 * 1024)
                    .await
                    .unwrap(),
            )
            .into_owned(),
        };
        // Every page must work without JavaScript: none may carry a script.
        assert!(
            !page.body.contains("<script"),
            "{uri} carries a script: {}",
            page.body
        );
        for cookie in page.set_cookies() {
            let pair = cookie.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || cookie.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        page
    }

    pub async fn get(&mut self, uri: &str) -> Page {
        self.send(Method::GET, uri, None).await
    }

    pub async fn post(&mut self, uri: &str, form: &[(&str, &str)]) -> Page {
        self.send(Method::POST, uri, Some(form)).await
    }

    /// Opens the login page and logs in; returns the answer to the login form.
    pub async fn log_in(&mut self, email: &str, password: &str) -> Page {
        let csrf = self.get("/login").await.csrf();
        self.post(
            "/login",
            &[("csrf", &csrf), ("email", email), ("password", password)],
        )
        .await
    }

    /// Logs in as `email` with [`PASSWORD`], which must succeed.
    pub async fn sign_in(&mut self, email: &str) {
        let page = self.log_in(email, PASSWORD).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    }

    /// A browser logged in as `email`.
    pub async fn logged_in(engine: &Engine, email: &str) -> Self {
        let mut browser = Self::new(engine);
        browser.sign_in(email).await;
        browser
    }
}
