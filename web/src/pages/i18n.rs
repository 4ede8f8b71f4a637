//! The page texts in Danish (the default) and English, from `web/i18n/{da,en}.toml`, embedded
//! in the binary. Both files must have the same keys; an unknown key is an error, never a blank.

use serde::Serialize;
use std::collections::BTreeMap;

/// The language a page is shown in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Da,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Da => "da",
            Lang::En => "en",
        }
    }

    /// `da` or `en`; anything else is `None`.
    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim() {
            "da" => Some(Lang::Da),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// Every text by language and dotted key, e.g. `login.title`.
#[derive(Debug)]
pub struct Translations {
    da: BTreeMap<String, String>,
    en: BTreeMap<String, String>,
}

fn flatten(
    prefix: &str,
    table: &toml::Table,
    out: &mut BTreeMap<String, String>,
) -> Result<(), String> {
    for (key, value) in table {
        let key = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => flatten(&key, inner, out)?,
            toml::Value::String(text) => {
                out.insert(key, text.clone());
            }
            _ => return Err(format!("`{key}` must be a text in quotes")),
        }
    }
    Ok(())
}

fn parse(file: &str, source: &str) -> Result<BTreeMap<String, String>, String> {
    let table: toml::Table = source
        .parse()
        .map_err(|e| format!("web/i18n/{file}: {e}"))?;
    let mut out = BTreeMap::new();
    flatten("", &table, &mut out).map_err(|e| format!("web/i18n/{file}: {e}"))?;
    Ok(out)
}

impl Translations {
    /// The embedded tables.
    ///
    /// # Errors
    /// When a file does not parse, or a key is in one language and not the other.
    pub fn embedded() -> Result<Self, String> {
        Self::from_sources(
            include_str!("../../i18n/da.toml"),
            include_str!("../../i18n/en.toml"),
        )
    }

    /// # Errors
    /// As [`Translations::embedded`].
    pub fn from_sources(da: &str, en: &str) -> Result<Self, String> {
        let da = parse("da.toml", da)?;
        let en = parse("en.toml", en)?;
        let only_da: Vec<&String> = da.keys().filter(|k| !en.contains_key(*k)).collect();
        let only_en: Vec<&String> = en.keys().filter(|k| !da.contains_key(*k)).collect();
        if !only_da.is_empty() || !only_en.is_empty() {
            return Err(format!(
                "web/i18n: keys only in da.toml: {only_da:?}; keys only in en.toml: {only_en:?}; add each to the other file"
            ));
        }
        Ok(Self { da, en })
    }

    /// The text for `key`, or `None` when there is no such key.
    pub fn get(&self, lang: Lang, key: &str) -> Option<&str> {
        match lang {
            Lang::Da => self.da.get(key),
            Lang::En => self.en.get(key),
        }
        .map(String::as_str)
    }

    /// The text for `key` with each `{name}` replaced by its value.
    ///
    /// # Errors
    /// When the key is unknown: the caller must not show a blank.
    pub fn text(&self, lang: Lang, key: &str, values: &[(&str, &str)]) -> Result<String, String> {
        let mut text = self
            .get(lang, key)
            .ok_or_else(|| format!("no text `{key}` in web/i18n/{}.toml", lang.code()))?
            .to_owned();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::{Lang, Translations};

    #[test]
    fn both_languages_have_the_same_keys() {
        let texts = Translations::embedded();
        assert!(texts.is_ok(), "{texts:?}");
    }

    #[test]
    fn a_key_in_one_language_only_is_refused() {
        let result = Translations::from_sources("[a]\nb = \"x\"\nc = \"y\"", "[a]\nb = \"x\"");
        assert!(result.is_err_and(|e| e.contains("a.c")));
    }

    #[test]
    fn every_stage_has_a_name_in_both_languages() {
        let Ok(texts) = Translations::embedded() else {
            panic!("translations load");
        };
        for stage in overdrag_engine::workflow::Stage::ALL {
            for lang in [Lang::Da, Lang::En] {
                let key = format!("cases.stages.{}", stage.as_str());
                assert!(texts.get(lang, &key).is_some(), "no text `{key}`");
            }
        }
    }

    #[test]
    fn an_unknown_key_is_an_error_and_placeholders_are_filled() {
        let Ok(texts) = Translations::embedded() else {
            panic!("translations load");
        };
        assert!(texts.text(Lang::Da, "no.such.key", &[]).is_err());
        assert_eq!(
            texts.text(Lang::En, "home.welcome", &[("name", "Anne")]),
            Ok("Welcome, Anne".to_owned())
        );
    }
}
