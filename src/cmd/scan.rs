//! `leakwatch scan`: find register records in files, directories or stdin.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::SyncSender;
use std::time::{Duration, Instant};

use anyhow::Context;
use fingerprints::SecretKey;
use matcher::{Confidence, Document, Matcher, MatcherConfig, ScanReport, StageTimes};
use rayon::prelude::*;
use serde::Serialize;

/// Output formats.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object per document.
    Jsonl,
    /// A readable summary per document.
    Text,
}

/// Arguments of `scan`.
#[derive(clap::Args)]
pub struct Args {
    /// The fingerprint bundle.
    #[arg(long)]
    bundle: PathBuf,
    /// Secret key file of the bundle.
    #[arg(long)]
    key_file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: Format,
    /// Report (and exit 1 for) findings at or above this confidence: low, medium, high.
    #[arg(long, default_value = "medium")]
    min_confidence: Confidence,
    /// Print documents without findings too (a document with encrypted files or entries no
    /// password opened is always printed, with how many: `locked`).
    #[arg(long)]
    all: bool,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// A file of passwords to try on encrypted ZIP entries, 7z and RAR archives, PDF and
    /// Office files, one a line (never printed).
    /// Passwords a mailbox or an archive gives itself (`パスワード：…`) are tried without it.
    #[arg(long)]
    password_file: Option<PathBuf>,
    /// Documents larger than this are scanned up to it and flagged truncated.
    #[arg(long, default_value_t = matcher::default_max_document_bytes())]
    max_document_bytes: usize,
    /// Proximity window in characters for grouping a record's fields.
    #[arg(long, default_value_t = matcher::default_proximity_chars())]
    proximity_chars: usize,
    /// A name, reading or address shared by more register records than this starts no finding.
    #[arg(long, default_value_t = matcher::default_max_records_per_value())]
    max_records_per_value: usize,
    /// Print a JSON summary (documents, bytes, throughput, load time, findings, and the seconds
    /// spent in each stage of the scan, summed over the worker threads) to stderr.
    #[arg(long)]
    stats: bool,
    /// Files or directories (walked recursively); `-` reads stdin.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

#[derive(Serialize)]
struct JsonFinding {
    record: String,
    confidence: Confidence,
    fields: Vec<&'static str>,
    spans: Vec<JsonSpan>,
    #[serde(skip_serializing_if = "is_one")]
    occurrences: u32,
}

#[derive(Serialize)]
struct JsonSpan {
    start: usize,
    end: usize,
    kind: &'static str,
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[derive(Serialize)]
struct JsonDoc<'a> {
    source: &'a str,
    bytes: u64,
    encoding: &'static str,
    format: matcher::TextFormat,
    truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<&'static str>,
    /// Encrypted files and entries no password opened (not scanned).
    #[serde(skip_serializing_if = "is_zero")]
    locked: u32,
    findings: Vec<JsonFinding>,
}

#[derive(Default, Serialize)]
struct Stats {
    documents: u64,
    bytes: u64,
    skipped: u64,
    truncated: u64,
    /// Encrypted files and entries no password opened, in all documents.
    locked: u64,
    errors: u64,
    findings_high: u64,
    findings_medium: u64,
    findings_low: u64,
    records: u64,
    load_seconds: f64,
    scan_seconds: f64,
    mb_per_second: f64,
    threads: usize,
    matcher_heap_bytes: usize,
    /// Seconds the scan waited for the reader thread (not overlapped with scanning).
    read_wait_seconds: f64,
    /// Seconds in each stage, summed over the worker threads (`read`: the reader thread's).
    stage_seconds: StageSeconds,
}

/// [`matcher::StageTimes`] in seconds, with the time spent reading files.
#[derive(Default, Serialize)]
struct StageSeconds {
    read: f64,
    decode: f64,
    html: f64,
    fold: f64,
    candidates: f64,
    walk: f64,
    corroborate: f64,
}

impl StageSeconds {
    fn add(&mut self, read: Duration, t: &StageTimes) {
        self.read += read.as_secs_f64();
        self.decode += t.decode.as_secs_f64();
        self.html += t.html.as_secs_f64();
        self.fold += t.fold.as_secs_f64();
        self.candidates += t.candidates.as_secs_f64();
        self.walk += t.walk.as_secs_f64();
        self.corroborate += t.corroborate.as_secs_f64();
    }
}

/// Files per parallel batch at most (results are printed in input order after each batch).
const BATCH: usize = 256;
/// Files of the first batch.
const FIRST_BATCH: usize = 8;
/// Bytes per batch at most, past its first file.
const BATCH_BYTES: usize = 4 << 20;

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    match scan(a) {
        // The reader went away (`| head`): stop quietly, like grep.
        Err(e) if is_broken_pipe(&e) => Ok(ExitCode::SUCCESS),
        other => other,
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

fn scan(a: Args) -> anyhow::Result<ExitCode> {
    let threads = a.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("starting worker threads")?;
    let t0 = Instant::now();
    let key = SecretKey::read(&a.key_file)?;
    let config = MatcherConfig {
        max_document_bytes: a.max_document_bytes,
        proximity_chars: a.proximity_chars,
        max_records_per_value: a.max_records_per_value,
    };
    // Findings below --min-confidence are not printed, so the matcher need not build them.
    let mut matcher = Matcher::open(&a.bundle, &key, config)
        .with_context(|| format!("bundle {}", a.bundle.display()))?
        .with_min_confidence(a.min_confidence);
    if let Some(file) = &a.password_file {
        matcher = matcher.with_passwords(crate::pipeline::read_passwords(file)?);
    }
    drop(key);
    let mut stats = Stats {
        load_seconds: t0.elapsed().as_secs_f64(),
        threads,
        matcher_heap_bytes: matcher.heap_bytes(),
        ..Stats::default()
    };

    let t1 = Instant::now();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut errors = 0u64;
    let mut found = false;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for p in &a.paths {
        if p.as_os_str() == "-" {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .take(a.max_document_bytes as u64 + 1)
                .read_to_end(&mut bytes)
                .context("reading stdin")?;
            let mut times = StageTimes::default();
            let report = matcher.scan_timed(&Document::new(&bytes), &mut times);
            stats.stage_seconds.add(Duration::ZERO, &times);
            found |= emit(&mut out, &a, "-", &report, &mut stats)?;
            continue;
        }
        if let Err(e) = walk(p, &mut files) {
            eprintln!("leakwatch scan: {}: {e}", p.display());
            errors += 1;
        }
    }
    // One thread reads the next batch of files while the workers scan this one, so a worker
    // never waits on the disk (reading is I/O, not the scan's work: it was up to a quarter of a
    // one-thread scan's time when the files had left the page cache).
    let cap = a.max_document_bytes;
    let scanned = std::thread::scope(|s| -> anyhow::Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<ReadFile<'_>>>(0);
        let files = &files;
        s.spawn(move || read_ahead(files, cap, &tx));
        loop {
            let t = Instant::now();
            let Ok(batch) = rx.recv() else { break };
            stats.read_wait_seconds += t.elapsed().as_secs_f64();
            type Scanned<'e> = (Result<ScanReport, &'e std::io::Error>, StageTimes);
            let results: Vec<Scanned<'_>> = pool.install(|| {
                batch
                    .par_iter()
                    .map(|f| {
                        let mut times = StageTimes::default();
                        let r = f.bytes.as_ref().map(|bytes| {
                            let doc = Document::new(bytes);
                            let mut report = matcher.scan_timed(&doc, &mut times);
                            report.bytes = f.total;
                            report.truncated |= f.total > bytes.len() as u64;
                            report
                        });
                        (r, times)
                    })
                    .collect()
            });
            for (f, (r, times)) in batch.iter().zip(results) {
                stats.stage_seconds.add(f.read_time, &times);
                let name = f.path.display().to_string();
                match r {
                    Ok(report) => found |= emit(&mut out, &a, &name, &report, &mut stats)?,
                    Err(e) => {
                        eprintln!("leakwatch scan: {name}: {e}");
                        errors += 1;
                    }
                }
            }
        }
        Ok(())
    });
    scanned?;
    out.flush().context("writing output")?;
    stats.errors = errors;
    stats.scan_seconds = t1.elapsed().as_secs_f64();
    stats.mb_per_second = stats.bytes as f64 / 1e6 / stats.scan_seconds.max(1e-9);
    if a.stats {
        eprintln!("{}", serde_json::to_string(&stats)?);
    }
    Ok(if errors > 0 {
        ExitCode::from(2)
    } else if found {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A file read for the scan: its bytes (at most the size cap + 1, so truncation shows) or the
/// error, its full size, and the time reading took.
struct ReadFile<'p> {
    path: &'p Path,
    bytes: std::io::Result<Vec<u8>>,
    total: u64,
    read_time: Duration,
}

impl<'p> ReadFile<'p> {
    fn read(path: &'p Path, cap: usize) -> Self {
        let t = Instant::now();
        let mut total = 0;
        let bytes = std::fs::File::open(path).and_then(|f| {
            total = f.metadata()?.len();
            let mut bytes = Vec::with_capacity((total as usize).min(cap + 1));
            f.take(cap as u64 + 1).read_to_end(&mut bytes)?;
            total = total.max(bytes.len() as u64);
            Ok(bytes)
        });
        ReadFile {
            path,
            bytes,
            total,
            read_time: t.elapsed(),
        }
    }
}

/// Reads `files` in order and sends them in batches of at most [`BATCH`] files and, past the
/// first file, [`BATCH_BYTES`] bytes: the reader holds one batch while the workers scan the one
/// before. The first batches are small ([`FIRST_BATCH`] files, then twice as many each time),
/// so the workers start soon. Stops when the receiver is gone.
fn read_ahead<'p>(files: &'p [PathBuf], cap: usize, tx: &SyncSender<Vec<ReadFile<'p>>>) {
    let (mut batch, mut bytes, mut limit) = (Vec::new(), 0, FIRST_BATCH);
    for (k, f) in files.iter().enumerate() {
        let file = ReadFile::read(f, cap);
        bytes += file.bytes.as_ref().map_or(0, Vec::len);
        batch.push(file);
        if batch.len() >= limit || bytes >= BATCH_BYTES || k + 1 == files.len() {
            if tx.send(std::mem::take(&mut batch)).is_err() {
                return;
            }
            bytes = 0;
            limit = (limit * 2).min(BATCH);
        }
    }
}

