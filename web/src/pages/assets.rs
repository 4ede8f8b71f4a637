//! The static files embedded in the binary (DKFDS's CSS, fonts and icons from
//! `web/assets/vendor/`, and `web/assets/overdrag.css`), served under `/static/` with a long
//! cache lifetime: the pages link them with `?v=<version>`.

use super::error::PageError;
use super::views::STATIC_FILES;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The content type for a file name.
pub fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map_or("", |(_, e)| e);
    match extension {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "eot" => "application/vnd.ms-fontobject",
        "md" | "txt" | "" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The embedded file at `path`, if any.
pub fn find(path: &str) -> Option<&'static [u8]> {
    STATIC_FILES
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(_, bytes)| *bytes)
}

pub async fn serve_static(Path(path): Path<String>) -> Response {
    match find(&path) {
        Some(bytes) => (
            [
                (header::CONTENT_TYPE, content_type(&path)),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            bytes,
        )
            .into_response(),
        None => PageError::NotFound.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::STATIC_FILES;
    use super::find;

    /// Every `url(...)` in the DKFDS stylesheet names a file that is served.
    #[test]
    fn the_css_references_only_files_that_are_served() {
        let Some(css) = find("dkfds/css/dkfds.min.css") else {
            panic!("dkfds.min.css is embedded");
        };
        let css = String::from_utf8_lossy(css);
        let mut checked = 0;
        for part in css.split("url(").skip(1) {
            let reference = part
                .split(')')
                .next()
                .unwrap_or_default()
                .trim_matches(|c| c == '"' || c == '\'');
            if reference.starts_with("data:") {
                continue;
            }
            let reference = reference.split(['?', '#']).next().unwrap_or_default();
            let resolved = reference
                .strip_prefix("../")
                .map(|rest| format!("dkfds/{rest}"))
                .unwrap_or_else(|| format!("dkfds/css/{reference}"));
            assert!(find(&resolved).is_some(), "url({reference}) is not served");
            checked += 1;
        }
        assert!(checked > 100, "only {checked} references found");
        assert!(STATIC_FILES.iter().all(|(name, _)| !name.ends_with(".js")));
    }
}
