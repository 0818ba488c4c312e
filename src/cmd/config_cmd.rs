//! `leakwatch config check`: reads a `leakwatch.toml` exactly as the process of one role would
//! (`crawl`, `match`, `alerts serve`; without `--role`, `run`), with that role's own
//! requirements, and prints what the role will use (topics, groups, listen addresses, the files
//! it reads and writes) as one JSON object on stdout. Exit status 0 valid, 2 not, with the error
//! naming the key. Deployment checks (`tests/deploy_k8s.rs`) run it on the Kubernetes
//! ConfigMaps, where the pod's paths do not exist: with `--role`, files are only required to
//! exist with `--require-files`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::config::{Config, TransportConfig};

/// `config` subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Check a configuration as the process of a role reads it; print what that role uses as
    /// JSON (exit 0 valid, 2 not).
    Check(CheckArgs),
}

/// The process a configuration is for.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// `leakwatch crawl`.
    Crawl,
    /// `leakwatch match`.
    Match,
    /// `leakwatch alerts serve`.
    Alerts,
}

/// Arguments of `config check`.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// Configuration (`leakwatch.toml`).
    #[arg(long)]
    config: PathBuf,
    /// Check it as this role's process reads it. Without: as `leakwatch run` (every role in
    /// one process), with the files it reads required.
    #[arg(long, value_enum)]
    role: Option<Role>,
    /// Also read the files the role reads (bundle and key — the bundle is opened with the key
    /// —, store URL file, token files), as the process would at start-up.
    #[arg(long)]
    require_files: bool,
}

/// A syntactically valid v3 onion address (its key is a hash of a fixed string, so no service
/// has it), used to check an `[onion]` table that no onion source uses yet.
const PROBE_ONION: &str = "http://gkffho3twgvmd72flef77fyhja6axsnhrzmv3x3yjmgnkll6q4z6rcid.onion/";

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Check(args) => check(args),
    }
}

fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.config)
        .with_context(|| format!("reading config {}", args.config.display()))?;
    let summary = check_text(&text, args.role, args.require_files || args.role.is_none())
        .with_context(|| format!("config {}", args.config.display()))?;
    println!("{summary}");
    eprintln!(
        "{}: valid for {}",
        args.config.display(),
        summary["role"].as_str().unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}

/// What a role reads or writes: `(key, path, secret)`.
type FileUse = (String, PathBuf, bool);

