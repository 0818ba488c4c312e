//! Drives the real `leakwatch scan`: directories, stdin, output formats, exit status like grep,
//! refusal of a wrong key, and no raw value in any output.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use fingerprints::leaks::{LeakForm, render};
use fingerprints::synth::{self, Resident};
use support::paste::fingerprint_build;

mod support;

fn leakwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leakwatch"))
        .args(args)
        .output()
        .expect("run leakwatch")
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

struct Fixture {
    dir: tempfile::TempDir,
    residents: Vec<Resident>,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        for args in [
            vec![
                "demo-data",
                "--residents",
                "500",
                "--seed",
                "9",
                "--out",
                &path(d, "reg"),
            ],
            vec!["keygen", "--out", &path(d, "secret.key")],
            vec!["keygen", "--out", &path(d, "other.key")],
        ] {
            assert!(leakwatch(&args).status.success(), "{args:?}");
        }
        fingerprint_build(d, "reg/residents.csv", "reg/schema.toml", "r.lwfp", &[]);
        Fixture {
            dir,
            residents: synth::residents(500, 9),
        }
    }
    fn p(&self, name: &str) -> String {
        path(self.dir.path(), name)
    }
    /// The register's residents at `indices`.
    fn residents_at(&self, indices: &[usize]) -> Vec<Resident> {
        indices.iter().map(|&i| self.residents[i].clone()).collect()
    }
    fn scan(&self, extra: &[&str]) -> Output {
        let bundle = self.p("r.lwfp");
        let key = self.p("secret.key");
        let mut args = vec!["scan", "--bundle", &bundle, "--key-file", &key];
        args.extend_from_slice(extra);
        leakwatch(&args)
    }
    /// Runs `leakwatch scan` (see [`Fixture::scan`]), asserts its exit status is `code` (with its
    /// standard error as the message otherwise), and returns its standard output.
    fn scan_exiting(&self, extra: &[&str], code: i32) -> String {
        let out = self.scan(extra);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }
    /// Asserts that `refs` resolve to the register ids of exactly `leaked`, in any order.
    fn assert_resolve_to(&self, refs: &[String], leaked: &[Resident]) {
        let mut ids = self.resolve(refs);
        ids.sort();
        let mut want: Vec<String> = leaked.iter().map(|r| r.id.clone()).collect();
        want.sort();
        assert_eq!(ids, want);
    }
    /// The register ids of opaque refs, via `fingerprint resolve` (the data owner's side).
    fn resolve(&self, refs: &[String]) -> Vec<String> {
        let key = self.p("secret.key");
        let records = self.p("reg/residents.csv");
        let schema = self.p("reg/schema.toml");
        let mut args = vec![
            "fingerprint",
            "resolve",
            "--key-file",
            &key,
            "--records",
            &records,
            "--schema",
            &schema,
        ];
        args.extend(refs.iter().map(String::as_str));
        let out = leakwatch(&args);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1).map(str::to_owned))
            .collect()
    }
}

/// Writes `register` and `schema` into `d`, makes a key and builds `r.lwfp` from them as
/// the data owner does: the build's `--json` summary and its stderr.
fn build_owner_bundle(d: &Path, register: &str, schema: &str) -> (serde_json::Value, String) {
    std::fs::write(d.join("register.csv"), register).expect("write");
    std::fs::write(d.join("schema.toml"), schema).expect("write");
    assert!(
        leakwatch(&["keygen", "--out", &path(d, "secret.key")])
            .status
            .success()
    );
    let build = fingerprint_build(d, "register.csv", "schema.toml", "r.lwfp", &["--json"]);
    let summary = serde_json::from_slice(&build.stdout).expect("summary");
    (summary, String::from_utf8_lossy(&build.stderr).into_owned())
}

/// `scan --format jsonl` of `text`, one page, against the bundle [`build_owner_bundle`] made
/// in `d`.
fn scan_page(d: &Path, text: &str) -> Output {
    std::fs::write(d.join("page.txt"), text).expect("write");
    leakwatch(&[
        "scan",
        "--bundle",
        &path(d, "r.lwfp"),
        "--key-file",
        &path(d, "secret.key"),
        "--format",
        "jsonl",
        &path(d, "page.txt"),
    ])
}

/// Asserts that no raw field value of `people` is in `output`.
fn assert_no_raw_value<'a>(output: &str, people: impl IntoIterator<Item = &'a Resident>) {
    for r in people {
        for v in raw_values(r) {
            assert!(!output.contains(&v), "output contains a raw value");
        }
    }
}

