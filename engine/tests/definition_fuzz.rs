//! Fuzzing the workflow-definition loader with proptest: whatever text an administrator puts in
//! `workflows/`, the loader answers with a definition or with errors naming the file and a line
//! of it — it never panics. Inputs are random text, and the shipped definitions mangled the
//! ways files really get broken: lines cut, doubled, swapped and overwritten, values replaced.

#![allow(clippy::expect_used)]

mod common;

use common::root;
use overdrag_engine::mail::MailTemplates;
use overdrag_engine::workflow::WorkflowSet;
use overdrag_engine::workflow::parse_definition;
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::sync::OnceLock;

struct Shipped {
    templates: BTreeSet<String>,
    /// `(file name, text)` of every shipped definition.
    sources: Vec<(String, String)>,
}

fn shipped() -> &'static Shipped {
    static SHIPPED: OnceLock<Shipped> = OnceLock::new();
    SHIPPED.get_or_init(|| {
        let templates = MailTemplates::load(&root().join("mail-templates"))
            .map(|t| t.events().clone())
            .unwrap_or_else(|_| panic!("the shipped mail templates must load"));
        let mut sources: Vec<(String, String)> = std::fs::read_dir(root().join("workflows"))
            .expect("workflows/ is readable")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .map(|p| {
                let name = p
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                (
                    name,
                    std::fs::read_to_string(&p).expect("definition is readable"),
                )
            })
            .collect();
        sources.sort();
        Shipped { templates, sources }
    })
}

/// One way to break a file, applied at a place chosen by `at` (a fraction of the file).
#[derive(Clone, Debug)]
enum Mangle {
    CutLine(f64),
    DoubleLine(f64),
    SwapLines(f64, f64),
    Truncate(f64),
    OverwriteLine(f64, String),
    /// Replaces the value after an `=` on the line with a random one.
    ReplaceValue(f64, String),
    InsertText(f64, String),
}

fn mangle() -> impl Strategy<Value = Mangle> {
    let at = 0.0..1.0f64;
    let junk = prop_oneof![
        "\\PC{0,40}",
        Just(String::new()),
        Just("\"\"".to_owned()),
        Just("[]".to_owned()),
        Just("-1".to_owned()),
        Just("99999999999999999999".to_owned()),
        Just("[[states]]".to_owned()),
        Just("[[transitions]]".to_owned()),
        Just("{ a = 1 }".to_owned()),
        Just("\"submitted\"".to_owned()),
        Just("[\"secretariat\", \"nobody\"]".to_owned()),
        Just("1970-01-01".to_owned()),
        Just("\"ø\u{0}\u{202e}\"".to_owned()),
    ];
    prop_oneof![
        at.clone().prop_map(Mangle::CutLine),
        at.clone().prop_map(Mangle::DoubleLine),
        (at.clone(), at.clone()).prop_map(|(a, b)| Mangle::SwapLines(a, b)),
        at.clone().prop_map(Mangle::Truncate),
        (at.clone(), junk.clone()).prop_map(|(a, j)| Mangle::OverwriteLine(a, j)),
        (at.clone(), junk.clone()).prop_map(|(a, j)| Mangle::ReplaceValue(a, j)),
        (at, junk).prop_map(|(a, j)| Mangle::InsertText(a, j)),
    ]
}

fn index(at: f64, len: usize) -> usize {
    // `at` is in [0, 1), so the product is below `len`.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = (at * len as f64) as usize;
    i.min(len.saturating_sub(1))
}

fn apply(text: &str, mangle: &Mangle) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    if lines.is_empty() {
        return String::new();
    }
    let n = lines.len();
    match mangle {
        Mangle::CutLine(at) => {
            lines.remove(index(*at, n));
        }
        Mangle::DoubleLine(at) => {
            let i = index(*at, n);
            lines.insert(i, lines[i].clone());
        }
        Mangle::SwapLines(a, b) => lines.swap(index(*a, n), index(*b, n)),
        Mangle::Truncate(at) => {
            let chars: Vec<char> = text.chars().collect();
            return chars[..index(*at, chars.len())].iter().collect();
        }
        Mangle::OverwriteLine(at, junk) => lines[index(*at, n)].clone_from(junk),
        Mangle::ReplaceValue(at, junk) => {
            let i = index(*at, n);
            if let Some((key, _)) = lines[i].split_once('=') {
                lines[i] = format!("{key}= {junk}");
            }
        }
        Mangle::InsertText(at, junk) => lines.insert(index(*at, n), junk.clone()),
    }
    lines.join("\n")
}

/// The loader's answer for one file: it must not panic, and every error must name the file and
/// a line that exists (0 only for problems of the whole file).
fn check_one(file: &str, text: &str) -> Result<(), TestCaseError> {
    let lines = text.lines().count().max(1) + 1;
    if let Err(errors) = parse_definition(file, text, &shipped().templates) {
        prop_assert!(!errors.is_empty(), "a refusal must say why");
        for error in errors {
            prop_assert_eq!(&error.file, file);
            prop_assert!(
                error.line <= lines,
                "line {} of a {}-line file: {}",
                error.line,
                lines,
                error.message
            );
            prop_assert!(!error.message.trim().is_empty());
        }
    }
    Ok(())
}

// Parsing a whole definition in a debug build takes a good fraction of a millisecond, more on
// a busy machine: the mangled files get fewer cases than the random text.
proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_text_is_refused_without_a_panic(text in "\\PC{0,400}") {
        check_one("syddanmark.toml", &text)?;
    }

    #[test]
    fn random_bytes_read_as_text_are_refused_without_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        check_one("syddanmark.toml", &String::from_utf8_lossy(&bytes))?;
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn mangled_shipped_definitions_never_panic(
        which in 0usize..64,
        mangles in proptest::collection::vec(mangle(), 1..4),
    ) {
        let sources = &shipped().sources;
        let (file, text) = &sources[which % sources.len()];
        let mut text = text.clone();
        for m in &mangles {
            text = apply(&text, m);
        }
        check_one(file, &text)?;
    }

    #[test]
    fn a_set_with_one_mangled_file_never_panics(
        which in 0usize..64,
        m in mangle(),
    ) {
        let mut sources = shipped().sources.clone();
        let i = which % sources.len();
        sources[i].1 = apply(&sources[i].1, &m);
        // Two files may also end up defining the same region and version.
        sources.push(sources[i].clone());
        let result = WorkflowSet::from_sources(&sources, &shipped().templates);
        prop_assert!(result.is_err(), "the same definition twice must be refused");
    }
}

#[test]
fn the_unmangled_definitions_load() {
    for (file, text) in &shipped().sources {
        let loaded = parse_definition(file, text, &shipped().templates);
        assert!(loaded.is_ok(), "{file}: {:?}", loaded.err());
    }
}