fn check_text(text: &str, role: Option<Role>, require_files: bool) -> anyhow::Result<Value> {
    let config = Config::from_toml(text)?;
    let p = &config.pipeline;
    let (crawls, matches, stores) = match role {
        Some(Role::Crawl) => (true, false, false),
        Some(Role::Match) => (false, true, false),
        Some(Role::Alerts) => (false, false, true),
        None => (true, true, true),
    };
    let kafka = match &p.transport {
        TransportConfig::Kafka(k) => Some(k.as_ref()),
        TransportConfig::Embedded { .. } => None,
    };
    if matches && role.is_some() && kafka.is_none() {
        bail!(
            "transport.type: `leakwatch match` reads pages from Kafka; with the embedded \
             transport use `leakwatch run`"
        );
    }

    let mut reads: Vec<FileUse> = Vec::new();
    let mut writes: Vec<FileUse> = Vec::new();
    if crawls {
        check_onion_table(text, &config)?;
        if let Some(path) = &config.crawl.crawler.state_path {
            writes.push(("crawler.state_path".into(), path.clone(), false));
        }
        // Reported when set, even before an onion source uses them.
        for (key, dir) in [
            ("onion.state_dir", &config.crawl.onion.state_dir),
            ("onion.cache_dir", &config.crawl.onion.cache_dir),
        ] {
            if let Some(dir) = dir {
                writes.push((key.into(), dir.clone(), false));
            }
        }
    }
    if matches {
        let (bundle, key) = p.matcher.paths()?;
        reads.push(("matcher.bundle_path".into(), bundle.to_owned(), false));
        reads.push(("matcher.key_file".into(), key.to_owned(), true));
        if let Some(f) = &p.matcher.passwords_file {
            reads.push(("matcher.passwords_file".into(), f.clone(), true));
        }
    }
    if stores {
        match p.store.store_type {
            alerts::StoreType::Sqlite => {
                writes.push(("store.path".into(), p.store.sqlite_path().to_owned(), false));
            }
            alerts::StoreType::Postgres => {
                if let Some(f) = &p.store.url_file {
                    reads.push(("store.url_file".into(), f.clone(), true));
                }
            }
        }
        // `alerts serve` binds api.listen: without tokens, loopback only.
        let api_addr = p.api.listen_addr()?;
        alerts::api::check_listen(api_addr, p.api.tokens.is_empty())?;
        for (i, t) in p.api.tokens.iter().enumerate() {
            if let Some(f) = &t.token_file {
                reads.push((format!("api.token[{i}].token_file"), f.clone(), true));
            }
        }
        // The process that stores alerts also delivers the webhooks.
        for h in &p.webhooks {
            if let Some(f) = &h.secret_file {
                reads.push((format!("webhook[{}].secret_file", h.name), f.clone(), true));
            }
        }
    }

    if require_files {
        for (key, path, _) in &reads {
            require_file(key, path)?;
        }
        if matches {
            let (bundle, key) = p.matcher.paths()?;
            let m = &p.matcher;
            crate::pipeline::MatchStage::open(
                bundle,
                key,
                m.scan.clone(),
                m.min_confidence,
                m.passwords_file.as_deref(),
            )
            .context("matcher.bundle_path / matcher.key_file")?;
        }
        if stores {
            if p.store.store_type == alerts::StoreType::Postgres {
                p.store.postgres_url()?;
            }
            p.api.auth()?;
        }
    }

    let mut consumes = Vec::new();
    let mut produces = Vec::new();
    if let Some(k) = kafka {
        if crawls && !config.crawl.crawler.once {
            consumes.push(json!({"topic": k.crawl_tasks_topic, "group": k.crawler_group}));
            consumes.push(json!({"topic": k.crawl_schedule_topic, "group": k.scheduler_group}));
            produces.push(k.crawl_tasks_topic.clone());
            produces.push(k.crawl_schedule_topic.clone());
        }
        if crawls {
            produces.push(k.pages_topic.clone());
        }
        if matches {
            consumes.push(json!({"topic": k.pages_topic, "group": k.matcher_group}));
            produces.push(k.alerts_topic.clone());
        }
        if stores {
            consumes.push(json!({"topic": k.alerts_topic, "group": k.store_group}));
        }
        if !consumes.is_empty() {
            produces.push(k.dead_letter_topic.clone());
        }
    }
    let transport = match kafka {
        Some(k) => json!({
            "type": "kafka",
            "brokers": k.brokers,
            "pages_topic": k.pages_topic,
            "alerts_topic": k.alerts_topic,
            "crawl_tasks_topic": k.crawl_tasks_topic,
            "crawl_schedule_topic": k.crawl_schedule_topic,
            "dead_letter_topic": k.dead_letter_topic,
            "crawler_group": k.crawler_group,
            "scheduler_group": k.scheduler_group,
            "schedule_after_ms": k.schedule_after_ms,
            "matcher_group": k.matcher_group,
            "store_group": k.store_group,
            "create_topics": k.create_topics,
            "partitions": k.partitions,
            "pages_retention_ms": k.pages_retention_ms,
            "retention_ms": k.retention_ms,
            "message_max_bytes": k.message_max_bytes,
        }),
        None => json!({"type": "embedded"}),
    };
    let files = |list: &[FileUse]| -> Vec<Value> {
        list.iter()
            .map(|(key, path, secret)| json!({"key": key, "path": path, "secret": secret}))
            .collect()
    };
    let mut listen = serde_json::Map::new();
    if (crawls || matches)
        && let Some(addr) = p.ops.listen_addr()?
    {
        listen.insert("ops".into(), json!(addr.to_string()));
    }
    if stores {
        listen.insert("api".into(), json!(p.api.listen_addr()?.to_string()));
    }
    let role_name = match role {
        Some(Role::Crawl) => "crawl",
        Some(Role::Match) => "match",
        Some(Role::Alerts) => "alerts",
        None => "run",
    };
    Ok(json!({
        "role": role_name,
        "transport": transport,
        "listen": listen,
        "consumes": consumes,
        "produces": produces,
        "reads": files(&reads),
        "writes": files(&writes),
        "sources": config.crawl.sources.len(),
        "tor": crawls && runs_tor(&config),
    }))
}

/// Whether the crawler of this configuration starts the embedded Tor client (an onion source).
fn runs_tor(config: &Config) -> bool {
    config
        .crawl
        .sources
        .iter()
        .any(|s| matches!(s, crawler::sources::SourceConfig::Onion(_)))
}

/// A file the role reads: it must be a readable regular file.
fn require_file(key: &str, path: &Path) -> anyhow::Result<()> {
    let meta = std::fs::metadata(path).with_context(|| format!("{key}: {}", path.display()))?;
    if !meta.is_file() {
        bail!("{key}: {} is not a regular file", path.display());
    }
    std::fs::File::open(path).with_context(|| format!("{key}: {}", path.display()))?;
    Ok(())
}

