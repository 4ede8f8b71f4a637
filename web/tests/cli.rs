//! The `overdrag` binary as an operator uses it.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn overdrag(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_overdrag"));
    command
        .current_dir(root())
        .args(args)
        .env_remove("DATABASE_URL");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("overdrag runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("overdrag-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn workflows_check_prints_a_line_per_valid_definition() {
    let out = overdrag(&["workflows", "check"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("ok  ")).count(),
        10,
        "{stdout}"
    );
    assert!(stdout.contains("syddanmark opgaveoverdragelse v1"));
    assert!(
        stdout.contains(
            "Sundhedsreformen 2027 on 2027-01-01: 5 definition(s) carried, 2 region(s) merged"
        ),
        "{stdout}"
    );
}

#[test]
fn workflows_check_fails_on_a_carry_over_to_an_unknown_state_naming_file_and_line() {
    let dir = scratch("broken-carry");
    for entry in std::fs::read_dir(root().join("workflows")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "toml") {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::create_dir_all(dir.join("reform")).unwrap();
    let original = std::fs::read_to_string(root().join("workflows/reform/2027.toml")).unwrap();
    std::fs::write(
        dir.join("reform/2027.toml"),
        original.replacen("committee = \"councils\"", "committee = \"council\"", 1),
    )
    .unwrap();
    let out = overdrag(&["workflows", "check", "--dir", dir.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let line = original[..original.find("committee = \"councils\"").unwrap()]
        .matches('\n')
        .count()
        + 1;
    assert!(
        stderr.contains(&format!(
            "2027.toml:{line}: syddanmark opgaveoverdragelse v2 has no state `council`"
        )),
        "{stderr}"
    );
}

#[test]
fn reform_plan_changes_nothing_and_apply_refuses_before_the_day() {
    let dir = scratch("reform");
    let data = [("OVERDRAG_DATA_DIR", dir.to_str().unwrap())];
    let out = overdrag(&["reform", "plan", "--on", "2026-12-30"], &data);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("Sundhedsreformen 2027 takes effect on 2027-01-01 (not yet"),
        "{stdout}"
    );
    assert!(stdout.contains("0 open case(s) to carry"), "{stdout}");
    let out = overdrag(&["reform", "apply", "--on", "2026-12-30"], &data);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("takes effect on 2027-01-01, and today is 2026-12-30; nothing was carried"),
        "{stderr}"
    );
    let out = overdrag(&["reform", "apply", "--on", "2027-01-01"], &data);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("0 case(s) carried"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn workflows_check_fails_on_a_broken_copy_naming_file_and_line() {
    let dir = scratch("broken");
    let original = std::fs::read_to_string(root().join("workflows/syddanmark.toml")).unwrap();
    std::fs::write(
        dir.join("syddanmark.toml"),
        original.replacen("to = \"committee\"", "to = \"comittee\"", 1),
    )
    .unwrap();
    let out = overdrag(&["workflows", "check", "--dir", dir.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let line = original[..original.find("to = \"committee\"").unwrap()]
        .matches('\n')
        .count()
        + 1;
    assert!(
        stderr.contains(&format!(
            "syddanmark.toml:{line}: transition `recommend` goes to unknown state `comittee`"
        )),
        "{stderr}"
    );
}

#[test]
fn workflows_graph_draws_the_region_in_danish() {
    let out = overdrag(&["workflows", "graph", "syddanmark"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mermaid = text(&out.stdout);
    assert!(mermaid.contains("stateDiagram-v2"));
    assert!(
        mermaid.contains("state \"Økonomisk konsekvensvurdering\" as economic_assessment"),
        "{mermaid}"
    );
    assert!(mermaid.contains("steering_group --> committee: Indstil til godkendelse"));
    let unknown = overdrag(&["workflows", "graph", "fyn"], &[]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("no workflow for region `fyn`"));
}

#[test]
fn users_add_prints_a_token() {
    let dir = scratch("users");
    let data = [("OVERDRAG_DATA_DIR", dir.to_str().unwrap())];
    let out = overdrag(
        &[
            "users",
            "add",
            "--email",
            "mette@rsyd.dk",
            "--name",
            "Mette Kjær",
            "--region",
            "syddanmark",
            "--role",
            "secretariat",
        ],
        &data,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout);
    assert!(
        token.trim().starts_with("odg_") && token.trim().len() == 68,
        "{token}"
    );
    let bad = overdrag(
        &[
            "users", "add", "--email", "mette", "--name", "M", "--region", "fyn", "--role", "chief",
        ],
        &data,
    );
    assert_eq!(bad.status.code(), Some(1));
    let stderr = text(&bad.stderr);
    for field in [
        "email:",
        "region: unknown region `fyn`",
        "role: unknown role `chief`",
    ] {
        assert!(stderr.contains(field), "{field} missing in {stderr}");
    }
}

#[test]
fn users_add_sets_a_password_from_the_environment_and_checks_its_length() {
    let dir = scratch("passwords");
    let add = |password: &str| {
        overdrag(
            &[
                "users",
                "add",
                "--email",
                "lars@rsyd.dk",
                "--name",
                "Lars",
                "--region",
                "syddanmark",
                "--role",
                "proposer",
            ],
            &[
                ("OVERDRAG_DATA_DIR", dir.to_str().unwrap()),
                ("OVERDRAG_PASSWORD", password),
            ],
        )
    };
    let short = add("kort");
    assert_eq!(short.status.code(), Some(1));
    assert!(
        text(&short.stderr).contains("at least 10 characters"),
        "{}",
        text(&short.stderr)
    );
    let good = add("en god lang adgangskode");
    assert!(good.status.success(), "{}", text(&good.stderr));
    assert!(text(&good.stderr).contains("password set: lars@rsyd.dk"));
    assert!(!text(&good.stderr).contains("en god lang adgangskode"));
}

#[test]
fn a_bad_database_url_or_data_directory_stops_with_a_clear_message() {
    let out = overdrag(
        &["migrate"],
        &[("DATABASE_URL", "mysql://root@localhost/x")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("DATABASE_URL `mysql://root@localhost/x` is not supported"),
        "{}",
        text(&out.stderr)
    );

    let file = scratch("not-a-dir").join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let out = overdrag(
        &["migrate"],
        &[("OVERDRAG_DATA_DIR", file.join("data").to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot be created or written"),
        "{}",
        text(&out.stderr)
    );

    let out = overdrag(
        &["migrate"],
        &[("DATABASE_URL", "postgres://nobody:secret@127.0.0.1:1/none")],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("cannot connect to the database") && !stderr.contains("secret"),
        "{stderr}"
    );
}

#[test]
fn serve_refuses_to_start_on_broken_definitions() {
    let dir = scratch("serve-broken");
    std::fs::write(dir.join("syddanmark.toml"), "[workflow]\nkey = \"x\"\n").unwrap();
    let out = overdrag(
        &["serve"],
        &[
            ("OVERDRAG_WORKFLOWS_DIR", dir.to_str().unwrap()),
            ("OVERDRAG_DATA_DIR", dir.to_str().unwrap()),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("syddanmark.toml:"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn workflows_check_refuses_a_mail_template_with_an_unknown_variable() {
    let dir = scratch("mail");
    let templates = dir.join("mail-templates");
    for entry in std::fs::read_dir(root().join("mail-templates"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
    {
        let target = templates.join(entry.file_name());
        std::fs::create_dir_all(&target).unwrap();
        for file in std::fs::read_dir(entry.path())
            .unwrap()
            .filter_map(Result::ok)
        {
            std::fs::copy(file.path(), target.join(file.file_name())).unwrap();
        }
    }
    std::fs::write(
        templates.join("case_submitted/subject.da.hbs"),
        "{{sagsnummer}}: Sagen er indsendt",
    )
    .unwrap();
    let out = overdrag(
        &["workflows", "check"],
        &[("OVERDRAG_MAIL_TEMPLATES_DIR", templates.to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("case_submitted/subject.da.hbs") && stderr.contains("does not render"),
        "{stderr}"
    );
}

#[test]
fn the_demo_on_a_2027_day_runs_the_2027_model_with_councils() {
    let dir = scratch("demo-2027");
    let data = [
        ("OVERDRAG_DATA_DIR", dir.to_str().unwrap()),
        ("OVERDRAG_TODAY", "2027-01-04"),
    ];
    let out = overdrag(&["demo"], &data);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for region in ["Nordjylland", "Midtjylland", "Syddanmark", "Østdanmark"] {
        let line = stdout
            .lines()
            .find(|l| l.contains(&format!("Region {region}: 12 cases")))
            .unwrap_or_else(|| panic!("no demo cases in {region}: {stdout}"));
        assert!(
            line.contains("councils 1") && line.contains("regional_council 1"),
            "{line}"
        );
    }
    assert!(
        stdout.contains("Region Hovedstaden: no workflow in force on 2027-01-04"),
        "{stdout}"
    );
    let bad = overdrag(
        &["demo"],
        &[
            ("OVERDRAG_DATA_DIR", dir.to_str().unwrap()),
            ("OVERDRAG_TODAY", "4.1.2027"),
        ],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("OVERDRAG_TODAY is `4.1.2027`; give a date such as 2027-01-04")
    );
}
