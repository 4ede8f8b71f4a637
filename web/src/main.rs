//! `overdrag`: the server and the command line of Overdrag.

use clap::Parser;
use std::process::ExitCode;

use overdrag::cli;

#[tokio::main]
async fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("OVERDRAG_LOG")
        .unwrap_or_else(|_| "info".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // One JSON object per line, with the request's span (its id) in each, for a log shipper.
    if std::env::var("OVERDRAG_LOG_FORMAT").is_ok_and(|f| f.trim() == "json") {
        logs.json()
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
    match cli::run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("overdrag: {error}");
            ExitCode::FAILURE
        }
    }
}