/// An `[onion]` table is only checked by the crawler once an onion source uses it. A deployment
/// ships the table before its operator adds onion seeds, so check it now as if one did.
fn check_onion_table(text: &str, config: &Config) -> anyhow::Result<()> {
    if runs_tor(config) {
        return Ok(());
    }
    let mut table: toml::Table =
        toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", e.to_string().trim_end()))?;
    if !table.contains_key("onion") {
        return Ok(());
    }
    let mut probe = toml::Table::new();
    probe.insert("type".into(), "onion".into());
    probe.insert("id".into(), "config-check-onion".into());
    probe.insert("seeds".into(), toml::Value::Array(vec![PROBE_ONION.into()]));
    let sources = table
        .entry("source")
        .or_insert_with(|| toml::Value::Array(Vec::new()));
    let Some(sources) = sources.as_array_mut() else {
        bail!("source: must be an array of tables ([[source]])");
    };
    sources.push(toml::Value::Table(probe));
    let probed = toml::to_string(&table).context("re-encoding the configuration")?;
    Config::from_toml(&probed)
        .map(|_| ())
        .context("onion: checked as if an onion source used it")
}

#[cfg(test)]
mod tests {
    use super::*;

    const KAFKA: &str = "[transport]\ntype = \"kafka\"\nbrokers = \"k:9092\"\n";

    #[test]
    fn roles_and_their_requirements() {
        let matcher = format!("{KAFKA}[matcher]\nbundle_path = \"/b\"\nkey_file = \"/k\"\n");
        let cases: [(String, Option<Role>, Result<&str, &str>); 8] = [
            (KAFKA.into(), Some(Role::Crawl), Ok("crawl")),
            (KAFKA.into(), Some(Role::Match), Err("matcher.bundle_path")),
            (matcher.clone(), Some(Role::Match), Ok("match")),
            ("".into(), Some(Role::Match), Err("transport.type")),
            (
                format!("{KAFKA}[store]\ntype = \"postgres\"\nurl_file = \"/u\"\n"),
                Some(Role::Alerts),
                Ok("alerts"),
            ),
            (matcher.clone(), None, Err("matcher.bundle_path: /b")),
            (
                format!("{KAFKA}[api]\nlisten = \"0.0.0.0:8080\"\n"),
                Some(Role::Alerts),
                Err("api.listen"),
            ),
            (
                format!(
                    "{KAFKA}[onion]\narti = {{ storage = {{ permissions = {{ dangerously_trust_everyone = \"yes\" }} }} }}\n"
                ),
                Some(Role::Crawl),
                Err("onion"),
            ),
        ];
        for (text, role, want) in cases {
            let got = check_text(&text, role, role.is_none()).map_err(|e| format!("{e:#}"));
            match (got, want) {
                (Ok(v), Ok(r)) => assert_eq!(v["role"], r, "{text}"),
                (Err(e), Err(k)) => assert!(e.contains(k), "{text}: {e}"),
                (got, want) => panic!("{text}: {got:?}, wanted {want:?}"),
            }
        }
    }

    #[test]
    fn the_summary_names_what_the_role_uses() {
        let v = check_text(
            &format!("{KAFKA}[matcher]\nbundle_path = \"/b\"\nkey_file = \"/k\"\n"),
            Some(Role::Match),
            false,
        )
        .unwrap();
        assert_eq!(
            v["consumes"],
            json!([{"topic": "pages", "group": "leakwatch-matchers"}])
        );
        assert_eq!(v["produces"], json!(["alerts", "dead-letter"]));
        assert_eq!(
            v["reads"][1],
            json!({"key": "matcher.key_file", "path": "/k", "secret": true})
        );
        let v = check_text(
            &format!(
                "{KAFKA}[matcher]\nbundle_path = \"/b\"\nkey_file = \"/k\"\n\
                 passwords_file = \"/p\"\n"
            ),
            Some(Role::Match),
            false,
        )
        .unwrap();
        assert_eq!(
            v["reads"][2],
            json!({"key": "matcher.passwords_file", "path": "/p", "secret": true})
        );
        let v = check_text(
            &format!(
                "{KAFKA}[api]\nlisten = \"0.0.0.0:8080\"\n[[api.token]]\nname = \"a\"\n\
                 role = \"admin\"\ntoken_file = \"/t/a\"\n"
            ),
            Some(Role::Alerts),
            false,
        )
        .unwrap();
        assert_eq!(v["listen"], json!({"api": "0.0.0.0:8080"}));
        assert_eq!(v["reads"][0]["key"], "api.token[0].token_file");
        let v = check_text(KAFKA, Some(Role::Crawl), false).unwrap();
        assert_eq!(v["consumes"][0]["group"], "leakwatch-crawlers");
        assert_eq!(
            v["consumes"][1],
            json!({"topic": "crawl-schedule", "group": "leakwatch-crawl-scheduler"})
        );
        assert_eq!(v["tor"], false);
    }
}
