//! The bad-input catalogue (issue 9): every hostile or broken input a user or an attacker can
//! hand leakwatch, each driven through the real binary with its exact outcome asserted — the
//! message (what is wrong and where: a line number, a key, a file), the exit status, and that
//! nothing else is affected (the good rows are still built, the other pages still crawled and
//! matched, the server still answers, the table intact).
//!
//! - records: bad encodings, ragged rows, missing columns, empty and duplicate ids, empty files;
//!   schemas with unknown kinds, keys or types (`fingerprint build`);
//! - bundles: wrong key, truncated, corrupt, future version, not a bundle (`fingerprint verify`
//!   and `scan`);
//! - pages: one hostile loopback site (empty, 100 MB streamed, binary, Shift_JIS claiming UTF-8,
//!   100,000-deep HTML, a gzip bomb as a transfer encoding and as a file, a leak in a `.tar.gz`,
//!   one in a `.sql.bz2`, one in a `.7z` and one in a `.7z` cut before its header, one in a
//!   `.rar` and one in a `.rar` cut inside the file (a broken download), one in an
//!   old Word `.doc`, one attached to an Outlook `.msg`, one printed to PDF and one in an RTF
//!   document 100,000 groups deep, 10,000 links,
//!   a redirect loop) through `run --once` (the leaks on it are still alerted) and
//!   `crawl --once` (each page's fate by name);
//! - config: unknown keys and tables, wrong types (`config check`, `run --check`);
//! - API: tokens, roles, oversized and malformed bodies, SQL-ish filters (`alerts serve`).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fingerprints::{Hasher, SecretKey};
use support::http::{AlertsServer, call};

/// Runs the real binary; a run that outlives `limit` is killed and fails the test (a hang is a
/// bug here, not a slow machine: every case is bounded by its own caps).
fn leakwatch_within(args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_leakwatch"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run leakwatch");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let o = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let e = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = e.join().unwrap();
            panic!(
                "leakwatch {args:?} still running after {limit:?}; stderr:\n{}",
                String::from_utf8_lossy(&stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: o.join().unwrap(),
        stderr: e.join().unwrap(),
    }
}

