//! `leakwatch fingerprint build | inspect | resolve`.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use fingerprints::records::{ReadOptions, TextEncoding, read_register};
use fingerprints::{Bundle, Hasher, RecordRef, Schema, SecretKey};

/// `fingerprint` subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Build a fingerprint bundle from a register (CSV/TSV) and its schema.
    Build(BuildArgs),
    /// Show a bundle's format version, key id, counts and sizes (needs no key).
    Inspect(InspectArgs),
    /// Map opaque record references from alerts back to the register's ids (data owner only).
    Resolve(ResolveArgs),
    /// Open a bundle with a key (decrypt and validate everything) and report load time and size.
    Verify(VerifyArgs),
}

/// Arguments of `fingerprint verify`.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The bundle file.
    bundle: PathBuf,
    /// Secret key file.
    #[arg(long)]
    key_file: PathBuf,
}

/// How to read the register.
#[derive(clap::Args)]
pub struct RegisterArgs {
    /// The register: CSV (or TSV with --delimiter tab) with a header row.
    #[arg(long)]
    records: PathBuf,
    /// Schema TOML: id_column and [columns] header = kind.
    #[arg(long)]
    schema: PathBuf,
    /// Secret key file (from `leakwatch keygen`).
    #[arg(long)]
    key_file: PathBuf,
    /// Text encoding of the register: utf-8 (BOM tolerated) or shift_jis.
    #[arg(long, default_value = "utf-8")]
    encoding: TextEncoding,
    /// Field delimiter: a single character, or `tab`.
    #[arg(long, default_value = ",", value_parser = parse_delimiter)]
    delimiter: u8,
}

impl RegisterArgs {
    fn read_options(&self) -> ReadOptions {
        ReadOptions {
            encoding: self.encoding,
            delimiter: self.delimiter,
        }
    }
}

fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(format!(
            "delimiter must be one ASCII character or `tab`, not {s:?}"
        )),
    }
}

/// Arguments of `fingerprint build`.
#[derive(clap::Args)]
pub struct BuildArgs {
    #[command(flatten)]
    register: RegisterArgs,
    /// Where to write the bundle.
    #[arg(long)]
    out: PathBuf,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Also write every rejected row and left-out field (line number and reason) to this file.
    #[arg(long)]
    problems_out: Option<PathBuf>,
}

/// Arguments of `fingerprint inspect`.
#[derive(clap::Args)]
pub struct InspectArgs {
    /// The bundle file.
    bundle: PathBuf,
    /// Print the metadata as JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `fingerprint resolve`.
#[derive(clap::Args)]
pub struct ResolveArgs {
    #[command(flatten)]
    register: RegisterArgs,
    /// A file with one record reference per line (as from `leakwatch alerts export-refs`).
    #[arg(long)]
    refs_file: Option<PathBuf>,
    /// Record references (r + 16 hex digits).
    refs: Vec<String>,
}

pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Build(a) => build(a),
        Command::Inspect(a) => inspect(a),
        Command::Resolve(a) => resolve(a),
        Command::Verify(a) => verify(a),
    }
}

/// Lines of problems shown on the terminal before the rest is only counted.
const SHOWN_PROBLEMS: usize = 20;

