//! `leakwatch`: watches paste sites and onion services for leaked resident records while
//! holding only keyed hashes of them.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod config;
mod kafka;
mod pipeline;

/// mimalloc: the build and the matcher allocate from many threads; glibc's arenas serialized
/// cross-thread frees (measured: ~30% of a 460k-resident build in malloc locks).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Watches paste sites and onion services for leaked resident records, holding only keyed hashes.
#[derive(Parser)]
#[command(name = "leakwatch", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new 32-byte secret key file (mode 0600; never overwrites).
    Keygen(cmd::keygen::Args),
    /// Build, inspect and resolve fingerprint bundles (run on the data owner's machine).
    #[command(subcommand)]
    Fingerprint(cmd::fingerprint::Command),
    /// Write a deterministic synthetic register (residents.csv + schema.toml) for tests and demos.
    DemoData(cmd::demo_data::Args),
    /// Find register records in files, directories or stdin (exit 0 none, 1 found, 2 error).
    Scan(cmd::scan::Args),
    /// Crawl the configured paste sites, HTML listings, sites and onion services into pages.
    Crawl(cmd::crawl::Args),
    /// Match pages from the Kafka pages topic against the bundle (one process of the group).
    Match(cmd::match_cmd::Args),
    /// The alert store's processes.
    #[command(subcommand)]
    Alerts(cmd::alerts::Command),
    /// Run the whole pipeline (crawler, matchers, alert store) in one process.
    Run(cmd::run::Args),
    /// Check a leakwatch.toml as one role's process reads it (`config check --role ...`).
    #[command(subcommand)]
    Config(cmd::config_cmd::Command),
    /// The whole job on a synthetic register and a local demo paste site, in one command.
    Demo(cmd::demo::Args),
    /// Pipeline throughput (embedded, Kafka) and freshness figures (a benchmark; prints only).
    #[command(hide = true)]
    BenchPipeline(cmd::bench_pipeline::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Keygen(a) => cmd::keygen::run(a),
        Command::Fingerprint(c) => cmd::fingerprint::run(c),
        Command::DemoData(a) => cmd::demo_data::run(a),
        Command::Scan(a) => cmd::scan::run(a),
        Command::Crawl(a) => cmd::crawl::run(a),
        Command::Match(a) => cmd::match_cmd::run(a),
        Command::Alerts(c) => cmd::alerts::run(c),
        Command::Run(a) => cmd::run::run(a),
        Command::Config(c) => cmd::config_cmd::run(c),
        Command::Demo(a) => cmd::demo::run(a),
        Command::BenchPipeline(a) => cmd::bench_pipeline::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
