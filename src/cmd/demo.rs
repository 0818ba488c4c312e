//! `leakwatch demo`: the whole job in one command, offline.
//!
//! Creates a key, a synthetic register and its bundle in a directory, starts a demo paste site
//! on loopback (a Pastebin-shaped scraping API: `/api_scraping.php` lists the pastes published
//! so far, `/api_scrape_item.php?i=KEY` serves one raw), points the crawler's `paste_api` source
//! at it and runs the embedded pipeline. The site publishes ordinary pastes, look-alike data
//! (synthetic people who are NOT in the register, written like leaks) and real leaks of
//! residents in nineteen forms ([`fingerprints::leaks`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use alerts::SqliteStore;
use anyhow::Context;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use fingerprints::leaks::{self, LeakForm};
use fingerprints::records::ReadOptions;
use fingerprints::{Schema, SecretKey, synth};
use serde::Serialize;

use super::serve::ApiServer;
use crate::config::Config;
use crate::pipeline::{self, MatchStage, OnNewAlert};

/// Arguments of `demo`.
#[derive(clap::Args)]
pub struct Args {
    /// Directory for the key, register, bundle, crawl state and alert store (its demo files are
    /// replaced); default: a temporary directory removed at exit.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Publish every paste at once, process them, print a JSON summary on stdout and exit.
    #[arg(long)]
    once: bool,
    /// Residents in the synthetic register.
    #[arg(long, default_value_t = 2_000)]
    residents: usize,
    /// Seed of the register and the pastes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Without --once: time between two new pastes on the demo site.
    #[arg(long, default_value_t = 1_000)]
    paste_interval_ms: u64,
    /// Without --once: loopback address of the dashboard and API (auth off); a free port is
    /// taken instead if this one is busy.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
}

/// What kind of paste (kept by the demo site only, never sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Ordinary,
    LookAlike,
    Leak,
}

/// One paste of the demo site.
pub(crate) struct Paste {
    pub key: String,
    pub title: String,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub kind: Kind,
    /// Offset from the site's start when it appears in the listing.
    pub publish_after_ms: u64,
}

/// Residents written into the leak pastes: 3 per leak form from this index on.
pub const LEAKED_FROM: usize = 100;
/// Residents per leak paste.
pub const PER_LEAK: usize = 3;

pub(crate) const ORDINARY: &[(&str, &str)] = &[
    (
        "nginx.conf",
        "server {\n  listen 80;\n  server_name example.org;\n  location / { proxy_pass http://127.0.0.1:8080; }\n}\n",
    ),
    (
        "meeting notes",
        "2024年4月の定例会議メモ\n- 議題: 新システムの移行計画\n- 次回: 5月10日 14:00 会議室B\n- 担当: 開発チーム\n",
    ),
    (
        "fizzbuzz.py",
        "for i in range(1, 101):\n    print('FizzBuzz' if i % 15 == 0 else 'Fizz' if i % 3 == 0 else 'Buzz' if i % 5 == 0 else i)\n",
    ),
    (
        "order export",
        "order_id,sku,qty,price\n100234,SKU-0042,2,1980\n100235,SKU-0007,1,450\n100236,SKU-0042,5,1980\n",
    ),
    (
        "recipe",
        "カレーライス (4人分)\n玉ねぎ 2個、にんじん 1本、じゃがいも 3個、豚肉 300g\n1. 野菜を切る 2. 炒める 3. 20分煮込む\n",
    ),
    (
        "server log",
        "2024-05-01T12:00:01Z INFO started worker pid=4312\n2024-05-01T12:00:02Z WARN slow request path=/api/v1/items took=1532ms\n",
    ),
];

fn paste_key(seed: u64, i: usize) -> String {
    let h = blake3::hash(format!("leakwatch demo paste {seed} {i}").as_bytes());
    h.to_hex()[..10].to_owned()
}

