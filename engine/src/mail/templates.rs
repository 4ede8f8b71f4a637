//! Compiling, checking and rendering the mail templates.

use crate::workflow::definition::DefinitionError;
use handlebars::Handlebars;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;

/// Everything a mail template may name. Optional values are present as null, so templates test
/// them with `{{#if …}}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MailContext {
    pub recipient_name: String,
    pub case_number: String,
    pub title: String,
    pub region_name: String,
    pub kind_label: String,
    pub from_state: String,
    pub to_state: String,
    pub transition_label: String,
    pub actor_name: String,
    pub comment: Option<String>,
    pub due_date: Option<String>,
    pub expected_action: Option<String>,
    pub body_name: Option<String>,
    pub case_url: String,
    /// A heard party's personal link for answering the hearing.
    pub hearing_url: Option<String>,
    /// For agenda mails: the meeting's title and date.
    pub meeting_title: Option<String>,
    pub meeting_date: Option<String>,
    /// For a meeting that moved: the day it was to be held.
    pub meeting_was: Option<String>,
    /// For a change of figures: whose sign-offs it voided, in words ("Region Syddanmarks
    /// godkendelse"); null when none had been given.
    pub voided_signoffs: Option<String>,
    /// For a change of figures: each party and year whose figures changed, old and new.
    pub figure_changes: Vec<String>,
}

impl MailContext {
    /// A context with every value present, for checking that templates name only known ones.
    pub fn sample() -> Self {
        Self {
            recipient_name: "Mette Kjær".into(),
            case_number: "SYD-2026-0007".into(),
            title: "IV-behandling i eget hjem".into(),
            region_name: "Region Syddanmark".into(),
            kind_label: "Opgaveoverdragelse".into(),
            from_state: "Strategisk Sundhedsstyregruppe".into(),
            to_state: "Sundhedssamarbejdsudvalget".into(),
            transition_label: "Indstil til godkendelse".into(),
            actor_name: "Jens Bach".into(),
            comment: Some("Med opfølgning efter 12 måneder.".into()),
            due_date: Some("15. december 2026".into()),
            expected_action: Some("Behandl sagen på næste møde.".into()),
            body_name: Some("Strategisk Sundhedsstyregruppe".into()),
            case_url: "http://127.0.0.1:8080/cases/7".into(),
            hearing_url: Some("http://127.0.0.1:8080/hearing/hrg_0123".into()),
            meeting_title: Some("Møde i Strategisk Sundhedsstyregruppe".into()),
            meeting_date: Some("10. december 2026".into()),
            meeting_was: Some("3. december 2026".into()),
            voided_signoffs: Some("Region Syddanmarks godkendelse".into()),
            figure_changes: vec![
                "Odense Kommune, 2027: driftsudgifter 1.200.000 kr. → 1.500.000 kr.".into(),
            ],
        }
    }
}

/// One mail folded into a daily digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DigestItem {
    pub case_number: String,
    pub title: String,
    pub subject: String,
    pub text: String,
    pub case_url: String,
}

/// Everything the digest template may name: the day's mails for one recipient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DigestContext {
    pub recipient_name: String,
    pub date: String,
    pub count: usize,
    pub items: Vec<DigestItem>,
}

impl DigestContext {
    /// A digest with every value present, for checking the digest templates.
    pub fn sample() -> Self {
        let mail = MailContext::sample();
        Self {
            recipient_name: mail.recipient_name,
            date: "23. november 2026".into(),
            count: 1,
            items: vec![DigestItem {
                case_number: mail.case_number,
                title: mail.title,
                subject: "SYD-2026-0007: Sagen er indsendt — IV-behandling i eget hjem".into(),
                text: "Sagen er indsendt.".into(),
                case_url: mail.case_url,
            }],
        }
    }
}

/// The folder of the daily digest: not an event a workflow may name.
pub const DIGEST: &str = "digest";

/// The folder of shared partials, e.g. the HTML layout every `html.*.hbs` wraps itself in.
const PARTIALS: &str = "_partials";

/// A rendered mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedMail {
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// Every template, compiled and checked.
#[derive(Debug)]
pub struct MailTemplates {
    /// The HTML bodies: values are HTML-escaped.
    registry: Handlebars<'static>,
    /// Subjects and text bodies: plain text, so values arrive as written (`Sår & "pleje"`
    /// stays so, not `Sår &amp; &quot;pleje&quot;`).
    plain: Handlebars<'static>,
    events: BTreeSet<String>,
}

