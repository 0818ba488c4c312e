//! Drives the real `leakwatch` binary: keygen, demo-data, fingerprint build / inspect / verify /
//! resolve, and every refusal the bundle issue asks for.

use std::path::PathBuf;
use std::process::{Command, Output};

use fingerprints::normalize::{Canonical, canonicalize};
use fingerprints::synth::{self, Resident};
use fingerprints::{FieldKind, Hasher, SecretKey};

fn leakwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leakwatch"))
        .args(args)
        .output()
        .expect("run leakwatch")
}

fn ok(args: &[&str]) -> Output {
    let out = leakwatch(args);
    assert!(
        out.status.success(),
        "leakwatch {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

struct Fixture {
    dir: tempfile::TempDir,
    residents: Vec<Resident>,
}

impl Fixture {
    fn new(n: usize) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let f = Fixture {
            dir,
            residents: synth::residents(n, 7),
        };
        ok(&[
            "demo-data",
            "--residents",
            &n.to_string(),
            "--seed",
            "7",
            "--out",
            f.s("reg"),
        ]);
        ok(&["keygen", "--out", f.s("secret.key")]);
        f
    }
    fn p(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn s(&self, name: &str) -> &str {
        Box::leak(self.p(name).to_string_lossy().into_owned().into_boxed_str())
    }
    fn build(&self, records: &str, out: &str, extra: &[&str]) -> Output {
        let mut args = vec![
            "fingerprint",
            "build",
            "--records",
            records,
            "--schema",
            self.s("reg/schema.toml"),
            "--key-file",
            self.s("secret.key"),
            "--out",
            out,
            "--json",
        ];
        args.extend_from_slice(extra);
        leakwatch(&args)
    }
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

#[test]
fn keygen_makes_private_file_and_refuses_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k");
    let k = key.to_str().unwrap();
    ok(&["keygen", "--out", k]);
    assert_eq!(std::fs::read(&key).unwrap().len(), 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let before = std::fs::read(&key).unwrap();
    let again = leakwatch(&["keygen", "--out", k]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already exists; refusing to overwrite"),
        "{}",
        stderr(&again)
    );
    assert_eq!(std::fs::read(&key).unwrap(), before);
}

/// Every way a field value could appear in bytes: raw, canonical, tokens; UTF-8 and Shift_JIS.
fn value_forms(r: &Resident) -> Vec<Vec<u8>> {
    let row = r.register_row();
    let kinds = [
        None,
        Some(FieldKind::Name),
        Some(FieldKind::NameKana),
        Some(FieldKind::BirthDate),
        Some(FieldKind::PostalCode),
        Some(FieldKind::Address),
        Some(FieldKind::Phone),
        Some(FieldKind::AccountNumber),
        Some(FieldKind::NationalId),
        Some(FieldKind::Email),
    ];
    let mut texts: Vec<String> = Vec::new();
    for (v, k) in row.iter().zip(kinds) {
        if v.is_empty() {
            continue;
        }
        texts.push(v.clone());
        match k.map(|k| canonicalize(k, v)) {
            Some(Ok(Canonical::Value(c))) => texts.push(c),
            Some(Ok(Canonical::Tokens(t))) => {
                texts.push(t.join(""));
                texts.push(t.join(" "));
                texts.extend(t);
            }
            _ => {}
        }
    }
    texts.extend([
        r.family.clone(),
        r.given.clone(),
        r.family_kana.clone(),
        r.given_kana.clone(),
        r.town.clone(),
    ]);
    let mut forms = Vec::new();
    for t in texts {
        let sjis = encoding_rs::SHIFT_JIS.encode(&t).0.into_owned();
        forms.push(t.into_bytes());
        forms.push(sjis);
    }
    // Shorter byte strings occur in any large random file by chance; they say nothing.
    forms.retain(|f| f.len() >= 5);
    forms.sort();
    forms.dedup();
    forms
}

#[test]
fn bundle_holds_no_field_value_in_any_form() {
    let f = Fixture::new(2_000);
    let out = f.build(f.s("reg/residents.csv"), f.s("r.lwfp"), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary = json(&out);
    assert_eq!(summary["records"], 2_000);
    assert_eq!(summary["rejected_rows"].as_array().unwrap().len(), 0);
    let bundle = std::fs::read(f.p("r.lwfp")).unwrap();
    let mut forms: Vec<Vec<u8>> = f.residents.iter().flat_map(value_forms).collect();
    // The register ids are not in it either.
    forms.extend(f.residents.iter().map(|r| r.id.clone().into_bytes()));
    assert!(forms.len() > 20_000, "only {} forms checked", forms.len());
    let ac = aho_corasick::AhoCorasick::new(&forms).unwrap();
    // Control: the same search finds the values in the register itself.
    let csv = std::fs::read(f.p("reg/residents.csv")).unwrap();
    assert!(
        ac.find_iter(&csv).count() > 10_000,
        "the value forms are not what the register holds"
    );
    if let Some(m) = ac.find(&bundle) {
        panic!(
            "a register value ({} bytes) occurs in the bundle at offset {}",
            m.len(),
            m.start()
        );
    }
}

#[test]
fn inspect_needs_no_key_and_verify_opens_with_it() {
    let f = Fixture::new(300);
    assert!(
        f.build(f.s("reg/residents.csv"), f.s("r.lwfp"), &[])
            .status
            .success()
    );
    let out = ok(&["fingerprint", "inspect", f.s("r.lwfp")]);
    let text = String::from_utf8_lossy(&out.stdout);
    let key_id = SecretKey::read(&f.p("secret.key"))
        .unwrap()
        .key_id()
        .to_string();
    assert!(
        text.contains(&format!(
            "format version  {}",
            fingerprints::bundle::FORMAT_VERSION
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("key id          {key_id}")),
        "{text}"
    );
    assert!(text.contains("records         300"), "{text}");
    let meta: serde_json::Value =
        serde_json::from_slice(&ok(&["fingerprint", "inspect", "--json", f.s("r.lwfp")]).stdout)
            .unwrap();
    assert_eq!(meta["records"], 300);
    assert!(meta["section_bytes"]["strong_index"].as_u64().unwrap() > 0);
    let v = json(&ok(&[
        "fingerprint",
        "verify",
        f.s("r.lwfp"),
        "--key-file",
        f.s("secret.key"),
    ]));
    assert_eq!(v["records"], 300);
}

#[test]
fn refuses_wrong_key_corrupt_truncated_foreign_and_future_bundles() {
    let f = Fixture::new(200);
    assert!(
        f.build(f.s("reg/residents.csv"), f.s("r.lwfp"), &[])
            .status
            .success()
    );
    ok(&["keygen", "--out", f.s("other.key")]);
    let good = std::fs::read(f.p("r.lwfp")).unwrap();
    let verify =
        |bundle: &str, key: &str| leakwatch(&["fingerprint", "verify", bundle, "--key-file", key]);

    let o = verify(f.s("r.lwfp"), f.s("other.key"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("wrong key: the bundle was built with key id"),
        "{}",
        stderr(&o)
    );

    let mut corrupt = good.clone();
    let mid = corrupt.len() / 2;
    corrupt[mid] ^= 0x40;
    std::fs::write(f.p("corrupt.lwfp"), &corrupt).unwrap();
    let o = verify(f.s("corrupt.lwfp"), f.s("secret.key"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("bundle is corrupt: checksum mismatch"),
        "{}",
        stderr(&o)
    );
    let o = leakwatch(&["fingerprint", "inspect", f.s("corrupt.lwfp")]);
    assert!(
        stderr(&o).contains("bundle is corrupt"),
        "inspect must check too: {}",
        stderr(&o)
    );

    for cut in [good.len() - 1, good.len() / 3, 30, 5] {
        std::fs::write(f.p("short.lwfp"), &good[..cut]).unwrap();
        let o = verify(f.s("short.lwfp"), f.s("secret.key"));
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).contains("bundle is truncated"),
            "cut at {cut}: {}",
            stderr(&o)
        );
    }

    std::fs::write(f.p("foreign.lwfp"), b"PK\x03\x04 not a bundle at all").unwrap();
    let o = verify(f.s("foreign.lwfp"), f.s("secret.key"));
    assert!(
        stderr(&o).contains("not a leakwatch fingerprint bundle"),
        "{}",
        stderr(&o)
    );

    let mut future = good.clone();
    future[8..12].copy_from_slice(&99u32.to_le_bytes());
    std::fs::write(f.p("future.lwfp"), &future).unwrap();
    let o = verify(f.s("future.lwfp"), f.s("secret.key"));
    assert!(
        stderr(&o).contains("bundle format version 99 is not supported"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn malformed_rows_are_reported_with_line_numbers_and_the_rest_is_built() {
    let f = Fixture::new(50);
    let csv = std::fs::read_to_string(f.p("reg/residents.csv")).unwrap();
    let mut lines: Vec<String> = csv.lines().map(str::to_owned).collect();
    lines[3] = "R-bad,only,three".into(); // line 4: ragged
    let dup = lines[5].clone();
    lines.push(dup); // duplicate id at the end
    let mut bad_date: Vec<String> = lines[10].split(',').map(str::to_owned).collect();
    bad_date[3] = "1975-02-30".into(); // line 11: birth date left out, record kept
    lines[10] = bad_date.join(",");
    let n = lines.len();
    std::fs::write(f.p("bad.csv"), lines.join("\n") + "\n").unwrap();
    let out = f.build(
        f.s("bad.csv"),
        f.s("b.lwfp"),
        &["--problems-out", f.s("problems.tsv")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let s = json(&out);
    assert_eq!(
        s["records"], 49,
        "50 residents, one ragged row rejected, the duplicate rejected"
    );
    let rejected = s["rejected_rows"].as_array().unwrap();
    assert_eq!(rejected[0]["line"], 4);
    assert_eq!(rejected[0]["reason"], "has 3 fields, the header has 10");
    assert_eq!(rejected[1]["line"], n as u64);
    assert_eq!(rejected[1]["reason"], "duplicate id (same as line 6)");
    let fields = s["field_problems"].as_array().unwrap();
    assert_eq!(fields[0]["line"], 11);
    assert_eq!(
        fields[0]["reason"],
        "column \"生年月日\" (birth_date) left out: not a valid date"
    );
    let text = stderr(&out);
    assert!(
        text.contains("line 4: has 3 fields, the header has 10"),
        "{text}"
    );
    let problems = std::fs::read_to_string(f.p("problems.tsv")).unwrap();
    assert!(problems.contains("4\trejected\thas 3 fields"), "{problems}");
    assert!(
        !text.contains("1975-02-30") && !problems.contains("1975-02-30"),
        "no value in messages"
    );
}

#[test]
fn schema_errors_name_the_entry() {
    let f = Fixture::new(10);
    let cases = [
        (
            "\"氏名\" = \"fullname\"",
            "column \"氏名\" has unknown kind \"fullname\"",
        ),
        (
            "\"旧姓\" = \"name\"",
            "column \"旧姓\" (name) is not in the register's header",
        ),
    ];
    for (column, want) in cases {
        std::fs::write(
            f.p("bad.toml"),
            format!("id_column = \"住民番号\"\n[columns]\n{column}\n"),
        )
        .unwrap();
        let o = leakwatch(&[
            "fingerprint",
            "build",
            "--records",
            f.s("reg/residents.csv"),
            "--schema",
            f.s("bad.toml"),
            "--key-file",
            f.s("secret.key"),
            "--out",
            f.s("x.lwfp"),
        ]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains(want), "{}", stderr(&o));
        assert!(!f.p("x.lwfp").exists());
    }
}

#[test]
fn shift_jis_tsv_register_builds_the_same_records() {
    let f = Fixture::new(100);
    let csv = std::fs::read_to_string(f.p("reg/residents.csv")).unwrap();
    let tsv = csv.replace(',', "\t");
    std::fs::write(f.p("sjis.tsv"), encoding_rs::SHIFT_JIS.encode(&tsv).0).unwrap();
    let out = f.build(
        f.s("sjis.tsv"),
        f.s("s.lwfp"),
        &["--encoding", "shift_jis", "--delimiter", "tab"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let s = json(&out);
    assert_eq!(s["records"], 100);
    let utf8 = json(&f.build(f.s("reg/residents.csv"), f.s("u.lwfp"), &[]));
    assert_eq!(s["fingerprints_per_kind"], utf8["fingerprints_per_kind"]);
    // A BOM is tolerated.
    std::fs::write(
        f.p("bom.csv"),
        [b"\xEF\xBB\xBF".as_slice(), csv.as_bytes()].concat(),
    )
    .unwrap();
    assert_eq!(
        json(&f.build(f.s("bom.csv"), f.s("bom.lwfp"), &[]))["records"],
        100
    );
}

#[test]
fn resolve_maps_refs_back_to_ids() {
    let f = Fixture::new(100);
    let key = SecretKey::read(&f.p("secret.key")).unwrap();
    let h = Hasher::new(&key);
    let r1 = h.record_ref(&f.residents[3].id).to_string();
    let r2 = h.record_ref(&f.residents[42].id).to_string();
    let base = [
        "fingerprint",
        "resolve",
        "--records",
        f.s("reg/residents.csv"),
        "--schema",
        f.s("reg/schema.toml"),
        "--key-file",
        f.s("secret.key"),
    ];
    let mut args = base.to_vec();
    args.extend([r1.as_str(), r2.as_str()]);
    let out = ok(&args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text,
        format!(
            "{r1}\t{}\n{r2}\t{}\n",
            f.residents[3].id, f.residents[42].id
        )
    );
    std::fs::write(f.p("refs.txt"), format!("{r2}\nr0000000000000000\n")).unwrap();
    let mut args = base.to_vec();
    args.extend(["--refs-file", f.s("refs.txt")]);
    let out = leakwatch(&args);
    assert_eq!(out.status.code(), Some(1), "an unknown ref is reported");
    assert!(stderr(&out).contains("r0000000000000000: not in this register"));
}
