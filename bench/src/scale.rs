//! The scale run: fills a database with cases across every current region — each one created,
//! described and (for four in ten) moved on through the engine, exactly as users would — then
//! starts the real server on it and times the case list, its filters and its search through
//! the API and through the page, and reads the server's memory at rest and under the HTTP
//! lifecycle load.
//!
//! The database is kept (`--data-dir`), so a second run measures at once and only tops the
//! cases up to `--cases`.

use crate::corpus;
use crate::http::{self, Options};
use crate::lifecycle::Bench;
use crate::server::{Launch, ServerProcess, sibling_binary};
use chrono::Utc;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Request, StatusCode};
use overdrag_engine::accounts::{self, Password};
use overdrag_engine::cases::NewCase;
use overdrag_engine::storage::db;
use overdrag_engine::storage::entity::handover_case;
use overdrag_engine::users::{self, NewUser};
use overdrag_engine::{Actor, Engine};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What to generate and measure.
pub struct Plan {
    pub cases: u64,
    pub workers: usize,
    pub samples: usize,
    pub data_dir: PathBuf,
    pub server: Option<PathBuf>,
    pub load_users: usize,
    pub load_lifecycles: usize,
}

/// The password the two readers log in to the pages with.
const READER_PASSWORD: &str = "skala-bench-adgangskode";

/// The region the regional reader works in (and the lifecycle load runs in).
const HOME_REGION: &str = "midtjylland";

/// One GET with headers; the status and the body.
///
/// # Errors
/// When the server cannot be reached or the answer breaks off.
pub async fn get(url: &str, headers: &[(&str, String)]) -> Result<(StatusCode, Bytes), String> {
    static CLIENT: OnceLock<http::HttpClient> = OnceLock::new();
    let client = CLIENT.get_or_init(http::client);
    let mut request = Request::get(url);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let request = request
        .body(Full::new(Bytes::new()))
        .map_err(|e| e.to_string())?;
    let response = client.request(request).await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, body))
}

/// A region the cases are spread over, with its people and parties.
struct ScaleRegion {
    slug: String,
    proposer: Actor,
    secretariat: Actor,
    hospitals: Vec<i64>,
    municipalities: Vec<(i64, String)>,
}

/// Someone who reads the list: by API token and by page session.
struct Reader {
    label: &'static str,
    token: String,
    session: String,
}

async fn person(
    engine: &Engine,
    email: &str,
    region: &str,
    role: &str,
) -> Result<(Actor, String), String> {
    users::add_user(
        engine.db(),
        NewUser {
            email: email.into(),
            name: format!("Skala {role}"),
            region: region.into(),
            role: role.into(),
            organisation: None,
            language: None,
        },
        Utc::now(),
    )
    .await
    .map_err(|e| format!("cannot add {email}: {e}"))
}

async fn regions(engine: &Engine) -> Result<Vec<ScaleRegion>, String> {
    let today = engine.today();
    let mut found = Vec::new();
    for region in engine.regions().await.map_err(|e| e.to_string())? {
        let current = region.valid_from <= today && region.valid_to.is_none_or(|to| to >= today);
        if !current || region.workflow.is_none() {
            continue;
        }
        let parties = engine
            .parties(&region.slug)
            .await
            .map_err(|e| e.to_string())?;
        let slug = region.slug;
        let (proposer, _) = person(
            engine,
            &format!("skala-proposer@{slug}.bench.invalid"),
            &slug,
            "proposer",
        )
        .await?;
        let (secretariat, _) = person(
            engine,
            &format!("skala-sekretariat@{slug}.bench.invalid"),
            &slug,
            "secretariat",
        )
        .await?;
        found.push(ScaleRegion {
            hospitals: parties
                .iter()
                .filter(|p| p.kind == "hospital")
                .map(|p| p.id)
                .collect(),
            municipalities: parties
                .iter()
                .filter(|p| p.kind == "municipality")
                .map(|p| (p.id, p.name.clone()))
                .collect(),
            slug,
            proposer,
            secretariat,
        });
    }
    if found
        .iter()
        .any(|r| r.hospitals.is_empty() || r.municipalities.is_empty())
        || found.is_empty()
    {
        return Err("every current region needs a hospital and a municipality".into());
    }
    Ok(found)
}

