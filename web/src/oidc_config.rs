//! How people log in, read once at start from the environment: with a password (on unless
//! `OVERDRAG_PASSWORD_LOGIN=off`), and through the organisation's OpenID Connect provider when
//! `OVERDRAG_OIDC_ISSUER` is set:
//!
//! - `OVERDRAG_OIDC_ISSUER`: the provider's issuer URL (its discovery document is
//!   `<issuer>/.well-known/openid-configuration`).
//! - `OVERDRAG_OIDC_CLIENT_ID`, `OVERDRAG_OIDC_CLIENT_SECRET`: Overdrag's client at the provider.
//! - `OVERDRAG_OIDC_MAPPING`: the mapping file from claims to regions and roles (see
//!   [`overdrag_engine::sso`]), validated here, before the server accepts a request.
//! - `OVERDRAG_OIDC_NAME`: the button's label, e.g. `Region Syddanmarks login`; optional.
//!
//! The redirect URI to register at the provider is `OVERDRAG_PUBLIC_URL/login/oidc/callback`,
//! and the address to return to after logout is `OVERDRAG_PUBLIC_URL/login`.

use crate::config::Secret;
use overdrag_engine::sso::Mapping;
use std::path::Path;
use std::sync::Arc;

/// The path the provider sends the browser back to.
pub const CALLBACK_PATH: &str = "/login/oidc/callback";

/// How people log in.
#[derive(Clone, Debug)]
pub struct LoginSettings {
    /// Whether the email-and-password form is offered (and `POST /login` accepted).
    pub password_login: bool,
    /// Single sign-on, when configured.
    pub sso: Option<SsoSettings>,
}

impl Default for LoginSettings {
    fn default() -> Self {
        Self {
            password_login: true,
            sso: None,
        }
    }
}

/// The OpenID Connect provider and what its claims give.
#[derive(Clone, Debug)]
pub struct SsoSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// `OVERDRAG_PUBLIC_URL` without a trailing slash.
    pub public_url: String,
    /// The button's label; `None` for the default text.
    pub label: Option<String>,
    pub mapping: Arc<Mapping>,
}

impl SsoSettings {
    /// Where the provider sends the browser back with the code.
    pub fn redirect_uri(&self) -> String {
        format!("{}{CALLBACK_PATH}", self.public_url)
    }

    /// Where the provider sends the browser after logging out there.
    pub fn post_logout_uri(&self) -> String {
        format!("{}/login", self.public_url)
    }
}

impl LoginSettings {
    /// From the environment.
    ///
    /// # Errors
    /// A message naming the variable (or the mapping file and line) that is wrong.
    pub fn from_env() -> Result<Self, String> {
        let public_url = crate::config::Config::from_env().public_url;
        Self::from_lookup(
            |name| {
                std::env::var(name)
                    .ok()
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
            },
            &public_url,
        )
    }