fn raw_values(r: &Resident) -> Vec<String> {
    let mut v: Vec<String> = r.register_row()[1..]
        .iter()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect();
    v.extend([
        r.family.clone(),
        r.given.clone(),
        r.phone.clone(),
        r.town.clone(),
    ]);
    v
}

#[test]
fn scan_directories_stdin_and_formats() {
    let f = Fixture::new();
    let leaks = PathBuf::from(f.p("pastes/sub"));
    std::fs::create_dir_all(&leaks).expect("mkdir");
    let leaked = f.residents_at(&[3, 141, 277, 499]);
    std::fs::write(
        leaks.join("dump.csv"),
        render(LeakForm::CsvSubset, &leaked[..2], 1),
    )
    .expect("write");
    std::fs::write(
        PathBuf::from(f.p("pastes")).join("story.txt"),
        render(LeakForm::Prose, &leaked[2..], 2),
    )
    .expect("write");
    let outsiders = synth::non_residents(30, 9);
    std::fs::write(
        f.p("pastes/other.sql"),
        render(LeakForm::SqlInsert, &outsiders, 3),
    )
    .expect("write");
    std::fs::write(f.p("pastes/blob.bin"), [0u8, 159, 146, 150, 0, 1, 2]).expect("write");

    // Directory walk, JSON lines.
    let stdout = f.scan_exiting(&[&f.p("pastes")], 1);
    let docs: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(docs.len(), 2, "{stdout}");
    let mut refs = Vec::new();
    for d in &docs {
        for key in ["source", "bytes", "encoding", "truncated", "findings"] {
            assert!(d.get(key).is_some(), "{key} missing in {d}");
        }
        for finding in d["findings"].as_array().expect("findings") {
            assert!(["medium", "high"].contains(&finding["confidence"].as_str().expect("conf")));
            assert!(!finding["spans"].as_array().expect("spans").is_empty());
            refs.push(finding["record"].as_str().expect("record").to_owned());
        }
    }
    f.assert_resolve_to(&refs, &leaked);
    assert_no_raw_value(&stdout, leaked.iter().chain(&outsiders));

    // --all shows every document, including the skipped binary one.
    let out = f.scan(&["--all", &f.p("pastes")]);
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(stdout.lines().count(), 4);
    assert!(stdout.contains("\"skipped\":\"binary\""));

    // Only look-alikes: nothing found, exit 0.
    assert!(f.scan_exiting(&[&f.p("pastes/other.sql")], 0).is_empty());

    // Text format, min confidence high, stdin.
    let bundle = f.p("r.lwfp");
    let key = f.p("secret.key");
    let mut child = Command::new(env!("CARGO_BIN_EXE_leakwatch"))
        .args([
            "scan",
            "--bundle",
            &bundle,
            "--key-file",
            &key,
            "--format",
            "text",
        ])
        .args(["--min-confidence", "high", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let row = f.residents[42].register_row().join(",");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(row.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.starts_with("-: 1 record(s): 1 high"), "{text}");
    assert!(!text.contains(&f.residents[42].family));
}

/// A database dump compressed with bzip2 (`dump.sql.bz2`, as `mysqldump | bzip2` writes it):
/// its residents are found, with no raw value in the output; cut short, it is still read
/// without an error.
#[test]
fn bzip2_dumps_are_read() {
    let f = Fixture::new();
    let leaked = f.residents_at(&[42, 77, 300]);
    let sql = render(LeakForm::SqlInsert, &leaked, 5);
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
    bz.write_all(&sql).expect("compress");
    let bz = bz.finish().expect("compress");
    std::fs::write(f.p("dump.sql.bz2"), &bz).expect("write");
    let stdout = f.scan_exiting(&[&f.p("dump.sql.bz2")], 1);
    f.assert_resolve_to(&refs_of(&stdout), &leaked);
    assert_no_raw_value(&stdout, &leaked);
    // Cut in the middle of its only block: nothing to read, and no error.
    std::fs::write(f.p("cut.sql.bz2"), &bz[..bz.len() / 2]).expect("write");
    f.scan_exiting(&[&f.p("cut.sql.bz2")], 0);
}

#[test]
fn scan_errors_exit_2() {
    let f = Fixture::new();
    std::fs::write(f.p("a.txt"), "nothing here").expect("write");
    // Wrong key: refused, says so.
    let bundle = f.p("r.lwfp");
    let other = f.p("other.key");
    let a = f.p("a.txt");
    let out = leakwatch(&["scan", "--bundle", &bundle, "--key-file", &other, &a]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("key"), "{err}");
    // A missing path is an error, the other documents are still scanned.
    let missing = f.p("missing.txt");
    let out = f.scan(&[&missing, &a]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.txt"));
}

#[test]
fn many_files_come_out_in_order_with_stage_times() {
    // More files than the first read-ahead batches (8, 16, 32 files), with a leak in some.
    let f = Fixture::new();
    let dir = PathBuf::from(f.p("many"));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut names = Vec::new();
    for i in 0..70 {
        let name = format!("doc{i:03}.txt");
        let body = if i % 9 == 4 {
            render(LeakForm::CsvRegister, &f.residents[i..i + 2], i as u64)
        } else {
            format!("paste {i}: nothing to see\n").into_bytes()
        };
        std::fs::write(dir.join(&name), body).expect("write");
        names.push(name);
    }
    let out = f.scan(&["--all", "--stats", &f.p("many")]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let sources: Vec<String> = stdout
        .lines()
        .map(|l| {
            let d: serde_json::Value = serde_json::from_str(l).expect("json line");
            let s = d["source"].as_str().expect("source");
            let found = !d["findings"].as_array().expect("findings").is_empty();
            let name = Path::new(s).file_name().expect("name").to_string_lossy();
            assert_eq!(
                found,
                name[3..6].parse::<usize>().expect("n") % 9 == 4,
                "{s}"
            );
            name.into_owned()
        })
        .collect();
    assert_eq!(sources, names);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stats: serde_json::Value =
        serde_json::from_str(stderr.lines().last().expect("stats line")).expect("stats json");
    assert_eq!(stats["documents"], 70);
    let stages = stats["stage_seconds"].as_object().expect("stage_seconds");
    for stage in [
        "read",
        "decode",
        "html",
        "fold",
        "candidates",
        "walk",
        "corroborate",
    ] {
        assert!(stages[stage].as_f64().expect(stage) >= 0.0, "{stage}");
    }
    assert!(stages["fold"].as_f64().expect("fold") > 0.0);
    assert!(stats["read_wait_seconds"].as_f64().expect("wait") >= 0.0);
}

/// A register that keeps family and given names (and their readings, and the address) in
/// columns of their own: `fingerprint build` joins the parts, so `scan` finds the whole name,
/// and a family name alone with a resident's birth date is no finding.
#[test]
fn register_with_names_in_parts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let residents = synth::residents(300, 5);
    // One more row whose address parts give no town: left out, named by both its columns.
    let register =
        synth::parts_register_csv(&residents) + "Z1,山田,太郎,ヤマダ,タロウ,1980-01-02,1,2-3\n";
    let (summary, stderr) = build_owner_bundle(d, &register, synth::PARTS_SCHEMA_TOML);
    assert_eq!(summary["records"], 301, "{summary}");
    assert_eq!(
        summary["field_problems"][0]["reason"],
        "column \"住所1\" + \"住所2\" (address) left out: address has no town name",
        "{summary}"
    );
    // The data owner sees which columns were joined.
    assert_eq!(
        summary["joined_columns"]["name"].as_array().map(Vec::len),
        Some(2),
        "{summary}"
    );
    assert_eq!(
        summary["joined_columns"]["address"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert!(
        stderr.contains("joined          name_kana from columns"),
        "{stderr}"
    );
    let x = &residents[7];
    let scan = |text: String| scan_page(d, &text);
    let date = x.birth_date_iso();
    let found = scan(format!(
        "氏名: {} {}\n生年月日: {date}\n",
        x.family, x.given
    ));
    assert_eq!(found.status.code(), Some(1), "{found:?}");
    let doc: serde_json::Value = serde_json::from_slice(&found.stdout).expect("jsonl");
    let fields = &doc["findings"][0]["fields"];
    assert!(
        fields
            .as_array()
            .is_some_and(|f| f.contains(&"name".into()) && f.contains(&"birth_date".into())),
        "{doc}"
    );
    // The family name alone is no whole name: nothing at medium or above.
    let none = scan(format!("氏名: {} 某子\n生年月日: {date}\n", x.family));
    assert_eq!(
        none.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&none.stdout)
    );
}

/// A register that keeps a former family name (`旧氏`) next to the current one, with a schema
/// `[values]` table that makes two names of them: a page that lists the resident under either
/// name is found, as the same record, and a resident without a former name gets no second
/// (given name only) name.
#[test]
fn register_with_former_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let residents = synth::residents(300, 6);
    // The parts register with two more columns: every third resident has a former family
    // name (another resident's) and its reading.
    let mut csv = String::new();
    for (i, line) in synth::parts_register_csv(&residents).lines().enumerate() {
        let (former, former_kana) = match i.checked_sub(1) {
            None => ("旧氏", "旧氏カナ"),
            Some(k) if k % 3 == 0 => {
                let other = &residents[(k + 150) % residents.len()];
                (other.family.as_str(), other.family_kana.as_str())
            }
            Some(_) => ("", ""),
        };
        csv += &format!("{line},{former},{former_kana}\n");
    }
    let schema = format!(
        "{}\"旧氏\" = \"name\"\n\"旧氏カナ\" = \"name_kana\"\n\
         [values]\nname = [[\"氏\", \"名\"], [\"旧氏\", \"名\"]]\n\
         name_kana = [[\"セイ\", \"メイ\"], [\"旧氏カナ\", \"メイ\"]]\n",
        synth::PARTS_SCHEMA_TOML
    );
    let (summary, stderr) = build_owner_bundle(d, &csv, &schema);
    assert_eq!(summary["records"], 300, "{summary}");
    assert_eq!(
        summary["values"]["name"],
        serde_json::json!([["氏", "名"], ["旧氏", "名"]]),
        "{summary}"
    );
    assert_eq!(
        summary["field_problems"],
        serde_json::json!([]),
        "{summary}"
    );
    // A name and a reading each, and a second of each for the hundred with a former name.
    for kind in ["name", "name_kana"] {
        assert_eq!(summary["fingerprints_per_kind"][kind], 400, "{summary}");
    }
    assert!(
        stderr.contains("values          name: 氏 + 名; 旧氏 + 名"),
        "{stderr}"
    );
    let scan = |text: String| {
        let out = scan_page(d, &text);
        let findings: Vec<(String, Vec<String>)> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .flat_map(|l| {
                let doc: serde_json::Value = serde_json::from_str(l).expect("jsonl");
                doc["findings"]
                    .as_array()
                    .expect("findings")
                    .iter()
                    .map(|f| {
                        (
                            f["record"].as_str().expect("record").to_owned(),
                            serde_json::from_value(f["fields"].clone()).expect("fields"),
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        (out.status.code(), findings)
    };
    let (x, other) = (&residents[3], &residents[153]);
    let date = x.birth_date_iso();
    let listed = |family: &str, kana: &str| {
        format!(
            "氏名: {family} {}\nフリガナ: {kana} {}\n生年月日: {date}\n",
            x.given, x.given_kana
        )
    };
    let (code, now) = scan(listed(&x.family, &x.family_kana));
    assert_eq!(code, Some(1), "{now:?}");
    let (code, before) = scan(listed(&other.family, &other.family_kana));
    assert_eq!(code, Some(1), "{before:?}");
    // The same resident under either name, by name, reading and birth date.
    for found in [&now, &before] {
        let (record, fields) = found
            .iter()
            .find(|(r, _)| *r == now[0].0)
            .expect("the same record");
        assert_eq!(record, &now[0].0);
        for f in ["name", "name_kana", "birth_date"] {
            assert!(fields.iter().any(|k| k == f), "{f}: {found:?}");
        }
    }
    // A resident without a former name has no name made of the given name alone.
    let y = &residents[4];
    let (code, none) = scan(format!(
        "氏名: {}\n生年月日: {}\n",
        y.given,
        y.birth_date_iso()
    ));
    assert_eq!(code, Some(0), "{none:?}");
}

/// A register keeps names in their legal glyphs (`髙橋`, `山﨑`, `𠮷田`, a kanji with a variation
/// selector) and leaks in the common ones, or the other way round: both are the same name; so
/// are `ヅ` and `ズ` in a reading, and `ケ` and `ヶ` in a town.
#[test]
fn names_and_towns_in_variant_glyphs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mut residents = synth::residents(300, 7);
    // (as the register writes the family name, as the page writes it)
    let families = [
        ("髙橋", "高橋"),
        ("山﨑", "山崎"),
        ("渡邉", "渡辺"),
        ("𠮷田", "吉田"),
        ("葛\u{E0100}城", "葛城"),
        ("小沢", "小澤"),
        ("浜田", "濱田"),
    ];
    for (x, (register, _)) in residents.iter_mut().zip(families) {
        x.family = register.to_owned();
    }
    residents[7].family_kana = "モチヅキ".into();
    residents[8].town = "弥生ケ丘町".into();
    residents[8].chome = None;
    let (summary, _) = build_owner_bundle(
        d,
        &synth::parts_register_csv(&residents),
        synth::PARTS_SCHEMA_TOML,
    );
    assert_eq!(summary["records"], 300, "{summary}");
    assert_eq!(
        summary["field_problems"],
        serde_json::json!([]),
        "{summary}"
    );
    let page: String = residents
        .iter()
        .zip(families)
        .map(|(x, (_, written))| {
            format!(
                "氏名: {written} {}  生年月日: {}\n\n",
                x.given,
                x.birth_date_iso()
            )
        })
        .collect();
    let out = scan_page(d, &page);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("jsonl");
    let findings = doc["findings"].as_array().expect("findings");
    let records: std::collections::BTreeSet<&str> = findings
        .iter()
        .map(|f| f["record"].as_str().expect("record"))
        .collect();
    assert_eq!(records.len(), families.len(), "{doc}");
    for f in findings {
        assert_eq!(
            f["fields"],
            serde_json::json!(["name", "birth_date"]),
            "{doc}"
        );
    }
    // A reading with `ヅ` written with `ズ`, and a town of Japan Post's `ケ` written with `ヶ`.
    let (x, y) = (&residents[7], &residents[8]);
    let page = format!(
        "フリガナ: モチズキ {}  生年月日: {}\n\n氏名: {}  住所: 尼崎市弥生ヶ丘町{}-{}\n",
        x.given_kana,
        x.birth_date_iso(),
        y.name(),
        y.ban,
        y.go
    );
    let out = scan_page(d, &page);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("jsonl");
    let fields: std::collections::BTreeSet<String> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["fields"].to_string())
        .collect();
    assert_eq!(
        fields,
        [r#"["name","address"]"#, r#"["name_kana","birth_date"]"#]
            .map(String::from)
            .into(),
        "{doc}"
    );
}

/// A ZIP archive of one stored entry encrypted with PKWARE's traditional cipher (APPNOTE 6.1,
/// as `zip -P` writes it, without a data descriptor).
fn zipcrypto(name: &str, data: &[u8], password: &str) -> Vec<u8> {
    fn crc_byte(crc: u32, b: u8) -> u32 {
        let mut c = (crc ^ u32::from(b)) & 0xFF;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        (crc >> 8) ^ c
    }
    let mut k = [0x1234_5678u32, 0x2345_6789, 0x3456_7890];
    let update = |k: &mut [u32; 3], b: u8| {
        k[0] = crc_byte(k[0], b);
        k[1] = k[1]
            .wrapping_add(k[0] & 0xFF)
            .wrapping_mul(134_775_813)
            .wrapping_add(1);
        k[2] = crc_byte(k[2], (k[1] >> 24) as u8);
    };
    for b in password.bytes() {
        update(&mut k, b);
    }
    let crc = crc32fast::hash(data);
    let mut plain = vec![0x5Au8; 11];
    plain.push((crc >> 24) as u8);
    plain.extend_from_slice(data);
    let sealed: Vec<u8> = plain
        .iter()
        .map(|&p| {
            let t = (k[2] | 2) as u16;
            let c = p ^ (t.wrapping_mul(t ^ 1) >> 8) as u8;
            update(&mut k, p);
            c
        })
        .collect();
    let size = sealed.len() as u32;
    let mut z = b"PK\x03\x04\x14\x00\x01\x00\x00\x00\x00\x00\x00\x00".to_vec();
    for v in [crc, size, data.len() as u32] {
        z.extend_from_slice(&v.to_le_bytes());
    }
    z.extend_from_slice(&(name.len() as u16).to_le_bytes());
    z.extend_from_slice(&[0, 0]);
    z.extend_from_slice(name.as_bytes());
    z.extend_from_slice(&sealed);
    z
}

/// The opaque record references of a one-document `scan --format jsonl` output.
fn refs_of(stdout: &str) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one json line");
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|x| x["record"].as_str().expect("record").to_owned())
        .collect()
}

/// Scans `path` with the password file `list`: exit 1, the findings resolve to `leaked`, and
/// neither the password nor a raw value is printed.
fn assert_found_with_password_file(
    f: &Fixture,
    (list, path): (&str, &str),
    password: &str,
    leaked: &[Resident],
) {
    let out = f.scan(&["--password-file", list, "--format", "jsonl", path]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    f.assert_resolve_to(&refs_of(&stdout), leaked);
    assert!(!stdout.contains("\"locked\""), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains(password) && !stderr.contains(password));
    assert_no_raw_value(&stdout, leaked);
}

/// Asserts that `leakwatch scan` of `extra` exits 0 (nothing found) and prints its one
/// document with one encrypted file no password opened: `"locked":1`, no finding (and says
/// so in text).
fn assert_locked(f: &Fixture, extra: &[&str]) {
    let stdout = f.scan_exiting(&[&["--format", "jsonl"], extra].concat(), 0);
    let docs: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(docs.len(), 1, "{stdout}");
    assert_eq!(docs[0]["locked"], 1, "{stdout}");
    assert_eq!(docs[0]["findings"], serde_json::json!([]), "{stdout}");
    let text = f.scan_exiting(&[&["--format", "text"], extra].concat(), 0);
    assert!(
        text.contains("(1 encrypted file(s) no password opened, not scanned)"),
        "{text}"
    );
}

/// The encrypted file `file`, written as `name`: nothing found without its password (its
/// document printed as locked); `leaked`
/// found with the operator's password file (see [`assert_found_with_password_file`]), and
/// when it is attached (as `content_type`) to one mail and `password_mail` (UTF-8 text) is
/// the next; the password in no output.
fn assert_found_only_with_its_password(
    f: &Fixture,
    (name, content_type, file): (&str, &str, &[u8]),
    (password, password_mail): (&str, &str),
    leaked: &[Resident],
) {
    std::fs::write(f.p(name), file).expect("write");
    std::fs::write(f.p("passwords.txt"), format!("infected\n{password}\n")).expect("write");
    let (sealed, list) = (f.p(name), f.p("passwords.txt"));
    assert_locked(f, &[&sealed]);
    assert_found_with_password_file(f, (&list, &sealed), password, leaked);
    let mbox = format!(
        "From a@example.jp Mon Nov  2 10:00:00 2026\nFrom: a@example.jp\nSubject: list\n\
         MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\n\
         Content-Type: {content_type}\nContent-Transfer-Encoding: base64\n\n{}\n--b--\n\n\
         From a@example.jp Mon Nov  2 10:01:00 2026\nFrom: a@example.jp\nSubject: pw\n\
         MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n\
         {password_mail}\n",
        fingerprints::leaks::base64(file)
    );
    let mailbox = f.p(&format!("ppap-{name}.mbox"));
    std::fs::write(&mailbox, &mbox).expect("write");
    let stdout = f.scan_exiting(&["--format", "jsonl", &mailbox], 1);
    f.assert_resolve_to(&refs_of(&stdout), leaked);
    assert!(!stdout.contains(password));
}

/// A CSV of three residents in RAR archives encrypted as WinRAR encrypts them: RAR 5 with its
/// headers encrypted too (`rar a -hp`: AES-256, the key 2^15 rounds of PBKDF2-HMAC-SHA256)
/// under a Japanese password, and RAR 4's format solid with only the files encrypted
/// (`rar a -ma4 -s -p`: AES-128, the key 2^18 rounds of SHA-1): nothing without the password;
/// read with the operator's password file, or with the password a mail after it gives.
#[test]
fn encrypted_rar_archives_open_with_a_password_file_or_the_mailbox_s_own() {
    use rars::{ArchiveVersion, Builder};
    let f = Fixture::new();
    let leaked = f.residents_at(&[41, 160, 322]);
    let csv = render(LeakForm::CsvRegister, &leaked, 11);
    let readme = b"meibo.csv: 2026-11 export\n".to_vec();
    for (name, format, password, headers) in [
        ("leak.rar", ArchiveVersion::Rar50, "解凍キー2026", true),
        ("leak4.rar", ArchiveVersion::Rar29, "Meibo#2026", false),
    ] {
        let mut b = Builder::new(format)
            .password(Some(password.as_bytes().to_vec()))
            .header_encryption(headers)
            .solid(!headers);
        b.add_bytes(b"readme.txt".to_vec(), readme.clone(), None, None)
            .expect("readme");
        b.add_bytes(b"meibo.csv".to_vec(), csv.clone(), None, None)
            .expect("csv");
        let archive = b.to_bytes().expect("rar");
        assert_eq!(
            archive.windows(9).any(|w| w == &b"meibo.csv"[..]),
            !headers,
            "{name}"
        );
        assert_found_only_with_its_password(
            &f,
            (name, "application/vnd.rar", &archive),
            (password, &format!("解凍パスワードは「{password}」です。")),
            &leaked,
        );
    }
}

/// A Word 97 document of `rows` (cells), encrypted as LibreOffice and Office 97–2000 encrypt
/// one ([MS-OFFCRYPTO] 2.3.6: RC4, each block's key MD5 of the file's key and the block's
/// number, the file's key 40 bits of MD5 of the salt and of the password's MD5 cut to 40 bits;
/// a 52-byte header at the table stream's start).
fn word97_rc4(rows: &[&[&str]], password: &str) -> Vec<u8> {
    use md5::{Digest, Md5};
    fn rc4(key: &[u8], data: &mut [u8]) {
        let mut s: Vec<u8> = (0..=255).collect();
        let mut j = 0u8;
        for i in 0..256 {
            j = j.wrapping_add(s[i]).wrapping_add(key[i % key.len()]);
            s.swap(i, usize::from(j));
        }
        let (mut i, mut j) = (0u8, 0u8);
        for b in data {
            i = i.wrapping_add(1);
            j = j.wrapping_add(s[usize::from(i)]);
            s.swap(usize::from(i), usize::from(j));
            *b ^= s[usize::from(s[usize::from(i)].wrapping_add(s[usize::from(j)]))];
        }
    }
    let text = format!("会員名簿\r{}", fingerprints::leaks::word97_table(rows));
    let (mut doc, table) = fingerprints::leaks::word97_streams(&[(&text, false)], 0x0100);
    let utf16: Vec<u8> = password.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let salt = [0x5Au8; 16];
    let h0 = Md5::digest(&utf16);
    let mut buffer = Vec::new();
    for _ in 0..16 {
        buffer.extend_from_slice(&h0[..5]);
        buffer.extend_from_slice(&salt);
    }
    let base = Md5::digest(&buffer)[..5].to_vec();
    let key = |block: usize| Md5::digest([&base[..], &(block as u32).to_le_bytes()].concat());
    let verifier = [0x33u8; 16];
    let mut check = verifier.to_vec();
    check.extend_from_slice(&Md5::digest(verifier));
    rc4(&key(0), &mut check);
    let mut header = vec![1, 0, 1, 0];
    header.extend_from_slice(&salt);
    header.extend_from_slice(&check);
    // The header goes first in the table stream: the `Fib`'s two offsets into it move.
    let pairs_at = 0x22 + 28 + 2 + 88;
    for pair in [13, 33] {
        let at = pairs_at + 2 + 8 * pair;
        let fc = u32::from_le_bytes(doc[at..at + 4].try_into().unwrap()) + 52;
        doc[at..at + 4].copy_from_slice(&fc.to_le_bytes());
    }
    doc[0x0E..0x12].copy_from_slice(&52u32.to_le_bytes());
    let mut table = [header, table].concat();
    // Encrypted in blocks of 512 bytes, past the `Fib`'s first 68 bytes and the header.
    for (stream, from) in [(&mut doc, 0x44), (&mut table, 52)] {
        let mut keystream = vec![0u8; 512];
        for n in 0..stream.len().div_ceil(512) {
            keystream.fill(0);
            rc4(&key(n), &mut keystream);
            for pos in (512 * n).max(from)..(512 * (n + 1)).min(stream.len()) {
                stream[pos] ^= keystream[pos - 512 * n];
            }
        }
    }
    fingerprints::leaks::compound_file(&[
        fingerprints::leaks::CompoundNode::Stream("WordDocument", &doc),
        fingerprints::leaks::CompoundNode::Stream("1Table", &table),
    ])
}

/// A member list of three residents in a Word 97 document encrypted with a password: read
/// only with the operator's password file, or with the password mailed after it; the password
/// is never printed.
#[test]
fn encrypted_word_97_documents_open_with_a_password_file_or_the_mailbox_s_own() {
    let f = Fixture::new();
    let leaked = f.residents_at(&[7, 222, 388]);
    let cells: Vec<[String; 4]> = leaked
        .iter()
        .map(|r| {
            [
                format!("{} {}", r.family, r.given),
                format!("{}-{:02}-{:02}", r.birth.0, r.birth.1, r.birth.2),
                format!(
                    "尼崎市{}{}-{}",
                    r.town,
                    r.chome.map_or(String::new(), |c| format!("{c}-")),
                    r.ban
                ),
                r.phone.clone(),
            ]
        })
        .collect();
    let rows: Vec<Vec<&str>> = cells
        .iter()
        .map(|c| c.iter().map(String::as_str).collect())
        .collect();
    let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    let password = "会員名簿2026";
    let doc = word97_rc4(&rows, password);
    assert_found_only_with_its_password(
        &f,
        ("meibo.doc", "application/msword", &doc),
        (password, &format!("パスワード：{password}")),
        &leaked,
    );
}

/// An SQL dump of three residents, in a ZIP entry encrypted with a password: read only with the
/// operator's password file, or with the password a mailbox gives in a mail of its own ("PPAP");
/// the password is never printed, and a missing password file is an error naming it.
#[test]
fn encrypted_zip_entries_open_with_a_password_file_or_the_mailbox_s_own() {
    let f = Fixture::new();
    let leaked = f.residents_at(&[12, 240, 410]);
    let sql = render(LeakForm::SqlInsert, &leaked, 5);
    let password = "Leak2026!meibo";
    let archive = zipcrypto("dump.sql", &sql, password);
    std::fs::write(f.p("dump.zip"), &archive).expect("write");
    std::fs::write(f.p("passwords.txt"), format!("infected\n{password}\n")).expect("write");
    std::fs::write(f.p("wrong.txt"), "infected\n").expect("write");
    let (zip, list, wrong) = (f.p("dump.zip"), f.p("passwords.txt"), f.p("wrong.txt"));
    assert_locked(&f, &[&zip]);
    assert_locked(&f, &["--password-file", &wrong, &zip]);
    assert_found_with_password_file(&f, (&list, &zip), password, &leaked);
    // The mailbox: the archive attached to one mail, its password in the next.
    let b64 = fingerprints::leaks::base64(&archive);
    let mbox = format!(
        "From a@example.jp Mon Nov  2 10:00:00 2026\nFrom: a@example.jp\nSubject: list\n\
         MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\n\
         Content-Type: text/plain\n\nThe list is attached.\n--b\nContent-Type: application/zip\n\
         Content-Transfer-Encoding: base64\n\n{b64}\n--b--\n\n\
         From a@example.jp Mon Nov  2 10:01:00 2026\nFrom: a@example.jp\nSubject: pw\n\n\
         Password: {password}\n"
    );
    std::fs::write(f.p("ppap.mbox"), &mbox).expect("write");
    let stdout = f.scan_exiting(&["--format", "jsonl", &f.p("ppap.mbox")], 1);
    f.assert_resolve_to(&refs_of(&stdout), &leaked);
    assert!(!stdout.contains(password));
    // A password file that cannot be read: exit 2, the file named.
    let missing = f.p("missing-passwords.txt");
    let out = f.scan(&["--password-file", &missing, &zip]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing-passwords.txt"));
}

/// A CSV of three residents in a 7z archive whose data and header are encrypted (AES-256, as
/// `7z a -p -mhe=on` writes it): nothing without the password; read with the operator's
/// password file, or with the password a mail after it gives; the password never printed.
#[test]
fn encrypted_seven_zip_archives_open_with_a_password_file_or_the_mailbox_s_own() {
    use sevenz_rust2::encoder_options::{AesEncoderOptions, Lzma2Options};
    let f = Fixture::new();
    let leaked = f.residents_at(&[33, 150, 301]);
    let csv = render(LeakForm::CsvRegister, &leaked, 7);
    // Not ASCII: 7-Zip keys the archive with the password in UTF-16.
    let password = "解凍キー2026";
    let mut w = sevenz_rust2::ArchiveWriter::new(std::io::Cursor::new(Vec::new())).expect("7z");
    // 2^19 rounds of SHA-256 for the key, as 7-Zip derives it (`sevenz-rust2` writes 2^8).
    let mut aes = AesEncoderOptions::new(password.into());
    aes.num_cycles_power = 19;
    w.set_content_methods(vec![aes.into(), Lzma2Options::default().into()]);
    w.set_encrypt_header(true);
    w.push_archive_entry(
        sevenz_rust2::ArchiveEntry::new_file("meibo.csv"),
        Some(&csv[..]),
    )
    .expect("entry");
    let archive = w.finish().expect("finish").into_inner();
    assert!(!archive.windows(8).any(|w| w == &b"meibo.cs"[..]));
    assert_found_only_with_its_password(
        &f,
        ("leak.7z", "application/x-7z-compressed", &archive),
        (password, &format!("解凍パスワードは「{password}」です。")),
        &leaked,
    );
}
