//! A Pastebin-shaped paste site on loopback and a register + key + bundle made with the real
//! binary: the shared set-up of the `leakwatch run --once` tests.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

/// Runs the real binary.
pub fn leakwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leakwatch"))
        .args(args)
        .output()
        .expect("run leakwatch")
}

/// Its stdout, after asserting success (stderr in the failure message).
pub fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Serves a listing (`/api_scraping.php`) of one leak paste (`?i=a`, the given text) and one
/// harmless paste (`?i=b`); returns the base URL.
pub fn serve(leak: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request_line.split(' ').nth(1).unwrap_or("/");
            let (content_type, body) = match path {
                "/api_scraping.php" => (
                    "application/json",
                    r#"[{"key":"a","date":"1","scrape_url":"/api_scrape_item.php?i=a"},
                        {"key":"b","date":"2","scrape_url":"/api_scrape_item.php?i=b"}]"#
                        .to_owned(),
                ),
                "/api_scrape_item.php?i=a" => ("text/plain; charset=utf-8", leak.clone()),
                "/api_scrape_item.php?i=b" => ("text/plain", "nothing to see".to_owned()),
                _ => ("text/plain", String::new()),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{}",
                body.len(),
                body
            );
        }
    });
    format!("http://{addr}")
}

/// Writes a synthetic register (`reg/residents.csv`), a key (`secret.key`) and its bundle
/// (`residents.lwfp`) into `dir`; returns the register's CSV text.
pub fn register_and_bundle(dir: &Path, residents: usize, seed: u64) -> String {
    let p = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    ok(leakwatch(&[
        "demo-data",
        "--residents",
        &residents.to_string(),
        "--seed",
        &seed.to_string(),
        "--out",
        &p("reg"),
    ]));
    ok(leakwatch(&["keygen", "--out", &p("secret.key")]));
    fingerprint_build(
        dir,
        "reg/residents.csv",
        "reg/schema.toml",
        "residents.lwfp",
        &[],
    );
    std::fs::read_to_string(p("reg/residents.csv")).unwrap()
}

/// `fingerprint build` of `records` with `schema` and `secret.key` (all in `dir`) into `out`
/// (in `dir`), with `extra` arguments; it must succeed. Returns its output.
pub fn fingerprint_build(
    dir: &Path,
    records: &str,
    schema: &str,
    out: &str,
    extra: &[&str],
) -> Output {
    let p = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let (records, schema, key, out) = (p(records), p(schema), p("secret.key"), p(out));
    let mut args = vec![
        "fingerprint",
        "build",
        "--records",
        &records,
        "--schema",
        &schema,
        "--key-file",
        &key,
        "--out",
        &out,
    ];
    args.extend_from_slice(extra);
    let build = leakwatch(&args);
    assert!(
        build.status.success(),
        "fingerprint build: {}",
        String::from_utf8_lossy(&build.stderr)
    );
    build
}
