//! What a crash, a database outage or a second server must never break, checked over a whole
//! database after the fact (`overdrag-bench verify`), and a small SMTP server that keeps every
//! delivery as a file of its own (`overdrag-bench smtp-sink`), so a mail sent twice shows as
//! two files with one Message-ID.
//!
//! The invariants, per case:
//! - the journal chain verifies from the genesis hash;
//! - the journal opens with `created`, each `transition` starts in the state the one before
//!   ended in, and the case's state is where the last of them ended: no case half-moved;
//! - the case's version is the number of its version-moving events: no update lost;
//! - each transition event whose workflow transition mails the proposer or a party has outbox
//!   rows, all from that transition's templates: no committed transition without its mail.
//!
//! and over the outbox and the mail directory:
//! - every row points at a journal event of its own case;
//! - no row is left unsent (`pending`, `sending`), none failed with an address;
//! - each sent row's mail is in the directory exactly once, by Message-ID; no Message-ID
//!   appears twice; no mail there lacks a sent row.

use overdrag_engine::storage::entity::{handover_case, journal_event, outbox, workflow_definition};
use overdrag_engine::storage::journal;
use overdrag_engine::workflow::WorkflowSet;
use overdrag_engine::workflow::definition::{Definition, Recipient};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Journal kinds that do not move the case's version: a refusal, an agenda's publication, a
/// reminder. Every other event is written with the version bump of its change.
const VERSION_NEUTRAL: [&str; 3] = ["refused", "agenda_published", "reminder"];

/// Outbox states a worker has not finished with.
const UNSENT: [&str; 3] = ["pending", "sending", "digest_sending"];

/// At most this many violations are printed; the rest are counted.
const SHOWN: usize = 40;

/// What the checker looked at, and every invariant it found broken.
#[derive(Debug, Default)]
pub struct Report {
    /// One line per invariant: what was checked, and how many held.
    pub checked: Vec<String>,
    pub violations: Vec<String>,
}

impl Report {
    /// Prints what was checked and the violations, and says whether all held.
    pub fn print(&self) -> bool {
        for line in &self.checked {
            println!("  {line}");
        }
        for violation in self.violations.iter().take(SHOWN) {
            println!("  VIOLATION: {violation}");
        }
        if self.violations.len() > SHOWN {
            println!("  … and {} more violations", self.violations.len() - SHOWN);
        }
        self.violations.is_empty()
    }
}

fn db_error(e: sea_orm::DbErr) -> String {
    format!("the database cannot be read: {e}")
}