/// Collects regular files under `p` (sorted, symlinked directories not followed).
fn walk(p: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let meta = std::fs::metadata(p)?;
    if !meta.is_dir() {
        files.push(p.to_path_buf());
        return Ok(());
    }
    let mut stack = vec![p.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(std::fs::DirEntry::file_name);
        let mut subdirs = Vec::new();
        for e in entries {
            let ft = e.file_type()?;
            if ft.is_dir() {
                subdirs.push(e.path());
            } else if ft.is_file() || (ft.is_symlink() && e.path().is_file()) {
                files.push(e.path());
            }
        }
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(())
}

fn emit(
    out: &mut impl Write,
    a: &Args,
    source: &str,
    report: &ScanReport,
    stats: &mut Stats,
) -> anyhow::Result<bool> {
    stats.documents += 1;
    stats.bytes += report.bytes;
    stats.skipped += u64::from(report.skipped.is_some());
    stats.truncated += u64::from(report.truncated);
    stats.locked += u64::from(report.locked);
    for f in &report.findings {
        match f.confidence {
            Confidence::High => stats.findings_high += 1,
            Confidence::Medium => stats.findings_medium += 1,
            Confidence::Low => stats.findings_low += 1,
        }
    }
    stats.records += u64::from(report.records);
    let shown: Vec<&matcher::Finding> = report.at_least(a.min_confidence).collect();
    if shown.is_empty() && !a.all && report.locked == 0 {
        return Ok(false);
    }
    match a.format {
        Format::Jsonl => {
            let doc = JsonDoc {
                source,
                bytes: report.bytes,
                encoding: report.encoding,
                format: report.format,
                truncated: report.truncated,
                skipped: report.skipped.map(matcher::SkipReason::as_str),
                locked: report.locked,
                findings: shown
                    .iter()
                    .map(|f| JsonFinding {
                        record: f.record.to_string(),
                        confidence: f.confidence,
                        fields: f.fields.iter().map(|k| k.as_str()).collect(),
                        spans: f
                            .spans
                            .iter()
                            .map(|s| JsonSpan {
                                start: s.start,
                                end: s.end,
                                kind: s.kind.as_str(),
                            })
                            .collect(),
                        occurrences: f.occurrences,
                    })
                    .collect(),
            };
            serde_json::to_writer(&mut *out, &doc)?;
            writeln!(out)?;
        }
        Format::Text => {
            let mut counts = [0usize; 3];
            for f in &shown {
                counts[f.confidence as usize] += 1;
            }
            let mut note = match (report.skipped, report.truncated) {
                (Some(r), _) => format!(" (skipped: {})", r.as_str()),
                (None, true) => " (truncated)".to_owned(),
                _ => String::new(),
            };
            if report.locked > 0 {
                note.push_str(&format!(
                    " ({} encrypted file(s) no password opened, not scanned)",
                    report.locked
                ));
            }
            writeln!(
                out,
                "{source}: {} record(s): {} high, {} medium, {} low [{}, {} bytes]{note}",
                shown.len(),
                counts[2],
                counts[1],
                counts[0],
                report.encoding,
                report.bytes
            )?;
            for f in &shown {
                let fields: Vec<&str> = f.fields.iter().map(|k| k.as_str()).collect();
                writeln!(
                    out,
                    "  {}  {:<6}  {}",
                    f.record,
                    f.confidence.as_str(),
                    fields.join(", ")
                )?;
            }
        }
    }
    Ok(!shown.is_empty())
}