/// A reader in `regions`, with an API token and a logged-in page session.
async fn reader(
    engine: &Engine,
    label: &'static str,
    email: &str,
    regions: &[&str],
) -> Result<Reader, String> {
    let mut token = String::new();
    let mut user_id = 0;
    for region in regions {
        let (actor, issued) = person(engine, email, region, "secretariat").await?;
        token = issued;
        user_id = actor.user_id;
    }
    let password = Password::parse(READER_PASSWORD).map_err(|e| format!("{e:?}"))?;
    accounts::set_password(engine.db(), user_id, &password)
        .await
        .map_err(|e| e.to_string())?;
    let session = engine
        .log_in(email, READER_PASSWORD)
        .await
        .map_err(|e| format!("{email} cannot log in: {e:?}"))?
        .token;
    Ok(Reader {
        label,
        token,
        session,
    })
}

/// Creates case number `n` in its region and moves it as far as its number says.
async fn generate_one(engine: &Engine, regions: &[ScaleRegion], n: u64) -> Result<u64, String> {
    let count = regions.len() as u64;
    let region = &regions[usize::try_from(n % count).unwrap_or(0)];
    let spread = n / count;
    let pick = |len: usize| usize::try_from(spread % len as u64).unwrap_or(0);
    let (municipality, municipality_name) =
        &region.municipalities[pick(region.municipalities.len())];
    let hospital = region.hospitals[pick(region.hospitals.len())];
    let (title, description) = corpus::case_text(n, municipality_name);
    let fail = |step: &'static str| {
        move |e: overdrag_engine::EngineError| format!("case {n}, {step}: {e}")
    };
    let case = engine
        .commit_case(
            &region.proposer,
            NewCase {
                region: region.slug.clone(),
                title,
                kind: "transfer".into(),
                giving_party_id: hospital,
                receiving_party_id: *municipality,
            },
        )
        .await
        .map_err(fail("create"))?;
    let case = engine
        .commit_description(&region.proposer, case.id, case.version, description)
        .await
        .map_err(fail("description"))?;
    let mut steps = 2;
    // Six in ten stay drafts, three wait for the secretariat, one is with the economists.
    if n % 10 >= 6 {
        let submitted = engine
            .commit_transition(&region.proposer, case.id, case.version, "submit", None)
            .await
            .map_err(fail("submit"))?;
        steps += 1;
        if n % 10 == 9 {
            engine
                .commit_transition(
                    &region.secretariat,
                    case.id,
                    submitted.version,
                    "accept_description",
                    None,
                )
                .await
                .map_err(fail("accept"))?;
            steps += 1;
        }
    }
    Ok(steps)
}

async fn generate(
    engine: &Engine,
    regions: Arc<Vec<ScaleRegion>>,
    from: u64,
    to: u64,
    workers: usize,
) -> Result<(), String> {
    let next = Arc::new(AtomicU64::new(from));
    let done = Arc::new(AtomicU64::new(0));
    let steps = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let progress = {
        let (done, steps) = (done.clone(), steps.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(15)).await;
                let seconds = started.elapsed().as_secs_f64();
                println!(
                    "  {seconds:>6.0} s: {} of {} cases ({:.0} cases/s, {:.0} durable steps/s)",
                    done.load(Ordering::Relaxed),
                    to - from,
                    done.load(Ordering::Relaxed) as f64 / seconds,
                    steps.load(Ordering::Relaxed) as f64 / seconds,
                );
            }
        })
    };
    let mut handles = Vec::new();
    for _ in 0..workers.max(1) {
        let (engine, regions, next, done, steps) = (
            engine.clone(),
            regions.clone(),
            next.clone(),
            done.clone(),
            steps.clone(),
        );
        handles.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= to {
                    return Ok::<(), String>(());
                }
                steps.fetch_add(generate_one(&engine, &regions, n).await?, Ordering::Relaxed);
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let mut outcome = Ok(());
    for handle in handles {
        if let Err(error) = handle.await.map_err(|e| e.to_string()).and_then(|r| r) {
            outcome = Err(error);
        }
    }
    progress.abort();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "  generated {} cases in {seconds:.0} s ({:.0} cases/s, {:.0} durable steps/s)",
        to - from,
        (to - from) as f64 / seconds,
        steps.load(Ordering::Relaxed) as f64 / seconds
    );
    outcome
}

/// `value` for a query string.
fn encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    let at = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[at].as_secs_f64() * 1e3
}