/// The demo site's pastes, in publication order: ordinary ones, look-alikes and leaks mixed.
fn pastes(residents: &[synth::Resident], seed: u64, interval_ms: u64) -> Vec<Paste> {
    let mut out: Vec<(String, &'static str, Vec<u8>, Kind)> = Vec::new();
    for (title, body) in ORDINARY {
        out.push((
            (*title).to_owned(),
            "text/plain; charset=utf-8",
            body.as_bytes().to_vec(),
            Kind::Ordinary,
        ));
    }
    // Look-alike data: people who are not in the register, written like leaks.
    let strangers = synth::non_residents(3 * PER_LEAK, seed);
    for (i, form) in [LeakForm::CsvRegister, LeakForm::Prose, LeakForm::JsonLines]
        .into_iter()
        .enumerate()
    {
        let people = &strangers[i * PER_LEAK..(i + 1) * PER_LEAK];
        out.push((
            format!("customers ({})", form.name()),
            form.content_type(),
            leaks::render(form, people, seed ^ 0x100 ^ i as u64),
            Kind::LookAlike,
        ));
    }
    // Real leaks of residents, one per form.
    for (i, form) in LeakForm::ALL.into_iter().enumerate() {
        let from = LEAKED_FROM + i * PER_LEAK;
        let Some(people) = residents.get(from..from + PER_LEAK) else {
            break;
        };
        out.push((
            format!("dump ({})", form.name()),
            form.content_type(),
            leaks::render(form, people, seed ^ i as u64),
            Kind::Leak,
        ));
    }
    // Interleave deterministically so leaks do not all come last.
    let n = out.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| (i * 7 + seed as usize) % n);
    order
        .into_iter()
        .enumerate()
        .map(|(slot, i)| {
            let (title, content_type, body, kind) = out[i].clone();
            Paste {
                key: paste_key(seed, i),
                title,
                content_type,
                body,
                kind,
                publish_after_ms: slot as u64 * interval_ms,
            }
        })
        .collect()
}

pub(crate) struct Site {
    pub pastes: Vec<Paste>,
    pub started: std::time::Instant,
}

#[derive(Serialize)]
struct ListingItem<'a> {
    key: &'a str,
    title: &'a str,
    date: String,
    size: usize,
    scrape_url: String,
}

async fn site_handler(State(site): State<Arc<Site>>, req: Request) -> Response {
    let now = site.started.elapsed().as_millis() as u64;
    let unix_s = pipeline::now_ms() / 1000;
    let published = site.pastes.iter().filter(|p| p.publish_after_ms <= now);
    match req.uri().path() {
        "/api_scraping.php" => {
            // Newest first, as Pastebin lists them.
            let mut items: Vec<ListingItem<'_>> = published
                .map(|p| ListingItem {
                    key: &p.key,
                    title: &p.title,
                    date: (unix_s - (now - p.publish_after_ms) / 1000).to_string(),
                    size: p.body.len(),
                    scrape_url: format!("/api_scrape_item.php?i={}", p.key),
                })
                .collect();
            items.reverse();
            let body = serde_json::to_vec(&items).unwrap_or_default();
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        "/api_scrape_item.php" => {
            let key = req
                .uri()
                .query()
                .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("i=")))
                .unwrap_or("");
            match site.pastes.iter().find(|p| p.key == key) {
                Some(p) if p.publish_after_ms <= now => {
                    ([(header::CONTENT_TYPE, p.content_type)], p.body.clone()).into_response()
                }
                _ => (StatusCode::NOT_FOUND, "no such paste").into_response(),
            }
        }
        _ => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// Serves the demo site on 127.0.0.1 (an ephemeral port) until the runtime stops.
pub(crate) async fn serve_site(site: Arc<Site>) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("binding the demo site to 127.0.0.1")?;
    let addr = listener.local_addr()?;
    let app = axum::Router::new().fallback(site_handler).with_state(site);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("demo site: {e}");
        }
    });
    Ok(addr)
}

/// Key, register and bundle in `dir` (replacing earlier demo files).
pub(crate) fn prepare(
    dir: &Path,
    residents: &[synth::Resident],
) -> anyhow::Result<(PathBuf, PathBuf)> {
    for f in [
        "secret.key",
        "residents.lwfp",
        "crawl-state.sqlite",
        "alerts.sqlite",
        "alerts.sqlite-wal",
        "alerts.sqlite-shm",
    ] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    let (csv, schema) = synth::write_register(&dir.join("register"), residents)
        .with_context(|| format!("writing the register into {}", dir.display()))?;
    let key_path = dir.join("secret.key");
    let key = SecretKey::generate()?;
    key.write_new(&key_path)?;
    let schema = Schema::read(&schema)?;
    let (bundle, _report) =
        fingerprints::build_from_file(&csv, &schema, ReadOptions::default(), &key, |_| {})?;
    let bundle_path = dir.join("residents.lwfp");
    bundle.write(&bundle_path, &key)?;
    Ok((bundle_path, key_path))
}

pub(crate) fn toml_str(p: &Path) -> String {
    toml::Value::String(p.display().to_string()).to_string()
}

#[derive(Serialize)]
struct Summary {
    pages: u64,
    pastes: usize,
    planted: Planted,
    alerts: pipeline::StoreSummary,
    bundle_id: String,
    store: String,
}

