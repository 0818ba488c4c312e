//! `leakwatch alerts ...`: the alert store's processes and queries: `ingest` (Kafka alerts
//! topic into the store), `query` (match history as a table, JSON or CSV) and `export-refs`
//! (the affected record references, one a line, for `leakwatch fingerprint resolve
//! --refs-file` on the data owner's machine).

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use alerts::{AlertQuery, AlertStore, Status, StoreType, StoredAlert};
use anyhow::{Context, bail};
use wire::Confidence;

use crate::config::{Config, TransportConfig};
use crate::pipeline;

/// `alerts` subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Store alerts from the Kafka alerts topic into the alert store (idempotent upserts; an
    /// offset is committed only after its alert is stored).
    Ingest(IngestArgs),
    /// Print stored alerts, newest first: refs, field kinds, URLs — never a value.
    Query(QueryArgs),
    /// Print the distinct record references of the matching alerts, one a line, for
    /// `leakwatch fingerprint resolve --refs-file` (false positives left out).
    ExportRefs(ExportArgs),
    /// Serve the alerts HTTP API, live feed and dashboard on `api.listen`; with
    /// `transport.type = "kafka"` also store alerts from the alerts topic (as `ingest` does).
    Serve(super::serve::Args),
}

/// Output format of `alerts query`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// One JSON array of stored alerts.
    Json,
    /// CSV with a header row.
    Csv,
}

/// Filters shared by `query` and `export-refs`.
#[derive(clap::Args)]
pub struct Filters {
    /// Configuration (`leakwatch.toml`; its `[store]` table).
    #[arg(long)]
    config: PathBuf,
    /// Only alerts first seen since: a duration back from now (`30m`, `24h`, `7d`) or an
    /// RFC 3339 time (`2025-01-31T09:00:00Z`).
    #[arg(long)]
    since: Option<String>,
    /// Only alerts first seen before: a duration back from now or an RFC 3339 time.
    #[arg(long)]
    until: Option<String>,
}

/// Arguments of `alerts query`.
#[derive(clap::Args)]
pub struct QueryArgs {
    #[command(flatten)]
    filters: Filters,
    /// Only alerts at or above this confidence: low, medium, high.
    #[arg(long)]
    min_confidence: Option<Confidence>,
    /// Only alerts in this triage state: new, acknowledged, false_positive, resolved.
    #[arg(long)]
    status: Option<Status>,
    /// Only alerts of this crawl source id.
    #[arg(long)]
    source: Option<String>,
    /// Only alerts of these record references (repeatable).
    #[arg(long = "record", value_name = "REF")]
    records: Vec<String>,
    /// Only alerts whose URL contains this text (ASCII case-insensitive).
    #[arg(long)]
    url_contains: Option<String>,
    /// At most this many alerts (the newest).
    #[arg(long, default_value_t = 100)]
    limit: usize,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

/// Arguments of `alerts export-refs`.
#[derive(clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    filters: Filters,
    /// Only alerts at or above this confidence (`low` alerts name one field only).
    #[arg(long, default_value = "medium")]
    min_confidence: Confidence,
    /// Also export the records of alerts triaged as false positives.
    #[arg(long)]
    include_false_positives: bool,
}

/// Arguments of `alerts ingest`.
#[derive(clap::Args)]
pub struct IngestArgs {
    /// Configuration (`leakwatch.toml` with `transport.type = "kafka"`).
    #[arg(long)]
    config: PathBuf,
    /// Do not print new alerts (refs and URLs only) on stdout.
    #[arg(long)]
    quiet: bool,
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Ingest(args) => ingest(args),
        Command::Query(args) => query(args),
        Command::ExportRefs(args) => export_refs(args),
        Command::Serve(args) => super::serve::run(args),
    }
}