const LANGUAGES: [&str; 2] = ["da", "en"];
const PARTS: [&str; 2] = ["subject", "text"];

fn name(region: Option<&str>, event: &str, part: &str, lang: &str) -> String {
    match region {
        Some(region) => format!("regions/{region}/{event}/{part}.{lang}"),
        None => format!("{event}/{part}.{lang}"),
    }
}

impl MailTemplates {
    /// Loads and checks every template under `dir`: each event has a subject and a text in
    /// Danish and English, every file compiles, and each renders in strict mode with a full
    /// context — so an unknown variable is reported here, with its file.
    ///
    /// # Errors
    /// Every problem found, each naming the file.
    pub fn load(dir: &Path) -> Result<Self, Vec<DefinitionError>> {
        let problem = |file: &Path, message: String| DefinitionError {
            file: file.display().to_string(),
            line: 0,
            message,
        };
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        let mut plain = Handlebars::new();
        plain.set_strict_mode(true);
        plain.register_escape_fn(handlebars::no_escape);
        let mut events = BTreeSet::new();
        let mut errors = Vec::new();
        let mut folders: Vec<(Option<String>, std::path::PathBuf)> = Vec::new();
        register_partials(&mut registry, &dir.join(PARTIALS), &mut errors);
        register_partials(&mut plain, &dir.join(PARTIALS), &mut Vec::new());
        let entries = std::fs::read_dir(dir).map_err(|e| vec![problem(dir, format!("cannot read the mail templates directory: {e}; point OVERDRAG_MAIL_TEMPLATES_DIR at it"))])?;
        for entry in entries.filter_map(Result::ok).filter(|e| e.path().is_dir()) {
            let folder = entry.file_name().to_string_lossy().into_owned();
            if folder == "regions" {
                for region in std::fs::read_dir(entry.path())
                    .into_iter()
                    .flatten()
                    .filter_map(Result::ok)
                    .filter(|e| e.path().is_dir())
                {
                    for event in std::fs::read_dir(region.path())
                        .into_iter()
                        .flatten()
                        .filter_map(Result::ok)
                        .filter(|e| e.path().is_dir())
                    {
                        folders.push((
                            Some(region.file_name().to_string_lossy().into_owned()),
                            event.path(),
                        ));
                    }
                }
            } else if !folder.starts_with('_') {
                folders.push((None, entry.path()));
            }
        }
        folders.sort();
        for (region, path) in &folders {
            let event = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if region.is_none() && event != DIGEST {
                events.insert(event.clone());
            }
            for lang in LANGUAGES {
                for part in PARTS.iter().copied().chain(["html"]) {
                    let file = path.join(format!("{part}.{lang}.hbs"));
                    if !file.is_file() {
                        if part != "html" && region.is_none() {
                            errors.push(problem(
                                &file,
                                format!("mail template `{event}` lacks {part}.{lang}.hbs; add it"),
                            ));
                        }
                        continue;
                    }
                    let source = match std::fs::read_to_string(&file) {
                        Ok(source) => source,
                        Err(e) => {
                            errors.push(problem(&file, format!("cannot read: {e}")));
                            continue;
                        }
                    };
                    let template_name = name(region.as_deref(), &event, part, lang);
                    let registry = if part == "html" {
                        &mut registry
                    } else {
                        &mut plain
                    };
                    if let Err(e) = registry.register_template_string(&template_name, source) {
                        errors.push(problem(&file, format!("does not compile: {e}")));
                        continue;
                    }
                    let rendered = if event == DIGEST {
                        registry.render(&template_name, &DigestContext::sample())
                    } else {
                        registry.render(&template_name, &MailContext::sample())
                    };
                    if let Err(e) = rendered {
                        errors.push(problem(&file, format!("does not render: {e}; use only the variables listed in mail-templates/README.md")));
                    }
                }
            }
        }
        for (region, path) in folders.iter().filter(|(r, _)| r.is_some()) {
            let event = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !events.contains(&event) || event == DIGEST {
                errors.push(problem(path, format!("regional override for unknown event `{event}` ({}); name it after a folder in mail-templates/", region.as_deref().unwrap_or_default())));
            }
        }
        if !folders
            .iter()
            .any(|(r, p)| r.is_none() && p.ends_with(DIGEST))
        {
            errors.push(problem(
                &dir.join(DIGEST),
                "the daily digest has no templates; add digest/subject.da.hbs and the rest".into(),
            ));
        }
        if errors.is_empty() {
            Ok(Self {
                registry,
                plain,
                events,
            })
        } else {
            Err(errors)
        }
    }