fn build(a: BuildArgs) -> anyhow::Result<ExitCode> {
    let schema = Schema::read(&a.register.schema)?;
    let key = SecretKey::read(&a.register.key_file)?;
    let size = std::fs::metadata(&a.register.records)
        .with_context(|| format!("reading records {}", a.register.records.display()))?
        .len();
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(size);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {elapsed} reading and hashing",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let (bundle, mut report) = fingerprints::build_from_file(
        &a.register.records,
        &schema,
        a.register.read_options(),
        &key,
        |n| {
            if let Some(b) = &bar {
                b.set_position(n);
            }
        },
    )?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let started = std::time::Instant::now();
    report.bundle_bytes = bundle.write(&a.out, &key)?;
    report.seconds += started.elapsed().as_secs_f64();
    if let Some(p) = &a.problems_out {
        let mut f = std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        );
        for (what, list) in [
            ("rejected", &report.rejected_rows),
            ("field", &report.field_problems),
        ] {
            for r in list {
                writeln!(f, "{}\t{what}\t{}", r.line, r.reason)?;
            }
        }
        f.flush()?;
    }
    // Kinds whose value comes in parts, from several columns (joined while reading).
    let joined = schema.joined_columns();
    let per_kind: serde_json::Map<String, serde_json::Value> = report
        .per_kind
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), (*v).into()))
        .collect();
    if a.json {
        let problems = |l: &[fingerprints::records::RowProblem]| -> Vec<serde_json::Value> {
            l.iter()
                .map(|p| serde_json::json!({"line": p.line, "reason": p.reason}))
                .collect()
        };
        let out = serde_json::json!({
            "bundle": a.out,
            "bundle_id": bundle.meta().bundle_id,
            "key_id": bundle.meta().key_id,
            "records": report.records,
            "fingerprints_per_kind": per_kind,
            "joined_columns": joined
                .iter()
                .map(|(k, cols)| (k.as_str(), cols))
                .collect::<std::collections::BTreeMap<_, _>>(),
            "values": schema
                .values
                .iter()
                .map(|(k, lists)| (k.as_str(), lists))
                .collect::<std::collections::BTreeMap<_, _>>(),
            "vocabulary_tokens": report.vocabulary_tokens,
            "rejected_rows": problems(&report.rejected_rows),
            "field_problems": problems(&report.field_problems),
            "bundle_bytes": report.bundle_bytes,
            "bytes_per_record": report.bundle_bytes as f64 / report.records.max(1) as f64,
            "seconds": report.seconds,
        });
        println!("{out}");
    }
    let mut e = std::io::stderr().lock();
    writeln!(e, "built {} in {:.2} s", a.out.display(), report.seconds)?;
    writeln!(e, "  records         {}", report.records)?;
    let kinds: Vec<String> = report
        .per_kind
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    writeln!(e, "  fingerprints    {}", kinds.join(", "))?;
    for (kind, cols) in &joined {
        writeln!(
            e,
            "  joined          {kind} from columns {} (joined in the register's column order)",
            cols.join(", ")
        )?;
    }
    for (kind, lists) in &schema.values {
        let lists: Vec<String> = lists.iter().map(|l| l.join(" + ")).collect();
        writeln!(
            e,
            "  values          {kind}: {} (each made where all its columns are filled)",
            lists.join("; ")
        )?;
    }
    writeln!(
        e,
        "  vocabulary      {} distinct tokens",
        report.vocabulary_tokens
    )?;
    writeln!(
        e,
        "  bundle          {} bytes ({:.1} bytes per record), key id {}",
        report.bundle_bytes,
        report.bundle_bytes as f64 / report.records.max(1) as f64,
        bundle.meta().key_id
    )?;
    for (title, list) in [
        ("rejected rows", &report.rejected_rows),
        ("left-out fields", &report.field_problems),
    ] {
        writeln!(e, "  {title:<15} {}", list.len())?;
        for p in list.iter().take(SHOWN_PROBLEMS) {
            writeln!(e, "    line {}: {}", p.line, p.reason)?;
        }
        if list.len() > SHOWN_PROBLEMS {
            writeln!(
                e,
                "    … and {} more (see --problems-out)",
                list.len() - SHOWN_PROBLEMS
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn inspect(a: InspectArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&a.bundle)
        .with_context(|| format!("reading bundle {}", a.bundle.display()))?;
    let meta = fingerprints::bundle::inspect_bytes(&bytes)
        .with_context(|| format!("bundle {}", a.bundle.display()))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&meta)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("bundle          {}", a.bundle.display());
    println!("format version  {}", meta.format_version);
    println!("key id          {}", meta.key_id);
    println!("bundle id       {}", meta.bundle_id);
    println!("created (unix)  {}", meta.created_unix);
    println!("records         {}", meta.records);
    for (k, v) in &meta.fingerprints_per_kind {
        println!("  {k:<14} {v}");
    }
    println!("vocabulary      {} tokens", meta.vocabulary_tokens);
    println!("strong index    {} fingerprints", meta.strong_fingerprints);
    println!(
        "corroborators   {} fingerprints",
        meta.corroborator_fingerprints
    );
    println!(
        "file size       {} bytes ({:.1} per record)",
        bytes.len(),
        bytes.len() as f64 / meta.records.max(1) as f64
    );
    for (s, n) in &meta.section_bytes {
        println!("  {s:<22} {n} bytes");
    }
    Ok(ExitCode::SUCCESS)
}

fn resolve(a: ResolveArgs) -> anyhow::Result<ExitCode> {
    let mut wanted: Vec<RecordRef> = Vec::new();
    let mut texts = a.refs.clone();
    if let Some(p) = &a.refs_file {
        let t = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        texts.extend(
            t.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned),
        );
    }
    for t in &texts {
        let r = t
            .parse::<RecordRef>()
            .map_err(|()| anyhow::anyhow!("{t:?} is not a record reference (r + 16 hex digits)"))?;
        wanted.push(r);
    }
    if wanted.is_empty() {
        anyhow::bail!("no record reference given (pass REF... or --refs-file)");
    }
    let schema = Schema::read(&a.register.schema)?;
    let key = SecretKey::read(&a.register.key_file)?;
    let found = resolve_refs(
        &a.register.records,
        &schema,
        a.register.read_options(),
        &key,
        &wanted,
    )?;
    let mut out = std::io::stdout().lock();
    let mut missing = 0;
    for r in &wanted {
        match found.get(r) {
            Some(id) => writeln!(out, "{r}\t{id}")?,
            None => {
                missing += 1;
                eprintln!("{r}: not in this register (another register, or another key?)");
            }
        }
    }
    Ok(if missing == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn resolve_refs(
    records: &Path,
    schema: &Schema,
    opts: ReadOptions,
    key: &SecretKey,
    wanted: &[RecordRef],
) -> anyhow::Result<HashMap<RecordRef, String>> {
    let hasher = Hasher::new(key);
    let want: std::collections::HashSet<RecordRef> = wanted.iter().copied().collect();
    let mut found = HashMap::new();
    read_register(
        records,
        schema,
        opts,
        |row| {
            if let Ok(row) = row {
                let r = hasher.record_ref(&row.id);
                if want.contains(&r) {
                    found.entry(r).or_insert(row.id);
                }
            }
        },
        |_| (),
    )?;
    Ok(found)
}

fn verify(a: VerifyArgs) -> anyhow::Result<ExitCode> {
    let key = SecretKey::read(&a.key_file)?;
    let started = std::time::Instant::now();
    let bundle =
        Bundle::open(&a.bundle, &key).with_context(|| format!("bundle {}", a.bundle.display()))?;
    let seconds = started.elapsed().as_secs_f64();
    let out = serde_json::json!({
        "bundle": a.bundle,
        "bundle_id": bundle.meta().bundle_id,
        "key_id": bundle.meta().key_id,
        "records": bundle.record_count(),
        "vocabulary_tokens": bundle.vocabulary_len(),
        "load_seconds": seconds,
        "heap_bytes": bundle.heap_bytes(),
    });
    println!("{out}");
    Ok(ExitCode::SUCCESS)
}