    /// From the variables `lookup` gives (unset or blank: `None`).
    ///
    /// # Errors
    /// A message naming the variable (or the mapping file and line) that is wrong.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        public_url: &str,
    ) -> Result<Self, String> {
        let password_login = match lookup("OVERDRAG_PASSWORD_LOGIN").as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => {
                return Err(format!(
                    "OVERDRAG_PASSWORD_LOGIN is `{other}`; set it to on or off"
                ));
            }
        };
        let Some(issuer) = lookup("OVERDRAG_OIDC_ISSUER") else {
            for name in [
                "OVERDRAG_OIDC_CLIENT_ID",
                "OVERDRAG_OIDC_CLIENT_SECRET",
                "OVERDRAG_OIDC_MAPPING",
            ] {
                if lookup(name).is_some() {
                    return Err(format!(
                        "{name} is set but OVERDRAG_OIDC_ISSUER is not; set the issuer URL of the identity provider, or unset {name}"
                    ));
                }
            }
            if !password_login {
                return Err(
                    "OVERDRAG_PASSWORD_LOGIN=off needs single sign-on; set OVERDRAG_OIDC_ISSUER, or nobody can log in"
                        .into(),
                );
            }
            return Ok(Self {
                password_login,
                sso: None,
            });
        };
        if !(issuer.starts_with("https://") || issuer.starts_with("http://")) {
            return Err(format!(
                "OVERDRAG_OIDC_ISSUER `{issuer}` is not an http(s) URL such as https://login.regionsyddanmark.dk"
            ));
        }
        let required = |name: &str, what: &str| {
            lookup(name)
                .ok_or_else(|| format!("OVERDRAG_OIDC_ISSUER is set, so set {name} ({what})"))
        };
        let client_id = required(
            "OVERDRAG_OIDC_CLIENT_ID",
            "Overdrag's client id at the provider",
        )?;
        let client_secret = Secret::new(required(
            "OVERDRAG_OIDC_CLIENT_SECRET",
            "Overdrag's client secret at the provider",
        )?);
        let mapping_path = required(
            "OVERDRAG_OIDC_MAPPING",
            "the path of the file that maps claims to regions and roles",
        )?;
        let mapping = Mapping::load(Path::new(&mapping_path)).map_err(|e| e.to_string())?;
        Ok(Self {
            password_login,
            sso: Some(SsoSettings {
                issuer,
                client_id,
                client_secret,
                public_url: public_url.trim_end_matches('/').to_owned(),
                label: lookup("OVERDRAG_OIDC_NAME"),
                mapping: Arc::new(mapping),
            }),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::LoginSettings;
    use std::collections::BTreeMap;

    fn settings(vars: &[(&str, &str)]) -> Result<LoginSettings, String> {
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        LoginSettings::from_lookup(|name| vars.get(name).cloned(), "https://overdrag.example/")
    }

    #[test]
    fn without_variables_only_password_login_is_on() {
        let s = settings(&[]).unwrap();
        assert!(s.password_login);
        assert!(s.sso.is_none());
    }

    #[test]
    fn a_half_configured_provider_names_the_missing_variable() {
        let e = settings(&[("OVERDRAG_OIDC_ISSUER", "https://idp.example")]).unwrap_err();
        assert!(e.contains("OVERDRAG_OIDC_CLIENT_ID"), "{e}");
        let e = settings(&[("OVERDRAG_OIDC_CLIENT_ID", "x")]).unwrap_err();
        assert!(e.contains("OVERDRAG_OIDC_ISSUER"), "{e}");
        let e = settings(&[("OVERDRAG_PASSWORD_LOGIN", "off")]).unwrap_err();
        assert!(e.contains("nobody can log in"), "{e}");
        let e = settings(&[("OVERDRAG_PASSWORD_LOGIN", "nej")]).unwrap_err();
        assert!(e.contains("on or off"), "{e}");
    }

    #[test]
    fn a_broken_mapping_file_stops_start_naming_file_and_line() {
        let dir = std::env::temp_dir().join(format!("overdrag-sso-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("sso.toml");
        std::fs::write(
            &file,
            "[[rule]]\nclaim = \"groups\"\nvalue = \"x\"\nregion = \"syddanmark\"\nrole = \"boss\"\n",
        )
        .unwrap();
        let path = file.display().to_string();
        let base = [
            ("OVERDRAG_OIDC_ISSUER", "https://idp.example"),
            ("OVERDRAG_OIDC_CLIENT_ID", "overdrag"),
            ("OVERDRAG_OIDC_CLIENT_SECRET", "hemmelig"),
            ("OVERDRAG_OIDC_MAPPING", path.as_str()),
        ];
        let e = settings(&base).unwrap_err();
        assert!(
            e.starts_with(&format!("{path}:5: unknown role `boss`")),
            "{e}"
        );
        std::fs::write(
            &file,
            "[[rule]]\nclaim = \"groups\"\nvalue = \"x\"\nregion = \"syddanmark\"\nrole = \"admin\"\n",
        )
        .unwrap();
        let s = settings(&base).unwrap();
        let sso = s.sso.unwrap();
        assert_eq!(
            sso.redirect_uri(),
            "https://overdrag.example/login/oidc/callback"
        );
        assert_eq!(format!("{:?}", sso.client_secret), "Secret(***)");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