/// Times one GET `samples` times after two warm-ups; p50 and p95 in ms, and the body of the
/// last answer.
async fn time(
    url: &str,
    headers: &[(&str, String)],
    samples: usize,
) -> Result<(f64, f64, Bytes), String> {
    let mut took = Vec::with_capacity(samples);
    let mut last = Bytes::new();
    for round in 0..samples + 2 {
        let started = Instant::now();
        let (status, body) = get(url, headers).await?;
        let elapsed = started.elapsed();
        if status != StatusCode::OK {
            return Err(format!(
                "{url}: HTTP {status}: {}",
                String::from_utf8_lossy(&body)
            ));
        }
        if round >= 2 {
            took.push(elapsed);
        }
        last = body;
    }
    took.sort();
    Ok((percentile(&took, 0.5), percentile(&took, 0.95), last))
}

async fn database_size(engine: &Engine, data_dir: &Path, database: &str) -> String {
    let conn = engine.db();
    if conn.get_database_backend() == DbBackend::Postgres {
        let size = conn
            .query_one_raw(sea_orm::Statement::from_string(
                DbBackend::Postgres,
                "SELECT pg_size_pretty(pg_database_size(current_database())) AS size",
            ))
            .await
            .ok()
            .flatten()
            .and_then(|row| row.try_get::<String>("", "size").ok());
        return size.unwrap_or_else(|| "unknown".into());
    }
    let file = database
        .strip_prefix("sqlite://")
        .map(|rest| PathBuf::from(rest.split('?').next().unwrap_or(rest)))
        .unwrap_or_else(|| data_dir.join("overdrag.db"));
    let bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    format!("{:.0} MB ({})", bytes as f64 / 1e6, file.display())
}

/// Marks the generated cases' mails as sent, as mails of years-old cases would be, so "at
/// rest" is a server with nothing to do and not one working off a backlog of 200,000 mails.
async fn settle_mail(engine: &Engine) -> Result<(), String> {
    let settled = engine
        .db()
        .execute_unprepared(
            "UPDATE outbox SET status = 'sent', sent_at = created_at WHERE status = 'pending'",
        )
        .await
        .map_err(|e| e.to_string())?
        .rows_affected();
    if settled > 0 {
        println!("  marked the {settled} mails of the generated cases as sent long ago");
    }
    Ok(())
}

