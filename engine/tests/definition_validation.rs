//! A broken definition is refused before anything is served, with the file, the line and the fix.

use overdrag_engine::workflow::{DefinitionError, parse_definition};
use std::collections::BTreeSet;

const SYDDANMARK: &str = include_str!("../../workflows/syddanmark.toml");
const FILE: &str = "workflows/syddanmark.toml";

fn templates() -> BTreeSet<String> {
    [
        "case_submitted",
        "economics_requested",
        "case_returned",
        "hearing_opened",
        "hearing_closed",
        "economics_signed_off",
        "steering_group_decision",
        "case_rejected",
        "committee_decision",
        "follow_up_started",
        "case_closed",
        "case_withdrawn",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

fn line_of(text: &str, needle: &str) -> usize {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in the definition"));
    text[..offset].matches('\n').count() + 1
}

/// Applies `from → to` once and returns the errors, which must exist.
fn errors_after(from: &str, to: &str) -> (String, Vec<DefinitionError>) {
    assert!(SYDDANMARK.contains(from), "`{from}` not in the definition");
    let broken = SYDDANMARK.replacen(from, to, 1);
    let errors = parse_definition(FILE, &broken, &templates())
        .err()
        .unwrap_or_else(|| panic!("`{to}` should be refused"));
    (broken, errors)
}

fn assert_one(errors: &[DefinitionError], line: usize, words: &[&str]) {
    let found = errors
        .iter()
        .find(|e| words.iter().all(|w| e.message.contains(w)));
    let found = found.unwrap_or_else(|| {
        panic!(
            "no error with {words:?} in:\n{}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    assert_eq!(found.file, FILE);
    assert_eq!(found.line, line, "{found}");
}

#[test]
fn the_shipped_file_is_valid() {
    let def = parse_definition(FILE, SYDDANMARK, &templates()).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(def.case_prefix, "SYD");
    assert_eq!(def.bodies.steering_group, "Strategisk Sundhedsstyregruppe");
}

#[test]
fn an_unknown_target_state_is_named_with_its_line() {
    let (text, errors) = errors_after("to = \"committee\"", "to = \"comittee\"");
    assert_one(
        &errors,
        line_of(&text, "to = \"comittee\""),
        &["unknown state `comittee`", "use one of"],
    );
}

#[test]
fn an_unknown_role_is_named() {
    let (text, errors) = errors_after("by = [\"steering_group\"]", "by = [\"styregruppe\"]");
    assert_one(
        &errors,
        line_of(&text, "by = [\"styregruppe\"]"),
        &["unknown role `styregruppe`"],
    );
}

#[test]
fn an_unknown_guard_is_named() {
    let (text, errors) = errors_after(
        "guards = [\"description_complete\"]",
        "guards = [\"description_done\"]",
    );
    assert_one(
        &errors,
        line_of(&text, "\"description_done\""),
        &["unknown guard `description_done`", "description_complete"],
    );
}

#[test]
fn an_unknown_mail_template_is_named() {
    let (text, errors) = errors_after("template = \"case_submitted\"", "template = \"case_sent\"");
    assert_one(
        &errors,
        line_of(&text, "template = \"case_sent\""),
        &[
            "unknown mail template `case_sent`",
            "mail-templates/case_sent/",
        ],
    );
}

#[test]
fn an_unreachable_state_is_refused() {
    let extra = "[[state]]\nid = \"limbo\"\nlabel = { da = \"Limbo\", en = \"Limbo\" }\nstage = \"hearing\"\nactor = \"secretariat\"\n\n[[transition]]\nid = \"leave_limbo\"";
    let (text, errors) = errors_after(
        "[[transition]]\nid = \"submit\"",
        &format!(
            "{extra}\nlabel = {{ da = \"Ud\", en = \"Out\" }}\nfrom = \"limbo\"\nto = \"withdrawn\"\nby = [\"secretariat\"]\n\n[[transition]]\nid = \"submit\""
        ),
    );
    assert_one(
        &errors,
        line_of(&text, "[[state]]\nid = \"limbo\""),
        &["`limbo` cannot be reached"],
    );
}

#[test]
fn a_non_terminal_dead_end_is_refused() {
    let (text, errors) = errors_after(
        "from = \"follow_up\"\nto = \"closed\"",
        "from = \"implementation\"\nto = \"closed\"",
    );
    assert_one(
        &errors,
        line_of(&text, "[[state]]\nid = \"follow_up\""),
        &["`follow_up`", "no way out"],
    );
}

#[test]
fn duplicate_transition_ids_from_one_state_are_refused() {
    let (text, errors) = errors_after("id = \"approve_with_conditions\"", "id = \"approve\"");
    assert_one(
        &errors,
        line_of(&text, "id = \"approve\"\nlabel = { da = \"Godkend med"),
        &["two transitions with id `approve`"],
    );
}

#[test]
fn a_missing_label_is_refused() {
    let (text, errors) = errors_after(
        "label = { da = \"Opfølgning\", en = \"Follow-up\" }",
        "label = { da = \"Opfølgning\" }",
    );
    assert_one(
        &errors,
        line_of(&text, "[[state]]\nid = \"follow_up\""),
        &["state `follow_up` has no English label"],
    );
}

#[test]
fn a_return_without_a_comment_is_refused() {
    let (text, errors) = errors_after(
        "to = \"steering_group\"\nby = [\"committee\"]\nguards = [\"on_agenda\"]\nrequire_comment = true",
        "to = \"steering_group\"\nby = [\"committee\"]\nguards = [\"on_agenda\"]",
    );
    assert_one(
        &errors,
        line_of(&text, "id = \"return_to_steering_group\""),
        &["needs a comment", "require_comment = true"],
    );
}

#[test]
fn approval_that_bypasses_the_committee_is_refused() {
    let (_, errors) = errors_after(
        "from = \"committee\"\nto = \"implementation\"\nby = [\"committee\"]\nguards = [\"on_agenda\"]\nnotify",
        "from = [\"committee\", \"steering_group\"]\nto = \"implementation\"\nby = [\"committee\"]\nguards = [\"on_agenda\"]\nnotify",
    );
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("without passing the committee")),
        "{errors:?}"
    );
}

#[test]
fn a_toml_syntax_error_names_its_line() {
    let (text, errors) = errors_after("due_days = 30", "due_days = = 30");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, line_of(&text, "due_days = = 30"));
}

#[test]
fn a_misspelt_key_is_refused() {
    let (text, errors) = errors_after("require_comment = true", "requires_comment = true");
    assert_eq!(errors[0].line, line_of(&text, "requires_comment"));
    assert!(
        errors[0].message.contains("requires_comment"),
        "{}",
        errors[0]
    );
}

#[test]
fn the_file_must_be_named_after_its_region() {
    let errors = parse_definition("workflows/fyn.toml", SYDDANMARK, &templates())
        .err()
        .unwrap_or_default();
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("does not match the file name")),
        "{errors:?}"
    );
}

#[test]
fn the_agenda_guard_belongs_to_the_deciding_bodies() {
    let (text, errors) = errors_after(
        "guards = [\"economics_complete\", \"signoff_complete\"]",
        "guards = [\"economics_complete\", \"signoff_complete\", \"on_agenda\"]",
    );
    assert_one(
        &errors,
        line_of(&text, "id = \"open_hearing\""),
        &["`on_agenda` from state `economic_assessment`"],
    );
}

#[test]
fn a_further_version_may_live_beside_the_first() {
    let v2 = SYDDANMARK.replacen("version = 1", "version = 2", 1);
    assert!(parse_definition("workflows/syddanmark-2027.toml", &v2, &templates()).is_ok());
    assert!(parse_definition("workflows/syddanmarkx.toml", &v2, &templates()).is_err());
}