fn leakwatch(args: &[&str]) -> Output {
    leakwatch_within(args, Duration::from_secs(120))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn toml_path(p: &Path) -> String {
    toml::Value::String(p.display().to_string()).to_string()
}

/// A data owner's directory: a synthetic register, a key and the bundle built from them.
struct Owner {
    dir: tempfile::TempDir,
    /// The register's lines, header first (line number = index + 1).
    lines: Vec<String>,
}

impl Owner {
    fn new(residents: usize, seed: u64) -> Owner {
        let dir = tempfile::tempdir().unwrap();
        support::paste::register_and_bundle(dir.path(), residents, seed);
        let csv = std::fs::read_to_string(dir.path().join("reg/residents.csv")).unwrap();
        Owner {
            dir,
            lines: csv.lines().map(str::to_owned).collect(),
        }
    }
    fn p(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn s(&self, name: &str) -> String {
        self.p(name).display().to_string()
    }
    /// The header and the given register rows (1-based row numbers), as a leak would hold them.
    fn leak(&self, rows: std::ops::Range<usize>) -> String {
        std::iter::once(&self.lines[0])
            .chain(&self.lines[rows])
            .map(|l| format!("{l}\n"))
            .collect()
    }
    /// The record references of those rows under this owner's key.
    fn refs(&self, rows: std::ops::Range<usize>) -> BTreeSet<String> {
        let key = SecretKey::read(&self.p("secret.key")).unwrap();
        let h = Hasher::new(&key);
        self.lines[rows]
            .iter()
            .map(|l| h.record_ref(l.split(',').next().unwrap()).to_string())
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Records and schemas: `fingerprint build`.

enum Want {
    /// Exit 0: this many records built, exactly these rows rejected (line, reason).
    Built {
        records: u64,
        rejected: &'static [(u64, &'static str)],
    },
    /// Exit 2 with this message; no bundle written.
    Refused(&'static str),
}

struct RecordCase {
    name: &'static str,
    /// The register file's bytes, made from the good register's lines.
    file: fn(&[String]) -> Vec<u8>,
    /// A schema to use instead of the register's own.
    schema: Option<&'static str>,
    want: Want,
}

fn join(lines: &[String]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|l| format!("{l}\n").into_bytes())
        .collect()
}

fn with_field(
    lines: &[String],
    line: usize,
    col: usize,
    f: impl Fn(&str) -> String,
) -> Vec<String> {
    let mut out = lines.to_vec();
    let mut fields: Vec<String> = out[line - 1].split(',').map(str::to_owned).collect();
    fields[col] = f(&fields[col]);
    out[line - 1] = fields.join(",");
    out
}

fn without_column(lines: &[String], col: usize) -> Vec<u8> {
    let cut: Vec<String> = lines
        .iter()
        .map(|l| {
            let mut f: Vec<&str> = l.split(',').collect();
            f.remove(col);
            f.join(",")
        })
        .collect();
    join(&cut)
}

const REGISTER_ROWS: u64 = 50;

fn record_cases() -> Vec<RecordCase> {
    vec![
        RecordCase {
            name: "invalid UTF-8 in one field of a UTF-8 register",
            file: |l| {
                let mut bytes = Vec::new();
                for (i, line) in l.iter().enumerate() {
                    if i == 2 {
                        // Line 3: the name column gets two bytes that are never UTF-8.
                        let (id, rest) = line.split_once(',').unwrap();
                        bytes.extend(format!("{id},").into_bytes());
                        bytes.extend(b"\xff\xfe");
                        bytes.extend(rest.as_bytes());
                    } else {
                        bytes.extend(line.as_bytes());
                    }
                    bytes.push(b'\n');
                }
                bytes
            },
            schema: None,
            want: Want::Built {
                records: REGISTER_ROWS - 1,
                rejected: &[(3, "column \"氏名\" is not valid UTF-8 (check --encoding)")],
            },
        },
        RecordCase {
            name: "one row pasted in Shift_JIS into a UTF-8 register",
            file: |l| {
                let mut bytes = Vec::new();
                for (i, line) in l.iter().enumerate() {
                    if i == 5 {
                        bytes.extend(encoding_rs::SHIFT_JIS.encode(line).0.iter());
                    } else {
                        bytes.extend(line.as_bytes());
                    }
                    bytes.push(b'\n');
                }
                bytes
            },
            schema: None,
            want: Want::Built {
                records: REGISTER_ROWS - 1,
                // The first such column in the register's order.
                rejected: &[(6, "column \"氏名\" is not valid UTF-8 (check --encoding)")],
            },
        },
        RecordCase {
            name: "a Shift_JIS register read as UTF-8 (the default)",
            file: |l| {
                let text = String::from_utf8(join(l)).unwrap();
                encoding_rs::SHIFT_JIS.encode(&text).0.into_owned()
            },
            schema: None,
            want: Want::Refused("records: header (line 1) is not valid UTF-8; use --encoding"),
        },
        RecordCase {
            name: "ragged rows: one short, one long",
            file: |l| {
                let mut v = l.to_vec();
                v[3] = v[3].split(',').take(3).collect::<Vec<_>>().join(",");
                v[5].push_str(",extra");
                join(&v)
            },
            schema: None,
            want: Want::Built {
                records: REGISTER_ROWS - 2,
                rejected: &[
                    (4, "has 3 fields, the header has 10"),
                    (6, "has 11 fields, the header has 10"),
                ],
            },
        },
        RecordCase {
            name: "a schema column missing from the register",
            file: |l| without_column(l, 6),
            schema: None,
            want: Want::Refused(
                "schema: column \"電話番号\" (phone) is not in the register's header (line 1)",
            ),
        },
        RecordCase {
            name: "the id column missing from the register",
            file: |l| without_column(l, 0),
            schema: None,
            want: Want::Refused(
                "schema: id_column \"住民番号\" is not in the register's header (line 1)",
            ),
        },
        RecordCase {
            name: "an empty id",
            file: |l| join(&with_field(l, 5, 0, |_| String::new())),
            schema: None,
            want: Want::Built {
                records: REGISTER_ROWS - 1,
                rejected: &[(5, "id column \"住民番号\" is empty")],
            },
        },
        RecordCase {
            name: "duplicate ids",
            file: |l| {
                let first = l[1].split(',').next().unwrap().to_owned();
                join(&with_field(l, 8, 0, |_| first.clone()))
            },
            schema: None,
            want: Want::Built {
                records: REGISTER_ROWS - 1,
                rejected: &[(8, "duplicate id (same as line 2)")],
            },
        },
        RecordCase {
            name: "an empty file",
            file: |_| Vec::new(),
            schema: None,
            want: Want::Refused("records: the file is empty (no header row)"),
        },
        RecordCase {
            name: "a header and no rows",
            file: |l| join(&l[..1]),
            schema: None,
            want: Want::Refused(
                "records: no valid record to build a bundle from (0 rows rejected)",
            ),
        },
        RecordCase {
            name: "schema: an unknown kind",
            file: join,
            schema: Some("id_column = \"住民番号\"\n[columns]\n\"氏名\" = \"fullname\"\n"),
            want: Want::Refused("column \"氏名\" has unknown kind \"fullname\""),
        },
        RecordCase {
            name: "schema: an unknown key",
            file: join,
            schema: Some("id_colum = \"住民番号\"\n[columns]\n\"氏名\" = \"name\"\n"),
            want: Want::Refused(
                "unknown field `id_colum`, expected one of `id_column`, `columns`, `values` (line 1)",
            ),
        },
        RecordCase {
            name: "schema: a kind of the wrong type",
            file: join,
            schema: Some("id_column = \"住民番号\"\n[columns]\n\"氏名\" = 3\n"),
            want: Want::Refused("invalid type: integer `3`, expected a string (line 3)"),
        },
    ]
}

#[test]
fn records_and_schemas_catalogue() {
    let owner = Owner::new(REGISTER_ROWS as usize, 11);
    let mut failures = Vec::new();
    for (i, case) in record_cases().into_iter().enumerate() {
        let records = owner.p(&format!("case{i}.csv"));
        let bytes = (case.file)(&owner.lines);
        std::fs::write(&records, &bytes).unwrap();
        let schema = match case.schema {
            Some(s) => {
                let p = owner.p(&format!("case{i}.toml"));
                std::fs::write(&p, s).unwrap();
                p
            }
            None => owner.p("reg/schema.toml"),
        };
        let out_path = owner.p(&format!("case{i}.lwfp"));
        let out = leakwatch(&[
            "fingerprint",
            "build",
            "--records",
            records.to_str().unwrap(),
            "--schema",
            schema.to_str().unwrap(),
            "--key-file",
            &owner.s("secret.key"),
            "--out",
            out_path.to_str().unwrap(),
            "--json",
        ]);
        let stderr = text(&out.stderr);
        let mut check = |ok: bool, what: String| {
            if !ok {
                failures.push(format!("{}: {what}\nstderr: {stderr}", case.name));
            }
        };
        match case.want {
            Want::Built { records, rejected } => {
                check(
                    out.status.code() == Some(0),
                    format!("exit {:?}", out.status),
                );
                let Ok(summary) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else {
                    check(false, "no JSON summary".into());
                    continue;
                };
                check(
                    summary["records"] == records,
                    format!("records {} != {records}", summary["records"]),
                );
                let got: Vec<(u64, String)> = summary["rejected_rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        (
                            r["line"].as_u64().unwrap(),
                            r["reason"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect();
                let want: Vec<(u64, String)> = rejected
                    .iter()
                    .map(|(l, r)| (*l, (*r).to_owned()))
                    .collect();
                check(got == want, format!("rejected {got:?} != {want:?}"));
                for (line, reason) in rejected {
                    check(
                        stderr.contains(&format!("line {line}: {reason}")),
                        format!("stderr lacks line {line}"),
                    );
                    // The message names the line and the column, never the row's values.
                    for value in owner.lines[*line as usize - 1].split(',').skip(1) {
                        check(
                            value.chars().count() < 4 || !stderr.contains(value),
                            format!("a value of line {line} is in the message"),
                        );
                    }
                }
                // The good rows are in a bundle that opens.
                let v = leakwatch(&[
                    "fingerprint",
                    "verify",
                    out_path.to_str().unwrap(),
                    "--key-file",
                    &owner.s("secret.key"),
                ]);
                check(v.status.success(), format!("verify: {}", text(&v.stderr)));
            }
            Want::Refused(message) => {
                check(
                    out.status.code() == Some(2),
                    format!("exit {:?}", out.status),
                );
                check(
                    stderr.starts_with("error: ") && stderr.contains(message),
                    format!("message {message:?} missing"),
                );
                check(!out_path.exists(), "a bundle was written".into());
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

// ---------------------------------------------------------------------------------------------
// Bundles: `fingerprint verify` and `scan`.

#[test]
fn bundle_catalogue_refuses_by_name_through_verify_and_scan() {
    let owner = Owner::new(40, 12);
    ok_quiet(&["keygen", "--out", &owner.s("other.key")]);
    let good = std::fs::read(owner.p("residents.lwfp")).unwrap();
    let leak = owner.p("leak.txt");
    std::fs::write(&leak, owner.leak(1..4)).unwrap();
    let key_id = |k: &str| SecretKey::read(&owner.p(k)).unwrap().key_id().to_string();
    let wrong_key = format!(
        "wrong key: the bundle was built with key id {}, the key file has key id {}",
        key_id("secret.key"),
        key_id("other.key")
    );

    let mut corrupt = good.clone();
    let mid = corrupt.len() / 2;
    corrupt[mid] ^= 0x40;
    let mut future = good.clone();
    future[8..12].copy_from_slice(&99u32.to_le_bytes());
    // A payload byte changed and the checksum recomputed: only the AEAD can tell.
    let mut forged = good.clone();
    forged[mid] ^= 0x01;
    let n = forged.len() - 32;
    let sum = blake3::hash(&forged[..n]);
    forged[n..].copy_from_slice(sum.as_bytes());
    let cases: Vec<(&str, Vec<u8>, &str, String)> = vec![
        ("wrong key", good.clone(), "other.key", wrong_key),
        (
            "cut by one byte",
            good[..good.len() - 1].to_vec(),
            "secret.key",
            format!(
                "bundle is truncated: expected {} bytes, found {}",
                good.len(),
                good.len() - 1
            ),
        ),
        (
            "cut in half",
            good[..good.len() / 2].to_vec(),
            "secret.key",
            "bundle is truncated".into(),
        ),
        (
            "cut inside the header",
            good[..10].to_vec(),
            "secret.key",
            "bundle is truncated".into(),
        ),
        (
            "one bit flipped",
            corrupt,
            "secret.key",
            "bundle is corrupt: checksum mismatch".into(),
        ),
        (
            "payload altered, checksum recomputed",
            forged,
            "secret.key",
            "bundle is corrupt".into(),
        ),
        (
            "a future format version",
            future,
            "secret.key",
            "bundle format version 99 is not supported".into(),
        ),
        (
            "not a bundle",
            b"PK\x03\x04 a zip file".to_vec(),
            "secret.key",
            "not a leakwatch fingerprint bundle".into(),
        ),
        (
            "an empty file",
            Vec::new(),
            "secret.key",
            "not a leakwatch fingerprint bundle".into(),
        ),
    ];
    let mut failures = Vec::new();
    for (i, (name, bytes, key, message)) in cases.iter().enumerate() {
        let bundle = owner.p(&format!("bad{i}.lwfp"));
        std::fs::write(&bundle, bytes).unwrap();
        let b = bundle.to_str().unwrap();
        let k = owner.s(key);
        for (how, out) in [
            (
                "verify",
                leakwatch(&["fingerprint", "verify", b, "--key-file", &k]),
            ),
            (
                "scan",
                leakwatch(&[
                    "scan",
                    "--bundle",
                    b,
                    "--key-file",
                    &k,
                    leak.to_str().unwrap(),
                ]),
            ),
        ] {
            let stderr = text(&out.stderr);
            let named = format!("bundle {b}: ");
            if out.status.code() != Some(2)
                || !stderr.contains(message.as_str())
                || !stderr.contains(&named)
                || !out.stdout.is_empty()
            {
                failures.push(format!(
                    "{name} ({how}): exit {:?}, want {message:?} after {named:?}\nstderr: {stderr}\nstdout: {}",
                    out.status,
                    text(&out.stdout)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // Nothing else affected: the good bundle still opens, and scan still finds the leak with it.
    let out = leakwatch(&[
        "scan",
        "--bundle",
        &owner.s("residents.lwfp"),
        "--key-file",
        &owner.s("secret.key"),
        leak.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let found: BTreeSet<String> = text(&out.stdout)
        .lines()
        .flat_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["record"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(found, owner.refs(1..4));
}

fn ok_quiet(args: &[&str]) -> String {
    let out = leakwatch(args);
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    text(&out.stdout)
}

// ---------------------------------------------------------------------------------------------
// Pages: one hostile site on loopback.

/// The hostile site's pages.
const HOSTILE: [&str; 20] = [
    "/empty",
    "/big",
    "/binary",
    "/sjis-as-utf8",
    "/deep",
    "/bomb",
    "/bomb.gz",
    "/leak.tar.gz",
    "/leak.sql.bz2",
    "/leak.7z",
    "/leak-cut.7z",
    "/leak.rar",
    "/leak-cut.rar",
    "/leak.doc",
    "/leak.msg",
    "/leak.pdf",
    "/leak.rtf",
    "/links",
    "/loop/a",
    "/leak",
];
const BIG_BYTES: u64 = 100 * 1024 * 1024;
const LINKS: usize = 10_000;

struct Bodies {
    /// Plain UTF-8 leak (the control).
    leak: Vec<u8>,
    /// A leak in Shift_JIS, served as `charset=utf-8`.
    sjis: Vec<u8>,
    /// A leak inside 100,000 nested `<div>`s.
    deep: Vec<u8>,
    /// The first bytes of the 100 MB page: a leak.
    big_head: Vec<u8>,
    /// 1 GiB of zeros, gzip-compressed to about 1 MiB (served as a transfer encoding, and as
    /// a file the matcher inflates).
    bomb: Vec<u8>,
    /// A leak in a `.tar.gz`, as a site's backup.
    tar_gz: Vec<u8>,
    /// A leak compressed with bzip2, as `mysqldump | bzip2` writes a dump.
    sql_bz2: Vec<u8>,
    /// A leak in a `.7z` archive, as leak sites post stolen files.
    seven_zip: Vec<u8>,
    /// Another, cut before its header (at the end), as a broken download or a size cap
    /// leaves one.
    seven_zip_cut: Vec<u8>,
    /// A leak in a `.rar` archive (RAR 5, WinRAR's default).
    rar: Vec<u8>,
    /// Another, a leak's rows first in 400 KB of text, cut at half its packed data.
    rar_cut: Vec<u8>,
    /// A leak in an old Word document's table (`.doc`).
    doc: Vec<u8>,
    /// A leak attached as CSV to an Outlook message (`.msg`), served as
    /// `application/octet-stream`.
    msg: Vec<u8>,
    /// A leak printed to PDF (a table), served as `application/octet-stream`.
    pdf: Vec<u8>,
    /// A leak saved as rich text (a table, Shift_JIS bytes as WordPad writes them) inside
    /// 100,000 nested groups, served as `application/rtf`.
    rtf: Vec<u8>,
    links: Vec<u8>,
    index: Vec<u8>,
}

/// A RAR 5 archive of `csv` as `stolen/members.csv`, compressed as WinRAR compresses it.
fn rar(csv: String) -> Vec<u8> {
    let mut b = rars::Builder::new(rars::ArchiveVersion::Rar50);
    b.add_bytes(b"stolen/members.csv".to_vec(), csv.into_bytes(), None, None)
        .unwrap();
    b.to_bytes().unwrap()
}

/// A gzip member whose 1 GiB of zeros compresses to about 1 MiB: one sync-flushed deflate
/// block of 1 MiB of zeros, repeated (its back-references only ever reach zeros), a final empty
/// block, and a correct trailer (CRC-32 combined per MiB, length mod 2^32).
fn gzip_bomb() -> Vec<u8> {
    use flate2::{Compress, Compression, Crc, FlushCompress};
    let zeros = vec![0u8; 1 << 20];
    let mut c = Compress::new(Compression::best(), false);
    let mut block = Vec::with_capacity(4096);
    c.compress_vec(&zeros, &mut block, FlushCompress::Sync)
        .unwrap();
    assert_eq!(
        c.total_in(),
        zeros.len() as u64,
        "one call compresses the MiB"
    );
    let mut mib = Crc::new();
    mib.update(&zeros);
    let mut crc = Crc::new();
    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 0xff];
    for _ in 0..1024 {
        gz.extend_from_slice(&block);
        crc.combine(&mib);
    }
    gz.extend_from_slice(&[0x03, 0x00]);
    gz.extend_from_slice(&crc.sum().to_le_bytes());
    gz.extend_from_slice(&((1u64 << 30) as u32).to_le_bytes());
    gz
}

fn bodies(owner: &Owner) -> Bodies {
    let rows_html = |rows: std::ops::Range<usize>| -> String {
        owner
            .leak(rows)
            .lines()
            .map(|l| format!("{l}<br>\n"))
            .collect()
    };
    let mut index = String::from("<html><body><h1>market</h1>\n");
    for p in HOSTILE {
        index.push_str(&format!("<a href=\"{p}\">{p}</a>\n"));
    }
    index.push_str("</body></html>");
    let mut links = String::from("<html><body>\n");
    for i in 0..LINKS {
        links.push_str(&format!("<a href=\"/l/{i}\">{i}</a>\n"));
    }
    links.push_str("</body></html>");
    Bodies {
        leak: owner.leak(1..4).into_bytes(),
        sjis: encoding_rs::SHIFT_JIS
            .encode(&owner.leak(4..7))
            .0
            .into_owned(),
        deep: format!(
            "<html><body>{}<p>{}</p>{}</body></html>",
            "<div>".repeat(100_000),
            rows_html(7..10),
            "</div>".repeat(100_000)
        )
        .into_bytes(),
        big_head: owner.leak(10..13).into_bytes(),
        bomb: gzip_bomb(),
        tar_gz: fingerprints::leaks::tar_gz(&[(
            "backup/members.csv",
            owner.leak(13..16).as_bytes(),
        )]),
        sql_bz2: {
            let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
            bz.write_all(owner.leak(16..19).as_bytes()).unwrap();
            bz.finish().unwrap()
        },
        seven_zip: fingerprints::leaks::seven_zip(&[(
            "stolen/members.csv",
            owner.leak(19..22).as_bytes(),
        )]),
        seven_zip_cut: {
            let whole = fingerprints::leaks::seven_zip(&[(
                "stolen/members.csv",
                owner.leak(22..25).as_bytes(),
            )]);
            whole[..whole.len() - 8].to_vec()
        },
        rar: rar(owner.leak(37..40)),
        rar_cut: {
            let mut csv = owner.leak(40..43);
            // Lines of letters no resident has: 16 pseudo-random ones each, so that the file's
            // packed data is about as long as its text.
            let mut x = 13u64;
            while csv.len() < 400_000 {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                csv.extend((0..16).map(|i| char::from(b'a' + ((x >> (4 * i)) & 15) as u8)));
                csv.push('\n');
            }
            let whole = rar(csv);
            whole[..whole.len() / 2].to_vec()
        },
        doc: {
            let rows: Vec<Vec<&str>> = owner.lines[25..28]
                .iter()
                .map(|l| l.split(',').collect())
                .collect();
            let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
            let table = fingerprints::leaks::word97_table(&rows);
            fingerprints::leaks::word97(&[(&format!("名簿\r{table}"), false)], 0)
        },
        msg: {
            use fingerprints::leaks::{CompoundNode, compound_file};
            let utf16 =
                |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
            let (subject, name) = (utf16("名簿"), utf16("members.csv"));
            let csv = owner.leak(28..31);
            compound_file(&[
                CompoundNode::Stream("__properties_version1.0", &[0; 32]),
                CompoundNode::Stream("__substg1.0_0037001F", &subject),
                CompoundNode::Storage(
                    "__attach_version1.0_#00000000",
                    vec![
                        CompoundNode::Stream("__substg1.0_3707001F", &name),
                        CompoundNode::Stream("__substg1.0_37010102", csv.as_bytes()),
                    ],
                ),
            ])
        },
        pdf: {
            let rows: Vec<String> = owner.lines[31..34]
                .iter()
                .map(|l| l.replace(',', "\t"))
                .collect();
            let mut lines = vec!["名簿"];
            lines.extend(rows.iter().map(String::as_str));
            fingerprints::leaks::pdf_file(&lines, true)
        },
        rtf: {
            let rows: Vec<Vec<String>> = owner.lines[34..37]
                .iter()
                .map(|l| l.split(',').map(str::to_owned).collect())
                .collect();
            let table = fingerprints::leaks::rtf_file(
                "名簿",
                &rows,
                "以上",
                fingerprints::leaks::RtfEscapes::CodePage,
            );
            let mut rtf = b"{\\rtf1\\ansi\\ansicpg932 ".to_vec();
            rtf.extend(std::iter::repeat_n(b'{', 100_000));
            rtf.extend_from_slice(&table);
            rtf.extend(std::iter::repeat_n(b'}', 100_000));
            rtf.push(b'}');
            rtf
        },
        links: links.into_bytes(),
        index: index.into_bytes(),
    }
}

struct Hostile {
    base: String,
    /// Bytes of the 100 MB page actually written before the client stopped reading.
    big_sent: Arc<AtomicU64>,
}

/// Serves the hostile site on 127.0.0.1, one thread per connection.
fn hostile_site(bodies: Bodies) -> Hostile {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let bodies = Arc::new(bodies);
    let big_sent = Arc::new(AtomicU64::new(0));
    let sent = big_sent.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let bodies = bodies.clone();
            let sent = sent.clone();
            std::thread::spawn(move || answer(stream, &bodies, &sent));
        }
    });
    Hostile { base, big_sent }
}

fn answer(mut stream: TcpStream, b: &Bodies, big_sent: &AtomicU64) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let path = request_line.split(' ').nth(1).unwrap_or("/").to_owned();
    let send = |s: &mut TcpStream, status: &str, headers: &str, body: &[u8]| {
        let _ = write!(
            s,
            "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = s.write_all(body);
    };
    let html = "Content-Type: text/html; charset=utf-8\r\n";
    let plain = "Content-Type: text/plain\r\n";
    match path.as_str() {
        "/" => send(&mut stream, "200 OK", html, &b.index),
        "/empty" => send(&mut stream, "200 OK", plain, b""),
        "/leak" => send(
            &mut stream,
            "200 OK",
            "Content-Type: text/plain; charset=utf-8\r\n",
            &b.leak,
        ),
        "/sjis-as-utf8" => send(
            &mut stream,
            "200 OK",
            "Content-Type: text/plain; charset=utf-8\r\n",
            &b.sjis,
        ),
        "/deep" => send(&mut stream, "200 OK", html, &b.deep),
        "/binary" => {
            // A PNG that says it is text.
            let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
            png.extend(std::iter::repeat_n(0u8, 4096));
            send(&mut stream, "200 OK", plain, &png);
        }
        "/bomb" => send(
            &mut stream,
            "200 OK",
            "Content-Type: text/plain\r\nContent-Encoding: gzip\r\n",
            &b.bomb,
        ),
        "/bomb.gz" => send(
            &mut stream,
            "200 OK",
            "Content-Type: application/gzip\r\n",
            &b.bomb,
        ),
        "/leak.tar.gz" => send(
            &mut stream,
            "200 OK",
            "Content-Type: application/gzip\r\n",
            &b.tar_gz,
        ),
        "/leak.sql.bz2" => send(
            &mut stream,
            "200 OK",
            "Content-Type: application/x-bzip2\r\n",
            &b.sql_bz2,
        ),
        "/leak.7z" => send(
            &mut stream,
            "200 OK",
            "Content-Type: application/x-7z-compressed\r\n",
            &b.seven_zip,
        ),
        "/leak-cut.7z" => send(
            &mut stream,
            "200 OK",
            "Content-Type: application/octet-stream\r\n",
            &b.seven_zip_cut,
        ),
        "/leak.rar" => send(
            &mut stream,
            "200 OK",
            "Content-Type: application/vnd.rar\r\n",
            &b.rar,
        ),
        "/leak-cut.rar" => send(
            &mut stream,
            "200 OK",
            "Content-Type: application/octet-stream\r\n",
            &b.rar_cut,
        ),
        "/leak.doc" => send(
            &mut stream,
            "200 OK",
            "Content-Type: application/msword\r\n",
            &b.doc,
        ),
        "/leak.msg" => send(
            &mut stream,
            "200 OK",
            "Content-Type: application/octet-stream\r\n",
            &b.msg,
        ),
        "/leak.pdf" => send(
            &mut stream,
            "200 OK",
            "Content-Type: application/octet-stream\r\n",
            &b.pdf,
        ),
        "/leak.rtf" => send(
            &mut stream,
            "200 OK",
            "Content-Type: application/rtf\r\n",
            &b.rtf,
        ),
        "/links" => send(&mut stream, "200 OK", html, &b.links),
        "/loop/a" => send(&mut stream, "302 Found", "Location: /loop/b\r\n", b""),
        "/loop/b" => send(&mut stream, "302 Found", "Location: /loop/a\r\n", b""),
        "/big" => {
            // 100 MB announced and streamed in 64 KiB writes (never held in memory): a leak
            // first, then filler text, until the client stops reading.
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n\
                 Content-Length: {BIG_BYTES}\r\nConnection: close\r\n\r\n"
            );
            let filler: Vec<u8> = b"lorem ipsum dolor sit amet, consectetur adipiscing elit.\n"
                .iter()
                .copied()
                .cycle()
                .take(64 * 1024)
                .collect();
            let mut sent = 0u64;
            if stream.write_all(&b.big_head).is_err() {
                return;
            }
            sent += b.big_head.len() as u64;
            while sent < BIG_BYTES {
                let n = filler.len().min((BIG_BYTES - sent) as usize);
                if stream.write_all(&filler[..n]).is_err() {
                    break;
                }
                sent += n as u64;
                big_sent.store(sent, Ordering::Relaxed);
            }
        }
        p if p.starts_with("/l/") => send(&mut stream, "200 OK", plain, b"nothing here"),
        _ => send(&mut stream, "404 Not Found", plain, b"no"),
    }
}

#[test]
fn hostile_site_run_once_alerts_the_leaks_and_crawl_names_each_pages_fate() {
    let owner = Owner::new(60, 13);
    let site = hostile_site(bodies(&owner));
    let base = &site.base;

    // 1. The whole pipeline, one site source linking to every case.
    let config = owner.p("run.toml");
    std::fs::write(
        &config,
        format!(
            r#"
            [crawler]
            state_path = {state}
            [politeness]
            min_interval_ms = 0
            per_host_concurrency = 4
            [fetch]
            max_retries = 0
            [[source]]
            type = "site"
            id = "hostile"
            seeds = ["{base}/"]
            max_depth = 2
            max_pages = 40
            [matcher]
            bundle_path = {bundle}
            key_file = {key}
            workers = 2
            [store]
            path = {store}
            "#,
            state = toml_path(&owner.p("crawl-state.sqlite")),
            bundle = toml_path(&owner.p("residents.lwfp")),
            key = toml_path(&owner.p("secret.key")),
            store = toml_path(&owner.p("alerts.sqlite")),
        ),
    )
    .unwrap();
    let out = leakwatch_within(
        &["run", "--config", config.to_str().unwrap(), "--once"],
        Duration::from_secs(180),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect(&stderr);
    // Emitted and scanned: the index, the 17 cases that are no binary, bomb or loop, and the
    // 19 link pages within max_pages (40 minus the index and its 20 links).
    assert_eq!(report["pages"], 1 + 17 + 19, "{report}\n{stderr}");
    let conn = rusqlite::Connection::open(owner.p("alerts.sqlite")).unwrap();
    let mut by_url: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stmt = conn
        .prepare("SELECT url, record_ref FROM alerts WHERE confidence >= 1")
        .unwrap();
    for row in stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
    {
        let (url, record) = row.unwrap();
        by_url.entry(url).or_default().insert(record);
    }
    let want: BTreeMap<String, BTreeSet<String>> = [
        ("/leak", owner.refs(1..4)),
        ("/sjis-as-utf8", owner.refs(4..7)),
        ("/deep", owner.refs(7..10)),
        ("/big", owner.refs(10..13)),
        ("/leak.tar.gz", owner.refs(13..16)),
        ("/leak.sql.bz2", owner.refs(16..19)),
        ("/leak.7z", owner.refs(19..22)),
        ("/leak-cut.7z", owner.refs(22..25)),
        ("/leak.rar", owner.refs(37..40)),
        ("/leak-cut.rar", owner.refs(40..43)),
        ("/leak.doc", owner.refs(25..28)),
        ("/leak.msg", owner.refs(28..31)),
        ("/leak.pdf", owner.refs(31..34)),
        ("/leak.rtf", owner.refs(34..37)),
    ]
    .into_iter()
    .map(|(p, refs)| (format!("{base}{p}"), refs))
    .collect();
    assert_eq!(by_url, want, "{stderr}");
    // The 100 MB page was read up to the cap (10 MiB by default), not to its end.
    let sent = site.big_sent.load(Ordering::Relaxed);
    assert!(
        sent < BIG_BYTES / 2,
        "{sent} bytes of the big page were sent"
    );

    // 2. The crawler alone, one source per case, so each source's summary line is one page's
    //    fate.
    let mut crawl = String::from("[politeness]\nmin_interval_ms = 0\n[fetch]\nmax_retries = 0\n");
    for p in HOSTILE {
        let id = p.trim_start_matches('/').replace('/', "-");
        let (depth, pages) = if p == "/links" { (1, 40) } else { (0, 1) };
        crawl.push_str(&format!(
            "[[source]]\ntype = \"site\"\nid = \"{id}\"\nseeds = [\"{base}{p}\"]\n\
             max_depth = {depth}\nmax_pages = {pages}\n"
        ));
    }
    std::fs::write(owner.p("crawl.toml"), crawl).unwrap();
    let out = leakwatch_within(
        &["crawl", "--config", &owner.s("crawl.toml"), "--once"],
        Duration::from_secs(120),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let lines: BTreeMap<&str, &str> = stderr.lines().filter_map(|l| l.split_once(": ")).collect();
    let want = [
        ("empty", "1 emitted, 1 fetched"),
        ("big", "1 emitted, 1 fetched"),
        ("binary", "1 skipped (binary)"),
        ("sjis-as-utf8", "1 emitted, 1 fetched"),
        ("deep", "1 emitted, 1 fetched"),
        ("bomb", "1 skipped (binary)"),
        // A gzip file is passed on: the matcher inflates it within its cap.
        ("bomb.gz", "1 emitted, 1 fetched"),
        ("leak.tar.gz", "1 emitted, 1 fetched"),
        ("leak.sql.bz2", "1 emitted, 1 fetched"),
        ("leak.7z", "1 emitted, 1 fetched"),
        ("leak-cut.7z", "1 emitted, 1 fetched"),
        ("leak.rar", "1 emitted, 1 fetched"),
        ("leak-cut.rar", "1 emitted, 1 fetched"),
        ("leak.doc", "1 emitted, 1 fetched"),
        ("leak.msg", "1 emitted, 1 fetched"),
        ("leak.pdf", "1 emitted, 1 fetched"),
        ("leak.rtf", "1 emitted, 1 fetched"),
        ("links", "40 emitted, 40 fetched, 9961 skipped (page_limit)"),
        ("loop-a", "1 skipped (redirect_loop)"),
        ("leak", "1 emitted, 1 fetched"),
    ];
    let mut failures = Vec::new();
    for (id, fate) in want {
        if lines.get(id) != Some(&fate) {
            failures.push(format!("{id}: want {fate:?}, got {:?}", lines.get(id)));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\nstderr:\n{stderr}",
        failures.join("\n")
    );
    // The page metadata says which page was cut and how each was declared.
    let meta: BTreeMap<String, serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["url"].as_str().unwrap().to_owned(), v)
        })
        .collect();
    let page = |p: &str| &meta[&format!("{base}{p}")];
    assert_eq!(page("/big")["truncated"], true);
    assert_eq!(page("/big")["body_bytes"], 10 * 1024 * 1024);
    assert_eq!(page("/empty")["body_bytes"], 0);
    assert_eq!(page("/sjis-as-utf8")["charset"], "utf-8");
    assert_eq!(page("/deep")["truncated"], false);
}

// ---------------------------------------------------------------------------------------------
// Configuration: `config check` and `run --check`.

#[test]
fn config_catalogue_names_the_key_and_exits_2() {
    let owner = Owner::new(10, 14);
    let matcher = format!(
        "[matcher]\nbundle_path = {}\nkey_file = {}\n",
        toml_path(&owner.p("residents.lwfp")),
        toml_path(&owner.p("secret.key"))
    );
    // (name, the file's text, what the message must hold: the key and the problem)
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "unknown key in a pipeline table",
            "[matcher]\nworkerz = 2\n".into(),
            vec!["line 2", "unknown field `workerz`"],
        ),
        (
            "unknown key in a crawler table",
            format!("{matcher}\n[fetch]\nmax_body_byte = 5\n"),
            vec!["line 6", "unknown field `max_body_byte`"],
        ),
        (
            "unknown table",
            format!("{matcher}[matchr]\nworkers = 2\n"),
            vec!["line 4", "unknown field `matchr`", "`matcher`", "`fetch`"],
        ),
        (
            "unknown key in a source",
            format!(
                "{matcher}[[source]]\ntype = \"site\"\nid = \"s\"\nseeds = [\"http://127.0.0.1:9/\"]\nmax_dept = 2\n"
            ),
            vec!["line 4", "[[source]]", "unknown field `max_dept`"],
        ),
        (
            "wrong type: a string for a number",
            format!("{matcher}workers = \"two\"\n"),
            vec![
                "line 4",
                "workers",
                "invalid type: string \"two\", expected usize",
            ],
        ),
        (
            "wrong type: a negative size",
            format!("{matcher}\n[fetch]\nmax_body_bytes = -1\n"),
            vec!["line 6", "max_body_bytes", "invalid value: integer `-1`"],
        ),
        (
            "wrong type: a number for an address",
            format!("{matcher}[api]\nlisten = 8080\n"),
            vec!["line 5", "listen", "expected a string"],
        ),
        (
            "wrong type inside a source",
            format!(
                "{matcher}[[source]]\ntype = \"site\"\nid = \"s\"\nseeds = [\"http://127.0.0.1:9/\"]\nmax_depth = \"deep\"\n"
            ),
            vec![
                "line 4",
                "[[source]]",
                "max_depth: invalid type: string \"deep\"",
            ],
        ),
        (
            "unknown variant",
            format!("{matcher}min_confidence = \"sure\"\n"),
            vec!["line 4", "min_confidence", "unknown variant `sure`"],
        ),
        (
            "unknown source type",
            format!("{matcher}[[source]]\ntype = \"sitee\"\nid = \"s\"\n"),
            vec!["line 4", "type: unknown variant `sitee`"],
        ),
        (
            "a value out of range",
            format!("{matcher}workers = 0\n"),
            vec!["matcher.workers: must be greater than 0"],
        ),
        (
            "not TOML",
            format!("{matcher}[store\n"),
            vec!["line 4", "TOML parse error"],
        ),
    ];
    let path = owner.p("leakwatch.toml");
    let mut failures = Vec::new();
    for (name, file, wants) in &cases {
        std::fs::write(&path, file).unwrap();
        let p = path.to_str().unwrap();
        for (how, out) in [
            (
                "config check",
                leakwatch(&["config", "check", "--config", p]),
            ),
            ("run --check", leakwatch(&["run", "--config", p, "--check"])),
        ] {
            let stderr = text(&out.stderr);
            let missing: Vec<&&str> = wants.iter().filter(|w| !stderr.contains(**w)).collect();
            if out.status.code() != Some(2) || !missing.is_empty() || !out.stdout.is_empty() {
                failures.push(format!(
                    "{name} ({how}): exit {:?}, missing {missing:?}\nstderr: {stderr}",
                    out.status
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The same file without the mistake is valid.
    std::fs::write(&path, &matcher).unwrap();
    let out = leakwatch(&["run", "--config", path.to_str().unwrap(), "--check"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

// ---------------------------------------------------------------------------------------------
// The alerts API: `alerts serve` on a store with alerts.

const VIEWER: &str = "viewer-token-5b1c7e9a02d4f368";
const ANALYST: &str = "analyst-token-8e2f4a6c1b3d5079";
const STORED: usize = 6;

fn stored_alert(i: u32) -> wire::Alert {
    let record = format!("r{:016x}", 0xbad0_0000 + u64::from(i));
    let page_hash = wire::body_hash(format!("bad input page {i}").as_bytes());
    wire::Alert {
        v: wire::ALERT_VERSION,
        id: wire::alert_id(&page_hash, "b1", &record),
        source: "pastes".into(),
        url: format!("https://paste.example/raw/{i}"),
        page_hash,
        fetched_at_ms: 1_700_000_000_000 + u64::from(i) * 1000,
        detected_at_ms: 1_700_000_000_000 + u64::from(i) * 1000 + 5,
        bundle_id: "b1".into(),
        record,
        confidence: wire::Confidence::High,
        fields: vec!["name".into(), "phone".into()],
        spans: vec![],
        occurrences: 1,
        page_records: 1,
    }
}

/// (name, method, path, token, body, status, what the error must hold)
type ApiCase = (
    &'static str,
    &'static str,
    String,
    Option<&'static str>,
    Option<String>,
    u16,
    &'static str,
);

/// Percent-encodes a query value.
fn q(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn api_catalogue_refuses_with_the_right_status_and_the_store_is_untouched() {
    use alerts::AlertStore;
    let dir = tempfile::tempdir().unwrap();
    let store_path = dir.path().join("alerts.sqlite");
    alerts::SqliteStore::open(&store_path)
        .unwrap()
        .upsert(&(0..STORED as u32).map(stored_alert).collect::<Vec<_>>())
        .unwrap();
    let token = |name: &str, t: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, format!("{t}\n")).unwrap();
        toml_path(&p)
    };
    let config = dir.path().join("leakwatch.toml");
    std::fs::write(
        &config,
        format!(
            "[store]\npath = {}\n[api]\nlisten = \"127.0.0.1:0\"\nmax_body_bytes = 1024\n\
             [[api.token]]\nname = \"vera\"\nrole = \"viewer\"\ntoken_file = {}\n\
             [[api.token]]\nname = \"anna\"\nrole = \"analyst\"\ntoken_file = {}\n",
            toml_path(&store_path),
            token("viewer.token", VIEWER),
            token("analyst.token", ANALYST),
        ),
    )
    .unwrap();
    let server = AlertsServer::start(&config);
    let addr: SocketAddr = server.addr;
    let id = stored_alert(2).id;
    let one = format!("/api/alerts/{id}");
    let big_note = format!(r#"{{"note":"{}"}}"#, "x".repeat(4096));
    let cases: Vec<ApiCase> = vec![
        ("no token", "GET", "/api/alerts".into(), None, None, 401, ""),
        (
            "a wrong token",
            "GET",
            "/api/alerts".into(),
            Some("not-a-token-at-all-0000"),
            None,
            401,
            "",
        ),
        (
            "no token, triage",
            "PATCH",
            one.clone(),
            None,
            Some(r#"{"status":"resolved"}"#.into()),
            401,
            "",
        ),
        (
            "a viewer triaging",
            "PATCH",
            one.clone(),
            Some(VIEWER),
            Some(r#"{"status":"resolved"}"#.into()),
            403,
            "",
        ),
        (
            "an oversized body",
            "PATCH",
            one.clone(),
            Some(ANALYST),
            Some(big_note),
            413,
            "",
        ),
        (
            "malformed JSON",
            "PATCH",
            one.clone(),
            Some(ANALYST),
            Some(r#"{"status": "resolved""#.into()),
            400,
            "",
        ),
        (
            "not an object",
            "PATCH",
            one.clone(),
            Some(ANALYST),
            Some("[1, 2, 3]".into()),
            400,
            "",
        ),
        (
            "an unknown field",
            "PATCH",
            one.clone(),
            Some(ANALYST),
            Some(r#"{"statuz":"resolved"}"#.into()),
            400,
            "statuz",
        ),
        (
            "an unknown status",
            "PATCH",
            one.clone(),
            Some(ANALYST),
            Some(r#"{"status":"pwned"}"#.into()),
            400,
            "",
        ),
        (
            "a bad limit",
            "GET",
            "/api/alerts?limit=lots".into(),
            Some(VIEWER),
            None,
            400,
            "limit",
        ),
        (
            "an unknown parameter",
            "GET",
            "/api/alerts?where=1".into(),
            Some(VIEWER),
            None,
            400,
            "where",
        ),
        (
            "SQL in a record filter",
            "GET",
            format!("/api/alerts?record={}", q("' OR 1=1 --")),
            Some(VIEWER),
            None,
            400,
            "record",
        ),
        (
            "SQL in a page hash filter",
            "GET",
            format!("/api/alerts?page_hash={}", q("' OR 1=1 --")),
            Some(VIEWER),
            None,
            400,
            "page_hash",
        ),
        (
            "SQL in a record path",
            "GET",
            format!("/api/records/{}", q("r1' OR '1'='1")),
            Some(VIEWER),
            None,
            400,
            "",
        ),
    ];
    let mut failures = Vec::new();
    for (name, method, path, token, body, status, hint) in &cases {
        let r = call(addr, method, path, *token, body.as_deref());
        let error = if r.status >= 400 && r.status != 413 {
            r.json()["error"].as_str().unwrap_or_default().to_owned()
        } else {
            String::new()
        };
        if r.status != *status || (r.status != 413 && error.is_empty()) || !error.contains(hint) {
            failures.push(format!(
                "{name}: {method} {path}: {} {}, want {status} naming {hint:?}",
                r.status,
                r.text()
            ));
        }
    }
    // SQL-ish filter strings are values: 200 and no alert.
    for sql in ["' OR 1=1 --", "%' --", "\"; DROP TABLE alerts; --"] {
        for param in ["url_contains", "source"] {
            let path = format!("/api/alerts?{param}={}", q(sql));
            let r = call(addr, "GET", &path, Some(VIEWER), None);
            if r.status != 200 || r.json()["alerts"] != serde_json::json!([]) {
                failures.push(format!("{path}: {} {}", r.status, r.text()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Nothing else affected: the server answers, every alert is there and untriaged.
    assert_eq!(call(addr, "GET", "/healthz", None, None).status, 200);
    let r = call(addr, "GET", "/api/alerts?limit=100", Some(VIEWER), None);
    assert_eq!(r.status, 200);
    let list = r.json()["alerts"].as_array().unwrap().clone();
    assert_eq!(list.len(), STORED);
    assert!(list.iter().all(|a| a["status"] == "new"), "{list:?}");
    let r = call(addr, "GET", &one, Some(VIEWER), None);
    assert_eq!(r.json()["audit"], serde_json::json!([]), "{}", r.text());
    // A well-formed triage still works after all that.
    let r = call(
        addr,
        "PATCH",
        &one,
        Some(ANALYST),
        Some(r#"{"status":"acknowledged"}"#),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let log = server.stop();
    assert!(!log.contains(VIEWER) && !log.contains(ANALYST), "{log}");
    let conn = rusqlite::Connection::open(&store_path).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM alerts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, STORED as i64);
}
