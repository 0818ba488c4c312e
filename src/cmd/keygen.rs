//! `leakwatch keygen`.

use std::path::PathBuf;
use std::process::ExitCode;

use fingerprints::SecretKey;

/// Arguments of `keygen`.
#[derive(clap::Args)]
pub struct Args {
    /// Where to write the key (must not exist yet).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let key = SecretKey::generate()?;
    key.write_new(&args.out)?;
    eprintln!(
        "wrote a new key to {} (key id {}, mode 0600)",
        args.out.display(),
        key.key_id()
    );
    Ok(ExitCode::SUCCESS)
}