    /// The events there are templates for.
    pub fn events(&self) -> &BTreeSet<String> {
        &self.events
    }

    /// The registry a part renders with: HTML escapes, subjects and texts do not.
    fn registry_for(&self, part: &str) -> &Handlebars<'static> {
        if part == "html" {
            &self.registry
        } else {
            &self.plain
        }
    }

    fn pick(&self, region: &str, event: &str, part: &str, lang: &str) -> Option<String> {
        let lang = if lang == "en" { "en" } else { "da" };
        [
            name(Some(region), event, part, lang),
            name(None, event, part, lang),
        ]
        .into_iter()
        .find(|n| self.registry_for(part).has_template(n))
    }

    /// Renders `event` for a recipient reading `lang`, preferring the region's override.
    ///
    /// # Errors
    /// When the event has no template or a value is missing (strict mode).
    pub fn render(
        &self,
        region: &str,
        event: &str,
        lang: &str,
        context: &MailContext,
    ) -> Result<RenderedMail, String> {
        let render = |part: &str| -> Result<Option<String>, String> {
            match self.pick(region, event, part, lang) {
                Some(name) => self
                    .registry_for(part)
                    .render(&name, context)
                    .map(Some)
                    .map_err(|e| format!("mail `{event}` ({part}.{lang}): {e}")),
                None => Ok(None),
            }
        };
        let subject = render("subject")?.ok_or_else(|| format!("no mail template `{event}`"))?;
        let text = render("text")?.ok_or_else(|| format!("mail template `{event}` has no text"))?;
        Ok(RenderedMail {
            subject: subject.trim().to_owned(),
            text,
            html: render("html")?,
        })
    }

    /// Renders the daily digest for a recipient reading `lang`.
    ///
    /// # Errors
    /// When a value is missing (strict mode).
    pub fn render_digest(
        &self,
        lang: &str,
        context: &DigestContext,
    ) -> Result<RenderedMail, String> {
        let lang = if lang == "en" { "en" } else { "da" };
        let render = |part: &str| -> Result<Option<String>, String> {
            let name = name(None, DIGEST, part, lang);
            let registry = self.registry_for(part);
            if !registry.has_template(&name) {
                return Ok(None);
            }
            registry
                .render(&name, context)
                .map(Some)
                .map_err(|e| format!("mail `{DIGEST}` ({part}.{lang}): {e}"))
        };
        Ok(RenderedMail {
            subject: render("subject")?
                .ok_or("no digest subject template")?
                .trim()
                .to_owned(),
            text: render("text")?.ok_or("no digest text template")?,
            html: render("html")?,
        })
    }
}

