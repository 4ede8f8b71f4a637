//! Headers every response gets, set in one place for the API and the pages alike: nothing
//! behind a login is stored by a browser or proxy, nothing is sniffed into another type, and
//! HTML documents and files handed out (decision documents, attachments, ZIP, CSV) may run
//! nothing and load nothing.

use axum::extract::Request;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The policy of a document or file handed out: its own inline styles (the decision
/// document's print layout) and images embedded in it, nothing else; sandboxed, so an
/// uploaded HTML or SVG file opened in the browser runs no script and reaches no cookie.
pub const FILE_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
    img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox";

/// Adds the headers to every response. Pages keep the policy they set themselves
/// (`pages::security_headers`); API answers other than JSON and every file handed out get
/// [`FILE_CONTENT_SECURITY_POLICY`]. Only `/static/` assets, which are the same for everyone,
/// may be cached.
pub async fn hardened(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    harden(&path, response.headers_mut());
    response
}

fn harden(path: &str, headers: &mut HeaderMap) {
    headers
        .entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    if !path.starts_with("/static/") {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if is_file(path, headers) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(FILE_CONTENT_SECURITY_POLICY),
        );
    }
}

/// A file or document handed out rather than a page or a JSON answer: it has a
/// `Content-Disposition`, or it comes from the API and is not JSON.
fn is_file(path: &str, headers: &HeaderMap) -> bool {
    if headers.contains_key(header::CONTENT_DISPOSITION) {
        return true;
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            let m = m.trim();
            m.eq_ignore_ascii_case("application/json")
                || m.eq_ignore_ascii_case("application/problem+json")
        });
    path.starts_with("/api/") && headers.contains_key(header::CONTENT_TYPE) && !json
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(content_type) {
            headers.insert(header::CONTENT_TYPE, value);
        }
        headers
    }

    #[test]
    fn api_html_and_files_get_the_file_policy_and_json_does_not() {
        let mut html = with("text/html; charset=utf-8");
        harden("/api/v1/cases/1/decision-document", &mut html);
        assert_eq!(
            html.get(header::CONTENT_SECURITY_POLICY),
            Some(&HeaderValue::from_static(FILE_CONTENT_SECURITY_POLICY))
        );
        let mut json = with("application/problem+json");
        harden("/api/v1/cases/1", &mut json);
        assert!(json.get(header::CONTENT_SECURITY_POLICY).is_none());
        assert_eq!(
            json.get(header::CACHE_CONTROL),
            Some(&HeaderValue::from_static("no-store"))
        );
        let mut asset = with("text/css");
        asset.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
        harden("/static/app.css", &mut asset);
        assert_eq!(
            asset.get(header::CACHE_CONTROL),
            Some(&HeaderValue::from_static(
                "public, max-age=31536000, immutable"
            ))
        );
    }
}
