//! Text in the two languages Overdrag speaks, and the rules for titles and names users give.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};

/// A user-facing text in Danish (the default) and English.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Label {
    pub da: String,
    pub en: String,
}

impl Label {
    pub fn new(da: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            da: da.into(),
            en: en.into(),
        }
    }

    /// The text in `lang` ("en" gives English; anything else Danish).
    pub fn in_language(&self, lang: &str) -> &str {
        if lang == "en" { &self.en } else { &self.da }
    }
}

/// Whether `c` shows nothing on its own: whitespace, or a Unicode format character (general
/// category Cf: zero-width space and joiners, word joiner, byte-order mark, soft hyphen,
/// direction marks, invisible operators, tags), or one of the fillers that render blank.
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{0600}'..='\u{0605}'
                | '\u{061C}'
                | '\u{06DD}'
                | '\u{070F}'
                | '\u{0890}'..='\u{0891}'
                | '\u{08E2}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{110BD}'
                | '\u{110CD}'
                | '\u{13430}'..='\u{1343F}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0001}'
                | '\u{E0020}'..='\u{E007F}'
                | '\u{E0100}'..='\u{E01EF}'
        )
}

/// Whether `c` breaks a line or is a control character: NUL, tab, line feed, carriage return
/// and the rest of C0 and C1, and the Unicode line and paragraph separators.
pub fn is_control_or_line_break(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// What is wrong with a title or name given as `value` (already trimmed) for `field`, if
/// anything: it must be one line without control characters, hold something visible, and be
/// `min..=max` characters long (`length_message` says so in the caller's words, in both
/// languages). Case and meeting titles and people's names all pass through here.
pub fn single_line_name_problem(
    field: &str,
    value: &str,
    min: usize,
    max: usize,
    length_message: &Label,
) -> Option<FieldError> {
    let (english, danish) = if value.chars().any(is_control_or_line_break) {
        (
            "write it on one line, without line breaks, tabs or other control characters"
                .to_owned(),
            "skriv det på én linje, uden linjeskift, tabulatorer eller andre kontroltegn"
                .to_owned(),
        )
    } else if value.chars().all(is_invisible) {
        (
            format!(
                "{}; it holds only spaces or invisible characters (such as zero-width \
                 spaces or soft hyphens), so write it with visible letters",
                length_message.en
            ),
            format!(
                "{}; det består kun af mellemrum eller usynlige tegn (fx mellemrum uden \
                 bredde eller bløde bindestreger), så skriv det med synlige bogstaver",
                length_message.da
            ),
        )
    } else if !(min..=max).contains(&value.chars().count()) {
        (length_message.en.clone(), length_message.da.clone())
    } else {
        return None;
    };
    Some(FieldError::new(field, english, danish))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visible_one_line_title_passes() {
        for ok in [
            "IV-behandling i eget hjem",
            "Sår & \"pleje\" <x>",
            "Æbleø\u{00AD}kage",
        ] {
            assert_eq!(
                single_line_name_problem("title", ok, 3, 200, &Label::new("3 til 200", "3 to 200")),
                None
            );
        }
    }

    #[test]
    fn invisible_or_multi_line_titles_are_refused_naming_the_field() {
        for bad in [
            "",
            "\u{200B}\u{200B}\u{200B}",
            "\u{FEFF}\u{00AD}\u{2060}\u{200C}\u{200D}\u{00A0}",
            "\u{3000}\u{2003} ",
            "to\nlinjer",
            "to\r\nlinjer",
            "to\u{2028}linjer",
            "to\u{2029}linjer",
            "nul\0tegn",
            "tab\tulator",
            "esc\u{1B}[31m",
            "c1\u{0085}linje",
        ] {
            let problem = single_line_name_problem(
                "title",
                bad,
                1,
                200,
                &Label::new("giv en titel", "give a title"),
            );
            assert_eq!(
                problem.as_ref().map(|p| p.field.as_str()),
                Some("title"),
                "{bad:?}"
            );
        }
        let long = "x".repeat(201);
        let problem =
            single_line_name_problem("title", &long, 3, 200, &Label::new("3 til 200", "3 to 200"));
        assert_eq!(
            problem
                .as_ref()
                .map(|p| (p.message_in("en"), p.message_in("da"))),
            Some(("3 to 200", "3 til 200"))
        );
    }
}