/// Waits until the mail workers have sent every row that can be sent, or `patience` is over;
/// says what it saw.
///
/// # Errors
/// A database error.
pub async fn wait_for_mail(db: &DatabaseConnection, patience: Duration) -> Result<String, String> {
    let started = Instant::now();
    loop {
        let unsent = outbox::Entity::find()
            .filter(outbox::Column::Status.is_in(UNSENT))
            .count(db)
            .await
            .map_err(db_error)?;
        let waited = started.elapsed().as_secs_f64();
        if unsent == 0 {
            return Ok(format!(
                "the mail workers had sent every row after {waited:.1} s"
            ));
        }
        if started.elapsed() >= patience {
            return Ok(format!(
                "{unsent} rows still unsent after waiting {waited:.1} s"
            ));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The definitions cases were started on, by id, read back from the database as stored;
/// a definition that cannot be read is a violation.
async fn stored_definitions(
    db: &DatabaseConnection,
    templates: &BTreeSet<String>,
    report: &mut Report,
) -> Result<BTreeMap<i64, Definition>, String> {
    let mut definitions = BTreeMap::new();
    for stored in workflow_definition::Entity::find()
        .all(db)
        .await
        .map_err(db_error)?
    {
        // Named as its file was: the region opens the name, or the definition is refused.
        let name = format!("{}-stored-as-{}.toml", stored.region, stored.id);
        match WorkflowSet::from_sources(&[(name.clone(), stored.content)], templates) {
            Ok(set) => {
                if let Some(def) = set.definitions().first() {
                    definitions.insert(stored.id, def.clone());
                }
            }
            Err(errors) => report.violations.push(format!(
                "{name} cannot be read: {}",
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
        }
    }
    Ok(definitions)
}

/// Whether a rule always yields an outbox row: the proposer always exists, and a party
/// without an address still gets a row marked failed. A role may have no holders.
fn always_mails(recipient: &Recipient) -> bool {
    matches!(recipient, Recipient::Proposer | Recipient::Party(_))
}

/// Counts of what held, for the report.
#[derive(Default)]
struct Held {
    chains: usize,
    states: usize,
    versions: usize,
    notifying: usize,
    notifying_held: usize,
}

/// Checks one case against its journal and outbox rows.
fn check_case(
    case: &handover_case::Model,
    events: &[journal_event::Model],
    rows_by_event: &BTreeMap<i64, Vec<&outbox::Model>>,
    definitions: &BTreeMap<i64, Definition>,
    held: &mut Held,
    violations: &mut Vec<String>,
) {
    let name = format!("case {} (id {})", case.number, case.id);
    let chain = journal::verify(events);
    if chain.verified {
        held.chains += 1;
    } else {
        violations.push(format!(
            "{name}: the journal chain is broken at event {}: {}",
            chain.broken_at.unwrap_or_default(),
            chain.problem.unwrap_or_default()
        ));
    }

    // The states the journal walks through, and where it ends.
    let mut walk_ok = true;
    let mut state: Option<&str> = None;
    for event in events {
        match event.kind.as_str() {
            "created" => {
                if state.is_some() || event.seq != 1 {
                    walk_ok = false;
                    violations.push(format!(
                        "{name}: a second `created` event at seq {}",
                        event.seq
                    ));
                }
                state = event.to_state.as_deref();
            }
            // The reform carried the case onto a new definition, from the state it was in.
            "reform_carried" => {
                let from = serde_json::from_str::<serde_json::Value>(&event.payload)
                    .ok()
                    .and_then(|p| p["from_state"].as_str().map(str::to_owned));
                if from.as_deref() != state {
                    walk_ok = false;
                    violations.push(format!(
                        "{name}: the reform carried it at seq {} from `{}`, but the journal had the case in `{}`",
                        event.seq,
                        from.as_deref().unwrap_or("?"),
                        state.unwrap_or("no state")
                    ));
                }
                let rows = rows_by_event.get(&event.id).map_or(&[][..], Vec::as_slice);
                if rows.is_empty() || rows.iter().any(|r| r.template != "case_moved_by_reform") {
                    violations.push(format!(
                        "{name}: the reform's move at seq {} has {} outbox row(s), not its parties' `case_moved_by_reform` mails",
                        event.seq,
                        rows.len()
                    ));
                }
                state = event.to_state.as_deref();
            }
            "transition" => {
                if event.from_state.as_deref() != state {
                    walk_ok = false;
                    violations.push(format!(
                        "{name}: transition `{}` at seq {} starts in `{}`, but the journal had the case in `{}`",
                        event.transition.as_deref().unwrap_or("?"),
                        event.seq,
                        event.from_state.as_deref().unwrap_or("?"),
                        state.unwrap_or("no state")
                    ));
                }
                state = event.to_state.as_deref();
            }
            _ => {}
        }
    }
    match state {
        None => violations.push(format!("{name}: the journal has no `created` event")),
        Some(last) if last != case.state => violations.push(format!(
            "{name}: the case is in `{}`, but its journal's last created/transition event ends in `{last}` (half-moved)",
            case.state
        )),
        Some(_) if walk_ok => held.states += 1,
        Some(_) => {}
    }

    let moving = events
        .iter()
        .filter(|e| !VERSION_NEUTRAL.contains(&e.kind.as_str()))
        .count();
    if usize::try_from(case.version).is_ok_and(|v| v == moving) {
        held.versions += 1;
    } else {
        violations.push(format!(
            "{name}: the case is at version {}, but its journal holds {moving} version-moving events (a lost or unjournalled update)",
            case.version
        ));
    }

    let Some(def) = definitions.get(&case.workflow_id) else {
        violations.push(format!(
            "{name}: its workflow definition (id {}) is not stored or cannot be read",
            case.workflow_id
        ));
        return;
    };
    // A case carried by a reform took its earlier transitions on the definition it left.
    let carried_from = |event: &journal_event::Model| -> Option<&Definition> {
        let payload: serde_json::Value = serde_json::from_str(&event.payload).ok()?;
        definitions.values().find(|d| {
            Some(d.region.as_str()) == payload["from_region"].as_str()
                && Some(d.key.as_str()) == payload["from_workflow"]["key"].as_str()
                && Some(u64::from(d.version)) == payload["from_workflow"]["version"].as_u64()
        })
    };
    for event in events.iter().filter(|e| e.kind == "transition") {
        let def = events
            .iter()
            .find(|e| e.kind == "reform_carried" && e.seq > event.seq)
            .and_then(carried_from)
            .unwrap_or(def);
        let id = event.transition.as_deref().unwrap_or_default();
        let from = event.from_state.as_deref().unwrap_or_default();
        let Some(transition) = def
            .transitions
            .iter()
            .find(|t| t.id.as_str() == id && t.from.iter().any(|s| s.as_str() == from))
        else {
            violations.push(format!(
                "{name}: transition `{id}` from `{from}` (seq {}) is not in {} v{}",
                event.seq, def.key, def.version
            ));
            continue;
        };
        if transition.notify.is_empty() {
            continue;
        }
        held.notifying += 1;
        let rows = rows_by_event.get(&event.id).map_or(&[][..], Vec::as_slice);
        let templates: BTreeSet<&str> = transition
            .notify
            .iter()
            .map(|r| r.template.as_str())
            .collect();
        let must_mail = transition
            .notify
            .iter()
            .any(|rule| rule.to.iter().any(always_mails));
        let foreign: Vec<&str> = rows
            .iter()
            .map(|r| r.template.as_str())
            .filter(|t| !templates.contains(t))
            .collect();
        if must_mail && rows.is_empty() {
            violations.push(format!(
                "{name}: transition `{id}` (seq {}, journal event {}) committed, but it has no outbox rows; its notify rules send {}",
                event.seq,
                event.id,
                templates.iter().copied().collect::<Vec<_>>().join(", ")
            ));
        } else if !foreign.is_empty() {
            violations.push(format!(
                "{name}: transition `{id}` (seq {}) has outbox rows of templates it does not send: {}",
                event.seq,
                foreign.join(", ")
            ));
        } else {
            held.notifying_held += 1;
        }
    }
}

/// A mail file's Message-ID, without the angle brackets.
fn message_id(text: &str) -> Option<String> {
    text.lines()
        .take_while(|l| !l.is_empty() && *l != "\r")
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("message-id").then(|| {
                value
                    .trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned()
            })
        })
}

/// The outbox row id and case number in a Message-ID `outbox-{id}.{number}@{domain}`.
fn outbox_id(message_id: &str) -> Option<(i64, &str)> {
    let rest = message_id.strip_prefix("outbox-")?;
    let (local, _domain) = rest.split_once('@')?;
    let (id, number) = local.split_once('.')?;
    Some((id.parse().ok()?, number))
}

/// Every Message-ID in the `.eml` files of `dir`, with the files that carry it.
fn mails_in(dir: &Path) -> Result<BTreeMap<String, Vec<PathBuf>>, String> {
    let unreadable =
        |e: std::io::Error| format!("the mail directory {} cannot be read: {e}", dir.display());
    let mut found: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(unreadable(e)),
    };
    for entry in entries {
        let path = entry.map_err(unreadable)?.path();
        let visible = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| !n.starts_with('.') && n.ends_with(".eml"));
        if !visible {
            continue;
        }
        let text = std::fs::read(&path).map_err(unreadable)?;
        let id = message_id(&String::from_utf8_lossy(&text))
            .unwrap_or_else(|| format!("(no Message-ID in {})", path.display()));
        found.entry(id).or_default().push(path);
    }
    Ok(found)
}

/// Checks the mail directory against the sent rows.
fn check_mail_dir(
    dir: &Path,
    rows: &[outbox::Model],
    cases: &BTreeMap<i64, &handover_case::Model>,
    report: &mut Report,
) -> Result<(), String> {
    let mails = mails_in(dir)?;
    let files: usize = mails.values().map(Vec::len).sum();
    let mut by_row: BTreeMap<i64, (&str, &String)> = BTreeMap::new();
    let mut digests = 0;
    for (id, paths) in &mails {
        if paths.len() > 1 {
            report.violations.push(format!(
                "Message-ID <{id}> appears in {} files (a mail sent twice): {}",
                paths.len(),
                paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if id.starts_with("digest-") {
            digests += 1;
        } else if let Some((row, number)) = outbox_id(id) {
            by_row.insert(row, (number, id));
        } else {
            report.violations.push(format!(
                "{} holds a mail that is no outbox row's: <{id}>",
                paths[0].display()
            ));
        }
    }
    let sent: Vec<&outbox::Model> = rows
        .iter()
        .filter(|r| {
            r.status == "sent"
                && r.reply
                    .as_deref()
                    .is_none_or(|r| !r.starts_with("in the daily digest"))
        })
        .collect();
    let mut found = 0;
    for row in &sent {
        let number = cases.get(&row.case_id).map(|c| c.number.as_str());
        match by_row.remove(&row.id) {
            Some((in_mail, _)) if Some(in_mail) == number => found += 1,
            Some((in_mail, id)) => report.violations.push(format!(
                "outbox row {} belongs to case {}, but its mail <{id}> names case {in_mail}",
                row.id,
                number.unwrap_or("?")
            )),
            None => report.violations.push(format!(
                "outbox row {} ({} to {}, case {}) is marked sent, but no mail with its Message-ID <outbox-{}.…> is in {} (a lost mail)",
                row.id,
                row.template,
                row.recipient_email.as_deref().unwrap_or("?"),
                number.unwrap_or("?"),
                row.id,
                dir.display()
            )),
        }
    }
    for (row, (_, id)) in by_row {
        report.violations.push(format!(
            "the mail <{id}> is in {} but outbox row {row} is not marked sent (a mail for a row that does not exist or was not recorded)",
            dir.display()
        ));
    }
    report.checked.push(format!(
        "mail directory {}: {files} files, {} Message-IDs ({digests} digests); {found}/{} sent rows found there exactly once",
        dir.display(),
        mails.len(),
        sent.len()
    ));
    Ok(())
}

/// Checks every case, the outbox and (if given) the mail directory.
///
/// # Errors
/// When the database or the mail directory cannot be read; broken invariants are in the
/// report, not errors.
pub async fn verify(
    db: &DatabaseConnection,
    templates: &BTreeSet<String>,
    mail_dir: Option<&Path>,
) -> Result<Report, String> {
    let mut report = Report::default();
    let definitions = stored_definitions(db, templates, &mut report).await?;
    let cases = handover_case::Entity::find()
        .order_by_asc(handover_case::Column::Id)
        .all(db)
        .await
        .map_err(db_error)?;
    let events = journal_event::Entity::find()
        .order_by_asc(journal_event::Column::CaseId)
        .order_by_asc(journal_event::Column::Seq)
        .all(db)
        .await
        .map_err(db_error)?;
    let rows = outbox::Entity::find()
        .order_by_asc(outbox::Column::Id)
        .all(db)
        .await
        .map_err(db_error)?;

    let mut events_by_case: BTreeMap<i64, Vec<journal_event::Model>> = BTreeMap::new();
    let event_case: BTreeMap<i64, i64> = events.iter().map(|e| (e.id, e.case_id)).collect();
    for event in events.iter().cloned() {
        events_by_case.entry(event.case_id).or_default().push(event);
    }
    let mut rows_by_event: BTreeMap<i64, Vec<&outbox::Model>> = BTreeMap::new();
    for row in &rows {
        rows_by_event
            .entry(row.journal_event_id)
            .or_default()
            .push(row);
    }
    let case_by_id: BTreeMap<i64, &handover_case::Model> =
        cases.iter().map(|c| (c.id, c)).collect();

    let mut held = Held::default();
    for case in &cases {
        let events = events_by_case.remove(&case.id).unwrap_or_default();
        check_case(
            case,
            &events,
            &rows_by_event,
            &definitions,
            &mut held,
            &mut report.violations,
        );
    }
    for (case_id, orphans) in events_by_case {
        report.violations.push(format!(
            "{} journal events belong to case id {case_id}, which does not exist",
            orphans.len()
        ));
    }
    let n = cases.len();
    report.checked.push(format!(
        "{n} cases, {} journal events, {} outbox rows, {} stored workflow definitions",
        events.len(),
        rows.len(),
        definitions.len()
    ));
    report
        .checked
        .push(format!("journal chain verifies: {}/{n} cases", held.chains));
    report.checked.push(format!(
        "state = the last created/transition event's to_state, each transition starting where the one before ended: {}/{n}",
        held.states
    ));
    report.checked.push(format!(
        "version = number of version-moving journal events: {}/{n}",
        held.versions
    ));
    report.checked.push(format!(
        "transition events with notify rules that have their outbox rows: {}/{}",
        held.notifying_held, held.notifying
    ));

    let mut status: BTreeMap<&str, usize> = BTreeMap::new();
    for row in &rows {
        *status.entry(row.status.as_str()).or_default() += 1;
        if event_case.get(&row.journal_event_id) != Some(&row.case_id) {
            report.violations.push(format!(
                "outbox row {} of case id {} points at journal event {}, which is not an event of that case",
                row.id, row.case_id, row.journal_event_id
            ));
        }
        let to = row.recipient_email.as_deref();
        if UNSENT.contains(&row.status.as_str()) {
            report.violations.push(format!(
                "outbox row {} ({} to {}) is still `{}` (attempts {}, last error {}): not sent",
                row.id,
                row.template,
                to.unwrap_or("?"),
                row.status,
                row.attempts,
                row.last_error.as_deref().unwrap_or("none")
            ));
        } else if row.status == "failed" && to.is_some() {
            report.violations.push(format!(
                "outbox row {} ({} to {}) failed: {}",
                row.id,
                row.template,
                to.unwrap_or("?"),
                row.last_error.as_deref().unwrap_or("no reason recorded")
            ));
        }
    }
    report.checked.push(format!(
        "outbox rows by status: {} (failed without an address are parties with no contact address; digest rows wait for 07:00)",
        status
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if let Some(dir) = mail_dir {
        check_mail_dir(dir, &rows, &case_by_id, &mut report)?;
    }
    Ok(report)
}

/// An SMTP server that writes each mail it accepts to a file of its own in `dir`
/// (`000001.eml`, …), so a second delivery of one mail is a second file.
///
/// # Errors
/// When the address cannot be bound.
pub async fn smtp_sink(listen: std::net::SocketAddr, dir: PathBuf) -> Result<(), String> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    println!(
        "smtp-sink listens on smtp://{listen}, writing each mail to {}",
        dir.display()
    );
    let counter = Arc::new(AtomicUsize::new(0));
    loop {
        let (stream, _) = listener
            .accept()
            .await
            .map_err(|e| format!("accept: {e}"))?;
        let dir = dir.clone();
        let counter = counter.clone();
        tokio::spawn(async move {
            let next = move || counter.fetch_add(1, Ordering::SeqCst) + 1;
            if let Err(error) = sink_session(stream, &dir, next).await {
                eprintln!("smtp-sink: a session failed: {error}");
            }
        });
    }
}

async fn sink_session(
    stream: tokio::net::TcpStream,
    dir: &Path,
    next: impl Fn() -> usize,
) -> std::io::Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 sink.invalid ESMTP\r\n").await?;
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.invalid\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("DATA") {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            while let Some(line) = lines.next_line().await? {
                if line == "." {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
                data.push_str("\r\n");
            }
            let name = format!("{:06}", next());
            let temporary = dir.join(format!(".{name}.tmp"));
            std::fs::write(&temporary, data)?;
            std::fs::rename(&temporary, dir.join(format!("{name}.eml")))?;
            b"250 2.0.0 kept\r\n"
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else if ["HELO", "MAIL", "RCPT", "RSET", "NOOP"]
            .iter()
            .any(|c| upper.starts_with(c))
        {
            b"250 OK\r\n"
        } else {
            b"502 not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::lifecycle::Bench;
    use overdrag_engine::mail::{Deliverer, MailTemplates, Transport};
    use overdrag_engine::storage::db;
    use sea_orm::ConnectionTrait;
    use std::sync::Arc;

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    fn templates() -> MailTemplates {
        MailTemplates::load(&root().join("mail-templates")).unwrap()
    }

    /// A SQLite database in `dir` with three closed cases, every mail written to `dir/mail`.
    async fn delivered(dir: &Path) -> Bench {
        let bench = Bench::prepare(
            None,
            dir,
            &root().join("workflows"),
            &root().join("mail-templates"),
        )
        .await
        .unwrap();
        bench.run(3, 1).await.unwrap();
        let deliverer = Deliverer::new(
            bench.engine.clone(),
            Arc::new(templates()),
            Transport::Files(dir.join("mail")),
            "Overdrag <noreply@overdrag.invalid>",
            "http://127.0.0.1:8080",
        )
        .unwrap();
        while deliverer.run_once(500).await.unwrap().sent > 0 {}
        bench
    }

    /// A copy of the database and the mail directory in `to`, broken by `sql` and `mail`.
    async fn corrupted(
        bench: &Bench,
        from: &Path,
        to: &Path,
        sql: &str,
        mail: impl FnOnce(&Path),
    ) -> Report {
        std::fs::create_dir_all(to.join("mail")).unwrap();
        let copy = to.join("copy.db");
        bench
            .engine
            .db()
            .execute_unprepared(&format!("VACUUM INTO '{}'", copy.display()))
            .await
            .unwrap();
        for entry in std::fs::read_dir(from.join("mail")).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, to.join("mail").join(path.file_name().unwrap())).unwrap();
        }
        let url = format!("sqlite://{}?mode=rw", copy.display());
        let conn = db::connect(Some(&url), to).await.unwrap();
        if !sql.is_empty() {
            conn.execute_unprepared(sql).await.unwrap();
        }
        mail(&to.join("mail"));
        let report = verify(&conn, templates().events(), Some(&to.join("mail")))
            .await
            .unwrap();
        conn.close().await.unwrap();
        report
    }

    fn first_mail(dir: &Path) -> PathBuf {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files.remove(0)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_checker_passes_a_sound_database_and_names_each_kind_of_damage() {
        let scratch =
            std::env::temp_dir().join(format!("overdrag-faults-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&scratch);
        let bench = delivered(&scratch).await;

        let sound = verify(
            bench.engine.db(),
            templates().events(),
            Some(&scratch.join("mail")),
        )
        .await
        .unwrap();
        assert!(sound.violations.is_empty(), "{:#?}", sound.violations);
        assert!(
            sound
                .checked
                .iter()
                .any(|l| l.contains("journal chain verifies: 3/3")),
            "{:#?}",
            sound.checked
        );
        assert!(
            sound
                .checked
                .iter()
                .any(|l| l.contains("found there exactly once")),
            "{:#?}",
            sound.checked
        );

        let first_transition = "(SELECT MIN(id) FROM journal_event WHERE kind = 'transition')";
        let first_case = "(SELECT MIN(id) FROM handover_case)";
        let first_sent = "(SELECT MIN(id) FROM outbox WHERE status = 'sent')";
        type Damage = (&'static str, String, Box<dyn FnOnce(&Path)>, &'static str);
        let damages: Vec<Damage> = vec![
            (
                "an edited journal payload",
                format!("UPDATE journal_event SET payload = '{{}}' WHERE id = {first_transition}"),
                Box::new(|_| {}),
                "the journal chain is broken at event",
            ),
            (
                "a committed transition without its outbox rows",
                format!("DELETE FROM outbox WHERE journal_event_id = {first_transition}"),
                Box::new(|_| {}),
                "committed, but it has no outbox rows",
            ),
            (
                "one deleted outbox row whose mail went out",
                format!("DELETE FROM outbox WHERE id = {first_sent}"),
                Box::new(|_| {}),
                "is not marked sent",
            ),
            (
                "a half-moved case",
                format!("UPDATE handover_case SET state = 'committee' WHERE id = {first_case}"),
                Box::new(|_| {}),
                "(half-moved)",
            ),
            (
                "a lost update",
                format!("UPDATE handover_case SET version = version - 1 WHERE id = {first_case}"),
                Box::new(|_| {}),
                "version-moving events",
            ),
            (
                "a row left unsent",
                format!("UPDATE outbox SET status = 'pending' WHERE id = {first_sent}"),
                Box::new(|_| {}),
                "is still `pending`",
            ),
            (
                "a lost mail",
                String::new(),
                Box::new(|dir: &Path| std::fs::remove_file(first_mail(dir)).unwrap()),
                "(a lost mail)",
            ),
            (
                "a mail sent twice",
                String::new(),
                Box::new(|dir: &Path| {
                    std::fs::copy(first_mail(dir), dir.join("again.eml")).unwrap();
                }),
                "appears in 2 files",
            ),
        ];
        for (n, (damage, sql, mail, expected)) in damages.into_iter().enumerate() {
            let to = scratch.join(format!("copy-{n}"));
            let report = corrupted(&bench, &scratch, &to, &sql, mail).await;
            assert!(
                report.violations.iter().any(|v| v.contains(expected)),
                "{damage}: expected a violation saying `{expected}`, got {:#?}",
                report.violations
            );
        }
        let _ = std::fs::remove_dir_all(&scratch);
    }
}