/// Registers every `_partials/<name>.hbs` as the partial `<name>`.
fn register_partials(
    registry: &mut Handlebars<'static>,
    dir: &Path,
    errors: &mut Vec<DefinitionError>,
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "hbs"))
        .collect();
    files.sort();
    for file in files {
        let name = file
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let outcome = std::fs::read_to_string(&file)
            .map_err(|e| format!("cannot read: {e}"))
            .and_then(|source| {
                registry
                    .register_partial(&name, source)
                    .map_err(|e| format!("does not compile: {e}"))
            });
        if let Err(message) = outcome {
            errors.push(DefinitionError {
                file: file.display().to_string(),
                line: 0,
                message,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn shipped() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../mail-templates")
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("overdrag-mail-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::create_dir_all(&dir);
        write(
            &dir,
            DIGEST,
            "{{count}} mails",
            "{{#each items}}{{subject}}{{/each}}",
        );
        dir
    }

    fn write(dir: &Path, event: &str, subject: &str, text: &str) {
        let folder = dir.join(event);
        let _ = std::fs::create_dir_all(&folder);
        for lang in LANGUAGES {
            let _ = std::fs::write(folder.join(format!("subject.{lang}.hbs")), subject);
            let _ = std::fs::write(folder.join(format!("text.{lang}.hbs")), text);
        }
    }

    #[test]
    fn agenda_mails_of_two_meetings_of_one_case_have_subjects_of_their_own() {
        let templates = MailTemplates::load(&shipped()).unwrap_or_else(|e| panic!("{e:?}"));
        let steering = MailContext::sample();
        let committee = MailContext {
            body_name: Some("Sundhedssamarbejdsudvalget".into()),
            meeting_date: Some("17. december 2026".into()),
            ..MailContext::sample()
        };
        for event in ["agenda_published", "placed_on_agenda"] {
            for lang in LANGUAGES {
                let subject = |context: &MailContext| {
                    templates
                        .render("syddanmark", event, lang, context)
                        .unwrap_or_else(|e| panic!("{e}"))
                        .subject
                };
                let (first, second) = (subject(&steering), subject(&committee));
                assert_ne!(first, second, "{event} {lang}");
                assert!(
                    first.contains("Strategisk Sundhedsstyregruppe")
                        && first.contains("10. december 2026"),
                    "{first}"
                );
                assert!(second.contains("Sundhedssamarbejdsudvalget"), "{second}");
            }
        }
    }

    #[test]
    fn the_sign_off_mail_says_whose_sign_off_fell_who_changed_the_figures_and_which() {
        let templates = MailTemplates::load(&shipped()).unwrap_or_else(|e| panic!("{e:?}"));
        let mail = templates
            .render("syddanmark", "signoff_needed", "da", &MailContext::sample())
            .unwrap_or_else(|e| panic!("{e}"));
        for expected in [
            "Jens Bach har ændret tallene",
            "Derfor gælder Region Syddanmarks godkendelse ikke længere",
            "Odense Kommune, 2027: driftsudgifter 1.200.000 kr. → 1.500.000 kr.",
        ] {
            assert!(
                mail.text.contains(expected),
                "{expected} missing in:\n{}",
                mail.text
            );
            assert!(
                mail.html.as_deref().unwrap_or_default().contains(expected),
                "{expected} missing in the HTML"
            );
        }
        let none_given = MailContext {
            voided_signoffs: None,
            figure_changes: Vec::new(),
            ..MailContext::sample()
        };
        let mail = templates
            .render("syddanmark", "signoff_needed", "en", &none_given)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!mail.text.contains("voids") && !mail.text.contains("Changed figures"));
    }

    #[test]
    fn the_shipped_templates_compile_and_render_in_both_languages() {
        let templates = MailTemplates::load(&shipped()).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(templates.events().contains("committee_decision"));
        let context = MailContext::sample();
        let da = templates
            .render("syddanmark", "committee_decision", "da", &context)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(da.subject.starts_with("SYD-2026-0007: "));
        for expected in [
            "Kære Mette Kjær",
            "IV-behandling i eget hjem",
            "Region Syddanmark",
            "Jens Bach",
            "Med opfølgning efter 12 måneder.",
            "15. december 2026",
            "http://127.0.0.1:8080/cases/7",
        ] {
            assert!(
                da.text.contains(expected),
                "{expected} missing in:\n{}",
                da.text
            );
        }
        let en = templates
            .render("syddanmark", "committee_decision", "en", &context)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(en.text.starts_with("Dear Mette Kjær"));
        let quiet = MailContext {
            comment: None,
            due_date: None,
            expected_action: None,
            ..context
        };
        let without = templates
            .render("syddanmark", "case_submitted", "da", &quiet)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!without.text.contains("Begrundelse") && !without.text.contains("Frist"));
    }

    #[test]
    fn the_shipped_digest_lists_each_mail_with_its_link_and_html_wraps_the_layout() {
        let templates = MailTemplates::load(&shipped()).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(
            !templates.events().contains(DIGEST),
            "workflows cannot name the digest"
        );
        let digest = templates
            .render_digest("da", &DigestContext::sample())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            digest.subject.contains("23. november 2026"),
            "{}",
            digest.subject
        );
        for expected in [
            "Kære Mette Kjær",
            "SYD-2026-0007: Sagen er indsendt",
            "http://127.0.0.1:8080/cases/7",
        ] {
            assert!(
                digest.text.contains(expected),
                "{expected} missing in:\n{}",
                digest.text
            );
        }
        let html = digest.html.unwrap_or_default();
        assert!(
            html.contains("<html lang=\"da\">")
                && html.contains("href=\"http://127.0.0.1:8080/cases/7\""),
            "{html}"
        );
        for event in templates.events() {
            let mail = templates
                .render("syddanmark", event, "en", &MailContext::sample())
                .unwrap_or_else(|e| panic!("{e}"));
            let html = mail
                .html
                .unwrap_or_else(|| panic!("`{event}` has no HTML body"));
            assert!(html.contains("<html lang=\"en\">"), "`{event}`: {html}");
            assert!(
                html.contains("SYD-2026-0007"),
                "`{event}` names no case: {html}"
            );
        }
    }

    #[test]
    fn a_misspelt_variable_is_an_error_naming_the_file() {
        let dir = scratch("misspelt");
        write(&dir, "case_submitted", "{{case_nummer}}", "{{title}}");
        let errors = MailTemplates::load(&dir).err().unwrap_or_default();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].file.ends_with("subject.da.hbs")
                && errors[0].message.contains("does not render"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_missing_file_and_a_broken_template_are_errors() {
        let dir = scratch("missing");
        write(
            &dir,
            "case_submitted",
            "{{case_number}}",
            "{{#if comment}}unclosed",
        );
        let _ = std::fs::remove_file(dir.join("case_submitted/subject.en.hbs"));
        let errors = MailTemplates::load(&dir).err().unwrap_or_default();
        assert!(
            errors
                .iter()
                .any(|e| e.message.contains("lacks subject.en.hbs")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.message.contains("does not compile")),
            "{errors:?}"
        );
    }

    #[test]
    fn a_regional_override_wins_for_its_region_only() {
        let dir = scratch("override");
        write(
            &dir,
            "case_submitted",
            "{{case_number}}: indsendt",
            "Standard",
        );
        write(
            &dir.join("regions/nordjylland"),
            "case_submitted",
            "{{case_number}}: modtaget i Nordjylland",
            "Nordjysk",
        );
        let templates = MailTemplates::load(&dir).unwrap_or_else(|e| panic!("{e:?}"));
        let context = MailContext::sample();
        assert_eq!(
            templates
                .render("nordjylland", "case_submitted", "da", &context)
                .map(|m| m.text),
            Ok("Nordjysk".into())
        );
        assert_eq!(
            templates
                .render("syddanmark", "case_submitted", "da", &context)
                .map(|m| m.text),
            Ok("Standard".into())
        );
        write(&dir.join("regions/nordjylland"), "case_sent", "x", "y");
        assert!(
            MailTemplates::load(&dir).is_err(),
            "an override for an unknown event is refused"
        );
    }

    #[test]
    fn subjects_and_texts_arrive_as_written_and_html_is_escaped() {
        let templates = MailTemplates::load(&shipped()).unwrap_or_else(|e| panic!("{e:?}"));
        let title = "Sår & \"pleje\" <x>";
        let context = MailContext {
            title: title.into(),
            comment: Some("Se 'bilag' & <notat>".into()),
            ..MailContext::sample()
        };
        for lang in LANGUAGES {
            let mail = templates
                .render("syddanmark", "case_submitted", lang, &context)
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(mail.subject.contains(title), "{}", mail.subject);
            assert!(mail.text.contains(title), "{}", mail.text);
            assert!(mail.text.contains("Se 'bilag' & <notat>"), "{}", mail.text);
            let html = mail.html.unwrap_or_default();
            assert!(
                html.contains("Sår &amp; &quot;pleje&quot; &lt;x&gt;"),
                "{html}"
            );
            assert!(!html.contains(title), "{html}");
        }
        let digest = DigestContext {
            items: vec![DigestItem {
                title: title.into(),
                subject: format!("SYD-2026-0007: Sagen er indsendt — {title}"),
                text: format!("Sag: {title}"),
                ..DigestContext::sample().items.remove(0)
            }],
            ..DigestContext::sample()
        };
        let mail = templates
            .render_digest("da", &digest)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            mail.text.contains(&format!("Sag: {title}")),
            "{}",
            mail.text
        );
        let html = mail.html.unwrap_or_default();
        assert!(
            html.contains("Sår &amp; &quot;pleje&quot; &lt;x&gt;"),
            "{html}"
        );
        assert!(!html.contains("&amp;amp;"), "escaped once: {html}");
    }
}
