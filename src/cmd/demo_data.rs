//! `leakwatch demo-data`.

use std::path::PathBuf;
use std::process::ExitCode;

use fingerprints::synth;

/// Arguments of `demo-data`.
#[derive(clap::Args)]
pub struct Args {
    /// Number of residents.
    #[arg(long, default_value_t = 10_000)]
    residents: usize,
    /// Seed; the same seed gives the same register.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Directory to write residents.csv and schema.toml into (created if missing).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let residents = synth::residents(args.residents, args.seed);
    let (csv, schema) = synth::write_register(&args.out, &residents)?;
    eprintln!(
        "wrote {} synthetic residents to {} and the schema to {}",
        residents.len(),
        csv.display(),
        schema.display()
    );
    Ok(ExitCode::SUCCESS)
}