fn ingest(args: IngestArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config)?;
    let TransportConfig::Kafka(kafka) = &config.pipeline.transport else {
        anyhow::bail!(
            "transport.type: `leakwatch alerts ingest` reads the Kafka alerts topic; with the \
             embedded transport `leakwatch run` stores alerts itself"
        );
    };
    let store = alerts::open(&config.pipeline.store)
        .with_context(|| format!("store: {}", config.pipeline.store.describe()))?;
    let _purge = alerts::spawn_purge(store.clone(), &config.pipeline.store);
    eprintln!(
        "alerts ingest: group {}, topic {} -> {}",
        kafka.store_group,
        kafka.alerts_topic,
        config.pipeline.store.describe()
    );
    pipeline::block_on(async {
        let _webhooks = crate::cmd::serve::start_webhooks(
            &config,
            store.clone(),
            Arc::new(tokio::sync::Notify::new()),
        )?;
        crate::kafka::prepare(kafka).await?;
        crate::kafka::run_store_writer(kafka, store, !args.quiet, pipeline::shutdown_signal()).await
    })??;
    Ok(ExitCode::SUCCESS)
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Opens the configured store for reading; a SQLite file that does not exist is an error (not
/// a new, empty store).
fn open_store(config: &std::path::Path) -> anyhow::Result<Arc<dyn AlertStore>> {
    let config = Config::load(config)?;
    let store = &config.pipeline.store;
    if store.store_type == StoreType::Sqlite && !store.sqlite_path().exists() {
        bail!(
            "store.path {}: no such alert store (has `leakwatch run` or `alerts ingest` stored \
             anything yet?)",
            store.sqlite_path().display()
        );
    }
    alerts::open(store).with_context(|| format!("store: {}", store.describe()))
}

impl Filters {
    fn window(&self, now: u64) -> anyhow::Result<(Option<u64>, Option<u64>)> {
        let since = self
            .since
            .as_deref()
            .map(|t| parse_time(t, now).context("--since"))
            .transpose()?;
        let until = self
            .until
            .as_deref()
            .map(|t| parse_time(t, now).context("--until"))
            .transpose()?;
        Ok((since, until))
    }
}

/// Every alert matching `q`, newest first, at most `limit` (following the store's cursors).
/// The second value: whether more matched.
fn fetch(
    store: &dyn AlertStore,
    mut q: AlertQuery,
    limit: usize,
) -> anyhow::Result<(Vec<StoredAlert>, bool)> {
    let mut out = Vec::new();
    loop {
        q.limit = Some((limit - out.len()).clamp(1, alerts::MAX_LIMIT));
        let page = store.list(&q)?;
        out.extend(page.alerts);
        match page.next_cursor {
            Some(c) if out.len() < limit => q.cursor = Some(c),
            Some(_) => return Ok((out, true)),
            None => return Ok((out, false)),
        }
    }
}

fn query(a: QueryArgs) -> anyhow::Result<ExitCode> {
    if a.limit == 0 {
        bail!("--limit: must be greater than 0");
    }
    for r in &a.records {
        check_ref(r).context("--record")?;
    }
    let (since_ms, until_ms) = a.filters.window(now_ms())?;
    let store = open_store(&a.filters.config)?;
    let base = AlertQuery {
        since_ms,
        until_ms,
        min_confidence: a.min_confidence,
        source: a.source.clone(),
        status: a.status,
        url_contains: a.url_contains.clone(),
        ..Default::default()
    };
    let (mut found, mut more) = (Vec::new(), false);
    if a.records.is_empty() {
        (found, more) = fetch(&*store, base, a.limit)?;
    } else {
        let wanted: BTreeSet<&String> = a.records.iter().collect();
        for r in wanted {
            let q = AlertQuery {
                record: Some(r.clone()),
                ..base.clone()
            };
            let (f, m) = fetch(&*store, q, a.limit)?;
            found.extend(f);
            more |= m;
        }
        found.sort_by_key(|a| std::cmp::Reverse((a.first_seen_ms, a.seq)));
        if found.len() > a.limit {
            found.truncate(a.limit);
            more = true;
        }
    }
    let mut out = std::io::stdout().lock();
    let written = match a.format {
        Format::Table => write_table(&mut out, &found),
        Format::Json => serde_json::to_writer(&mut out, &found)
            .map_err(std::io::Error::other)
            .and_then(|()| writeln!(out)),
        Format::Csv => write_csv(&mut out, &found),
    };
    match written.and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        r => r.context("writing to stdout")?,
    }
    eprintln!(
        "{} alerts{}",
        found.len(),
        if more {
            format!(" (the newest {}; more match: raise --limit)", a.limit)
        } else {
            String::new()
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn export_refs(a: ExportArgs) -> anyhow::Result<ExitCode> {
    let (since_ms, until_ms) = a.filters.window(now_ms())?;
    let store = open_store(&a.filters.config)?;
    let mut q = AlertQuery {
        since_ms,
        until_ms,
        min_confidence: Some(a.min_confidence),
        limit: Some(alerts::MAX_LIMIT),
        ..Default::default()
    };
    let mut refs = BTreeSet::new();
    let (mut alerts_seen, mut skipped) = (0u64, 0u64);
    loop {
        let page = store.list(&q)?;
        for s in &page.alerts {
            if s.status == Status::FalsePositive && !a.include_false_positives {
                skipped += 1;
                continue;
            }
            alerts_seen += 1;
            refs.insert(s.alert.record.clone());
        }
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    let mut out = std::io::stdout().lock();
    let written = refs
        .iter()
        .try_for_each(|r| writeln!(out, "{r}"))
        .and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        r => r.context("writing to stdout")?,
    }
    eprintln!(
        "{} record references from {alerts_seen} alerts at {} or above{}",
        refs.len(),
        a.min_confidence,
        if skipped > 0 {
            format!(" ({skipped} false-positive alerts left out)")
        } else {
            String::new()
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn check_ref(r: &str) -> anyhow::Result<()> {
    let hex = r.strip_prefix('r').unwrap_or("");
    if hex.len() != 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("{r:?} is not a record reference (r + 16 hex digits)");
    }
    Ok(())
}

/// A time given as a duration back from `now_ms` (`90s`, `30m`, `24h`, `7d`) or as an RFC 3339
/// time (`2025-01-31T09:00:00Z`, `2025-01-31T18:00:00+09:00`, fractions of a second allowed).
fn parse_time(text: &str, now_ms: u64) -> anyhow::Result<u64> {
    let t = text.trim();
    if let Some(unit) = t.chars().last().filter(|c| "smhdw".contains(*c))
        && let Ok(n) = t[..t.len() - 1].parse::<u64>()
    {
        let ms = match unit {
            's' => 1000,
            'm' => 60_000,
            'h' => 3_600_000,
            'd' => 86_400_000,
            _ => 7 * 86_400_000,
        };
        return Ok(now_ms.saturating_sub(n.saturating_mul(ms)));
    }
    parse_rfc3339(t).ok_or_else(|| {
        anyhow::anyhow!(
            "{text:?}: not a duration (30m, 24h, 7d) or an RFC 3339 time (2025-01-31T09:00:00Z)"
        )
    })
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn parse_rfc3339(t: &str) -> Option<u64> {
    let b = t.as_bytes();
    if b.len() < 20 || !t.is_ascii() {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = &t[r];
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    let sep = |i: usize, c: &[u8]| c.contains(&b[i]);
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&mo) || d < 1 || d > month_days[(mo - 1) as usize] {
        return None;
    }
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut rest = &t[19..];
    let mut frac_ms = 0;
    if let Some(f) = rest.strip_prefix('.') {
        let digits = f.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let ms3: String = f[..digits].chars().chain("00".chars()).take(3).collect();
        frac_ms = ms3.parse::<i64>().ok()?;
        rest = &f[digits..];
    }
    let offset_s = match rest {
        "Z" | "z" => 0,
        _ => {
            let (sign, hm) = match rest.as_bytes().first()? {
                b'+' => (1, &rest[1..]),
                b'-' => (-1, &rest[1..]),
                _ => return None,
            };
            let (oh, om) = hm.split_once(':')?;
            if oh.len() != 2 || om.len() != 2 {
                return None;
            }
            let (oh, om): (i64, i64) = (oh.parse().ok()?, om.parse().ok()?);
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 3600 + om * 60)
        }
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s - offset_s;
    let ms = secs.checked_mul(1000)? + frac_ms;
    u64::try_from(ms).ok()
}

/// `2025-01-31T09:00:00Z` (UTC, seconds).
fn utc_time(ms: u64) -> String {
    let secs = (ms / 1000) as i64;
    let day = alerts::utc_day(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{day}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

fn write_table(out: &mut impl Write, alerts: &[StoredAlert]) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<20}  {:<6}  {:<14}  {:<17}  {:<32}  {:<10}  URL",
        "FIRST SEEN (UTC)", "CONF", "STATUS", "RECORD", "FIELDS", "SOURCE"
    )?;
    for s in alerts {
        let a = &s.alert;
        writeln!(
            out,
            "{:<20}  {:<6}  {:<14}  {:<17}  {:<32}  {:<10}  {}{}",
            utc_time(s.first_seen_ms),
            a.confidence.as_str(),
            s.status.as_str(),
            a.record,
            a.fields.join(","),
            printable(&a.source),
            printable(&a.url),
            if s.suppressed { "  (suppressed)" } else { "" }
        )?;
    }
    Ok(())
}

/// Control characters (a crawled URL could hold escape sequences) as `\u{..}`.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// One CSV cell: quoted when needed; a leading `=`, `+`, `-` or `@` is prefixed with `'` so a
/// spreadsheet does not run it as a formula (URLs and sources come from crawled sites).
fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn write_csv(out: &mut impl Write, alerts: &[StoredAlert]) -> std::io::Result<()> {
    writeln!(
        out,
        "id,first_seen,last_seen,confidence,status,record,fields,source,url,page_hash,\
         page_records,suppressed,assignee"
    )?;
    for s in alerts {
        let a = &s.alert;
        let cells = [
            a.id.clone(),
            utc_time(s.first_seen_ms),
            utc_time(s.last_seen_ms),
            a.confidence.as_str().into(),
            s.status.as_str().into(),
            a.record.clone(),
            a.fields.join(" "),
            a.source.clone(),
            a.url.clone(),
            a.page_hash.clone(),
            a.page_records.to_string(),
            s.suppressed.to_string(),
            s.assignee.clone().unwrap_or_default(),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        writeln!(out, "{}", line.join(","))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000_000;

    #[test]
    fn times() {
        let cases: &[(&str, Option<u64>)] = &[
            ("30m", Some(NOW - 1_800_000)),
            ("24h", Some(NOW - 86_400_000)),
            ("7d", Some(NOW - 7 * 86_400_000)),
            ("2w", Some(NOW - 14 * 86_400_000)),
            ("90s", Some(NOW - 90_000)),
            ("0h", Some(NOW)),
            ("1970-01-01T00:00:00Z", Some(0)),
            ("2023-11-14T22:13:20Z", Some(NOW)),
            ("2023-11-14T22:13:20.5Z", Some(NOW + 500)),
            ("2023-11-14T22:13:20.123456Z", Some(NOW + 123)),
            ("2023-11-15T07:13:20+09:00", Some(NOW)),
            ("2023-11-14 22:13:20z", Some(NOW)),
            ("2024-02-29T00:00:00Z", Some(1_709_164_800_000)),
            ("2023-02-29T00:00:00Z", None),
            ("2023-11-14T24:00:00Z", None),
            ("2023-11-14T22:13:20", None),
            ("2023-11-14", None),
            ("yesterday", None),
            ("h", None),
            ("-5h", None),
            ("5y", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_time(text, NOW).ok(), *want, "{text:?}");
        }
        assert_eq!(utc_time(NOW + 999), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn csv_cells() {
        for (cell, want) in [
            ("plain", "plain"),
            ("a,b", "\"a,b\""),
            ("say \"x\"", "\"say \"\"x\"\"\""),
            ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
            ("-1", "'-1"),
            ("line\nbreak", "\"line\nbreak\""),
        ] {
            assert_eq!(csv_cell(cell), want, "{cell:?}");
        }
        assert_eq!(printable("a\u{1b}[31m"), "a\\u{1b}[31m");
        assert!(check_ref("r0123456789abcdef").is_ok());
        assert!(check_ref("r0123").is_err());
    }
}