/// Runs the scale benchmark.
///
/// # Errors
/// Any failed step, query or server start, with what failed.
pub async fn run(
    database: Option<String>,
    plan: Plan,
    workflows: &Path,
    mail_templates: &Path,
) -> Result<(), String> {
    let database = database.unwrap_or_else(|| db::default_sqlite_url(&plan.data_dir));
    std::fs::create_dir_all(&plan.data_dir)
        .map_err(|e| format!("{}: {e}", plan.data_dir.display()))?;
    let bench = Bench::prepare(Some(&database), &plan.data_dir, workflows, mail_templates).await?;
    let engine = bench.engine.clone();
    println!(
        "scale run on {} ({})",
        bench.backend(),
        db::redacted(&database)
    );

    let regions = Arc::new(regions(&engine).await?);
    let existing = handover_case::Entity::find()
        .count(engine.db())
        .await
        .map_err(|e| e.to_string())?;
    if existing < plan.cases {
        println!(
            "generating {} cases through the engine ({} workers), across {}",
            plan.cases - existing,
            plan.workers,
            regions
                .iter()
                .map(|r| r.slug.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        generate(&engine, regions.clone(), existing, plan.cases, plan.workers).await?;
        if engine.db().get_database_backend() == DbBackend::Postgres {
            // What autovacuum does a minute later anyway; done now so the plans are the
            // settled ones.
            engine
                .db()
                .execute_unprepared("VACUUM ANALYZE")
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    settle_mail(&engine).await?;
    let total = handover_case::Entity::find()
        .count(engine.db())
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "{total} cases; database {}",
        database_size(&engine, &plan.data_dir, &database).await
    );

    let home: Vec<&str> = vec![HOME_REGION];
    let all: Vec<&str> = regions.iter().map(|r| r.slug.as_str()).collect();
    let readers = [
        reader(&engine, "one region", "skala-region@bench.invalid", &home).await?,
        reader(&engine, "all regions", "skala-landet@bench.invalid", &all).await?,
    ];

    let binary = plan.server.clone().unwrap_or_else(sibling_binary);
    let server = ServerProcess::start(&Launch {
        binary: &binary,
        database: &database,
        data_dir: &plan.data_dir.join("server"),
        workflows,
        mail_templates,
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let at_rest = server.memory()?;
    println!(
        "server {} (pid {}): at rest {:.1} MB RSS",
        binary.display(),
        server.pid(),
        at_rest.rss_mb()
    );

    let home_region = regions
        .iter()
        .position(|r| r.slug == HOME_REGION)
        .ok_or("the scale run needs Region Midtjylland")?;
    let party = regions[home_region].municipalities[0].0;
    // A case in the home region from the middle of the run: its reference is in it alone.
    let middle = total / 2;
    let one_case = middle - middle % regions.len() as u64 + home_region as u64;
    let queries: Vec<(&str, String)> = vec![
        ("list, newest first", String::new()),
        ("list, page 100", "page=100".into()),
        ("filter: state", "state=economic_assessment".into()),
        ("filter: party", format!("party={party}")),
        (
            "search: one case's reference",
            format!("q={}", encode(&corpus::reference(one_case))),
        ),
        (
            "search: a task (1 in 32)",
            format!("q={}", encode("tracheostomipleje")),
        ),
        (
            "search: a word in most cases",
            format!("q={}", encode("hjemmesygeplejen")),
        ),
        ("search: two letters", format!("q={}", encode("iv"))),
        (
            "search and state",
            format!("q={}&state=description_review", encode("sårpleje")),
        ),
    ];
    println!(
        "case list, {} requests each after 2 warm-ups, one at a time; 20 cases a page (API per_page=20)",
        plan.samples
    );
    println!(
        "  {:<30} {:<12} {:>7}   {:>8} {:>8}   {:>8} {:>8}",
        "query", "reader", "found", "API p50", "p95", "page p50", "p95"
    );
    let mut worst = (0.0_f64, String::new());
    for (label, params) in &queries {
        for reader in &readers {
            let api_url = format!("{}/api/v1/cases?per_page=20&{params}", server.base);
            let api_headers = [("authorization", format!("Bearer {}", reader.token))];
            let (api50, api95, body) = time(&api_url, &api_headers, plan.samples).await?;
            let found = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("total").and_then(Value::as_u64))
                .ok_or_else(|| format!("{api_url}: no total in the answer"))?;
            let page_url = format!("{}/cases?{params}", server.base);
            let page_headers = [("cookie", format!("overdrag_session={}", reader.session))];
            let (page50, page95, _) = time(&page_url, &page_headers, plan.samples).await?;
            println!(
                "  {label:<30} {:<12} {found:>7}   {api50:>8.2} {api95:>8.2}   {page50:>8.2} {page95:>8.2}",
                reader.label
            );
            for (p95, surface) in [(api95, "API"), (page95, "page")] {
                if p95 > worst.0 {
                    worst = (p95, format!("{label}, {}, {surface}", reader.label));
                }
            }
        }
    }
    println!("  slowest p95: {:.2} ms ({})", worst.0, worst.1);
    let after_queries = server.memory()?;
    println!(
        "server after the list queries: {:.1} MB RSS",
        after_queries.rss_mb()
    );

    let load = http::Load::external(bench, vec![server.base.clone()], &Options::default()).await?;
    // VmHWM also holds the list queries' peak; the load's own is sampled while it runs.
    let load_peak_kb = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (pid, load_peak_kb) = (server.pid(), load_peak_kb.clone());
        tokio::spawn(async move {
            while let Ok(memory) = crate::server::memory_of(pid) {
                load_peak_kb.fetch_max(memory.rss_kb, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let started = Instant::now();
    let steps = load.run(plan.load_lifecycles, plan.load_users).await;
    let seconds = started.elapsed().as_secs_f64();
    sampler.abort();
    let steps = steps?;
    let checked = load.check().await?;
    let under_load = server.memory()?;
    println!(
        "HTTP lifecycle load on the same server: {} users, {} lifecycles, {:.0} durable steps/s, cases checked {checked}",
        plan.load_users,
        plan.load_lifecycles,
        steps as f64 / seconds
    );
    println!(
        "server memory (RSS): at rest {:.1} MB, after the list queries {:.1} MB, highest under the load {:.1} MB, after the load {:.1} MB, peak of the whole run (VmHWM) {:.1} MB",
        at_rest.rss_mb(),
        after_queries.rss_mb(),
        load_peak_kb.load(Ordering::Relaxed) as f64 / 1024.0,
        under_load.rss_mb(),
        under_load.peak_mb()
    );
    drop(server);
    Ok(())
}