#[derive(Serialize)]
struct Planted {
    leak_pastes: usize,
    leaked_residents: usize,
    look_alike_pastes: usize,
    ordinary_pastes: usize,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let temp;
    let dir = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
            d.clone()
        }
        None => {
            temp = tempfile::Builder::new()
                .prefix("leakwatch-demo")
                .tempdir()?;
            temp.path().to_owned()
        }
    };
    let residents = synth::residents(
        args.residents
            .max(LEAKED_FROM + PER_LEAK * LeakForm::ALL.len()),
        args.seed,
    );
    eprintln!(
        "demo: {} synthetic residents, key and bundle in {}",
        residents.len(),
        dir.display()
    );
    let (bundle_path, key_path) = prepare(&dir, &residents)?;
    let interval = if args.once { 0 } else { args.paste_interval_ms };
    let pastes = pastes(&residents, args.seed, interval);
    let count = |k: Kind| pastes.iter().filter(|p| p.kind == k).count();
    let planted = Planted {
        leak_pastes: count(Kind::Leak),
        leaked_residents: count(Kind::Leak) * PER_LEAK,
        look_alike_pastes: count(Kind::LookAlike),
        ordinary_pastes: count(Kind::Ordinary),
    };
    let n_pastes = pastes.len();
    let site = Arc::new(Site {
        pastes,
        started: std::time::Instant::now(),
    });
    let store_path = dir.join("alerts.sqlite");
    let once = args.once;
    let listen = args.listen.clone();
    pipeline::block_on(async move {
        let addr = serve_site(site).await?;
        let text = format!(
            r#"
            [crawler]
            once = {once}
            state_path = {state}
            global_concurrency = 8

            [politeness]
            per_host_concurrency = 4
            min_interval_ms = 10

            [[source]]
            type = "paste_api"
            id = "demo-pastes"
            listing_url = "http://{addr}/api_scraping.php?limit=100"
            poll_interval_ms = 2000

            [matcher]
            bundle_path = {bundle}
            key_file = {key}

            [store]
            path = {store}
            "#,
            state = toml_str(&dir.join("crawl-state.sqlite")),
            bundle = toml_str(&bundle_path),
            key = toml_str(&key_path),
            store = toml_str(&store_path),
        );
        let config = Config::from_toml(&text).context("the demo's configuration")?;
        let m = config.pipeline.matcher.clone();
        let stage = tokio::task::spawn_blocking(move || {
            let (b, k) = m.paths()?;
            MatchStage::open(
                b,
                k,
                m.scan.clone(),
                m.min_confidence,
                m.passwords_file.as_deref(),
            )
        })
        .await??;
        let bundle_id = stage.bundle_id().to_owned();
        let store = Arc::new(SqliteStore::open(&store_path)?);
        eprintln!("demo: paste site at http://{addr}/api_scraping.php ({n_pastes} pastes)");
        eprintln!("demo: alerts are stored in {}", store_path.display());
        // The dashboard and API on loopback (auth off), unless this is a --once pass; another
        // port if the default one is taken.
        let server = if once {
            None
        } else {
            let api_config = alerts::api::ApiConfig {
                listen: listen.clone(),
                ..Default::default()
            };
            let server = ApiServer::start(store.clone(), &api_config, true).await?;
            eprintln!("demo: dashboard at http://{}/", server.addr);
            Some(server)
        };
        if !once {
            eprintln!("demo: a new paste every {interval} ms; Ctrl-C to stop");
        }
        let notify = server.as_ref().map(|s| s.notify.clone());
        let printer: OnNewAlert = Arc::new(move |a| {
            let line = pipeline::alert_line(a);
            if once {
                eprintln!("{line}");
            } else {
                println!("{line}");
            }
            if let Some(n) = &notify {
                n.notify_waiters();
            }
        });
        let report = pipeline::run_embedded(
            config,
            Arc::new(stage),
            store,
            Some(printer),
            pipeline::shutdown_signal(),
        )
        .await;
        if let Some(server) = server {
            server.stop().await?;
        }
        let report = report?;
        let summary = Summary {
            pages: report.pages,
            pastes: n_pastes,
            planted,
            alerts: report.alerts,
            bundle_id,
            store: store_path.display().to_string(),
        };
        println!("{}", serde_json::to_string(&summary)?);
        // Give the site a moment to finish responses in flight before the runtime stops.
        tokio::time::sleep(Duration::from_millis(10)).await;
        anyhow::Ok(())
    })??;
    Ok(ExitCode::SUCCESS)
}
