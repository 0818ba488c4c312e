//! Evaluation: leak residents of a synthetic register in ten document forms and many
//! notations, plus the same forms filled with people who are not in the register, and measure
//! recall and false positives per form; once with the register's names and readings stored
//! with a space between family and given name, once without.
//!
//! Register size: `LEAKWATCH_EVAL_RESIDENTS` (default 50,000; the benchmark script runs it at
//! 460,177 in release mode). Targets: ≥ 99% of leaked residents found at medium or above; no
//! medium-or-above finding on non-residents except true collisions (a non-resident with the same
//! name and birth date as a resident).

use std::collections::{HashMap, HashSet};

use fingerprints::leaks::{LeakForm, render, swap_variants};
use fingerprints::normalize::fold_str;
use fingerprints::synth::{self, Resident};
use fingerprints::{BundleBuilder, FieldKind, RecordRef, SecretKey};
use matcher::{Confidence, Document, Matcher, MatcherConfig};

const SEED: u64 = 42;
const PER_DOCUMENT: usize = 60;

fn same_person_data(a: &Resident, b: &Resident) -> bool {
    use fingerprints::normalize::fold_str;
    // Folded: `嶋田` and `島田` are one name written in two glyphs.
    fold_str(&a.family) == fold_str(&b.family)
        && fold_str(&a.given) == fold_str(&b.given)
        && a.birth == b.birth
}

/// In Latin letters, people whose readings share romaji keys and who share a birth date are
/// the same data (サトウ and サト, オオノ and オノ are one spelling there).
fn same_romaji_data(a: &Resident, b: &Resident) -> bool {
    use fingerprints::normalize::romaji::katakana_key;
    a.birth == b.birth
        && katakana_key(&a.family_kana) == katakana_key(&b.family_kana)
        && katakana_key(&a.given_kana) == katakana_key(&b.given_kana)
}

/// Whether folded `text` writes `r`'s address in Latin letters: its block numbers
/// (`2-8-2`, `2 chome-8-2`) with its postal code (`660-0875`) near them.
fn latin_address_written(text: &str, r: &Resident) -> bool {
    let postal = format!("{}-{}", &r.postal_code[..3], &r.postal_code[3..]);
    let blocks = match r.chome {
        Some(c) => vec![
            format!("{c}-{}-{}", r.ban, r.go),
            format!("{c} chome-{}-{}", r.ban, r.go),
        ],
        None => vec![format!("{}-{}", r.ban, r.go)],
    };
    let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit() || c == '-');
    blocks.iter().any(|b| {
        text.match_indices(b.as_str()).any(|(at, _)| {
            let end = at + b.len();
            !digit(text[..at].chars().next_back()) && !digit(text[end..].chars().next()) && {
                let from = text.floor_char_boundary(at.saturating_sub(80));
                let to = text.ceil_char_boundary((end + 80).min(text.len()));
                text[from..to].contains(&postal)
            }
        })
    })
}

/// Whether folded `text` writes `r`'s address: the town, or the town without its `町`, then
/// the resident's block numbers (`南竹谷町2-8-2`, `南竹谷2-8-2`, `南竹谷町二丁目8番2号`, and in the
/// next cell of an SQL row, `南竹谷町','2-8-2`).
fn address_written(text: &str, r: &Resident) -> bool {
    let town = fold_str(&r.town);
    let stem = town.strip_suffix('町').unwrap_or(&town);
    let want: Vec<u32> = r
        .chome
        .map(u32::from)
        .into_iter()
        .chain([u32::from(r.ban), u32::from(r.go)])
        .collect();
    text.match_indices(stem).any(|(at, _)| {
        let mut rest = text[at + stem.len()..].chars().peekable();
        if stem.len() < town.len() && rest.peek() == Some(&'町') {
            rest.next();
        }
        // The numbers that follow, in digits or a kanji numeral, whatever stands between them.
        let mut numbers = Vec::new();
        let mut digits = String::new();
        for c in rest.take(16) {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            if !digits.is_empty() {
                numbers.push(digits.parse().unwrap_or(0));
                digits.clear();
            }
            if let Some(v) = fingerprints::normalize::kanji_numeral_value(&[c]) {
                numbers.push(v);
            } else if !matches!(
                c,
                '-' | '丁' | '目' | '番' | '号' | '地' | 'の' | '\'' | ','
            ) {
                break;
            }
        }
        if !digits.is_empty() {
            numbers.push(digits.parse().unwrap_or(0));
        }
        numbers.starts_with(&want)
    })
}

/// How the register stores names and readings.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Names {
    /// Family and given name apart: `山田 太郎`, `ヤマダ タロウ` (two tokens each).
    Spaced,
    /// Without a space: `山田太郎`, `ヤマダタロウ` (one token each), while leaks write them
    /// either way.
    Joined,
}

#[test]
fn recall_and_false_positives_per_form() {
    evaluate(Names::Spaced);
}

#[test]
fn recall_and_false_positives_per_form_with_names_stored_without_a_space() {
    evaluate(Names::Joined);
}

fn evaluate(names: Names) {
    let n: usize = std::env::var("LEAKWATCH_EVAL_RESIDENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let residents = synth::residents(n, SEED);
    let key = SecretKey::from_bytes([42; 32]);
    let mut builder = BundleBuilder::new(&key);
    let mut rows = synth::register_rows(&residents);
    if names == Names::Joined {
        rows.iter_mut().for_each(synth::without_name_spaces);
    }
    builder.add_rows(rows);
    let (bundle, _) = builder.finish().expect("bundle");
    let by_ref: HashMap<RecordRef, usize> = residents
        .iter()
        .enumerate()
        .map(|(i, r)| (bundle.hasher().record_ref(&r.id), i))
        .collect();
    let m = Matcher::new(bundle, MatcherConfig::default()).expect("matcher");
    let outsiders = synth::non_residents(PER_DOCUMENT * LeakForm::ALL.len(), SEED);

    println!(
        "register: {n} residents, names {names:?}; {PER_DOCUMENT} people per document\n\
         {:<14} {:>7} {:>9} {:>9} {:>12} {:>12} {:>9} {:>9} {:>9}",
        "form",
        "recall",
        "high",
        "missed",
        "fp(others)",
        "collisions",
        "names",
        "dates",
        "addresses"
    );
    let (mut total, mut found_total, mut unexplained_total) = (0, 0, 0);
    let (mut names_written, mut names_found) = (0, 0);
    let (mut addresses_written, mut addresses_found) = (0, 0);
    let mut prose_dates = (0, 0);
    let mut jsonl_dates = (0, 0);
    for (f, form) in LeakForm::ALL.into_iter().enumerate() {
        // Leaked residents: spread over the register.
        let leaked: Vec<Resident> = (0..PER_DOCUMENT)
            .map(|i| residents[(f * 7919 + i * 104_729) % n].clone())
            .collect();
        let doc = render(form, &leaked, f as u64);
        let report = m.scan(&Document::new(&doc));
        let want: HashSet<usize> = leaked
            .iter()
            .map(|r| by_ref[&m.bundle().hasher().record_ref(&r.id)])
            .collect();
        // The residents whose name the document writes in kanji (in whatever glyphs and
        // notation), and those of them found by it: other fields alone would find most
        // residents, so recall alone would not show a name notation the matcher misses.
        let text = match form {
            LeakForm::CsvShiftJis => encoding_rs::SHIFT_JIS.decode(&doc).0.into_owned(),
            LeakForm::TarGz => {
                // An SQL dump in UTF-8 and a CSV export in Shift_JIS: the archive read both
                // ways (each way garbles the other file, which then matches nothing).
                let mut tar = Vec::new();
                std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&doc[..]), &mut tar)
                    .expect("gunzip");
                String::from_utf8_lossy(&tar).into_owned() + &encoding_rs::SHIFT_JIS.decode(&tar).0
            }
            LeakForm::Docx => word_text(&doc),
            LeakForm::SevenZip => {
                // Its CSV file (the spreadsheet's text is deflated, as in the `xlsx` form).
                let mut text = String::new();
                sevenz_rust2::ArchiveReader::new(
                    std::io::Cursor::new(&doc[..]),
                    sevenz_rust2::Password::empty(),
                )
                .expect("7z header")
                .for_each_entries(|_, r| {
                    let mut data = Vec::new();
                    r.read_to_end(&mut data)?;
                    text.push_str(&String::from_utf8_lossy(&data));
                    Ok(true)
                })
                .expect("7z entries");
                text
            }
            // Its UTF-16 piece (in sectors at even offsets).
            LeakForm::Doc => {
                let units: Vec<u16> = doc
                    .chunks_exact(2)
                    .map(|p| u16::from_le_bytes([p[0], p[1]]))
                    .collect();
                String::from_utf16_lossy(&units)
            }
            LeakForm::Pdf => fingerprints::leaks::pdf_file_text(&doc),
            LeakForm::Rtf => fingerprints::leaks::rtf_file_text(&doc),
            _ => String::from_utf8_lossy(&doc).into_owned(),
        };
        let folded = fold_str(&text);
        let written: HashSet<usize> = leaked
            .iter()
            .filter(|r| {
                // In the register's glyphs or the other ones (`髙橋` for `高橋`), the given
                // name near the family name (not each somewhere in the document, as another
                // person's).
                let near = |family: &str, given: &str| {
                    let (family, given) = (fold_str(family), fold_str(given));
                    folded.match_indices(&family).any(|(k, _)| {
                        let from = folded.floor_char_boundary(k.saturating_sub(60));
                        let to = folded.floor_char_boundary(k + family.len() + 60);
                        folded[from..to].contains(&given)
                    })
                };
                near(&r.family, &r.given)
                    || near(&swap_variants(&r.family), &swap_variants(&r.given))
                    || near(&r.family, &swap_variants(&r.given))
                    || near(&swap_variants(&r.family), &r.given)
            })
            .map(|r| by_ref[&m.bundle().hasher().record_ref(&r.id)])
            .collect();
        // Likewise the residents whose address the document writes (the `csv-subset` and
        // `jsonl` forms leave some out), and those of them found with it.
        let addressed_written: HashSet<usize> = leaked
            .iter()
            .filter(|r| address_written(&folded, r) || latin_address_written(&folded, r))
            .map(|r| by_ref[&m.bundle().hasher().record_ref(&r.id)])
            .collect();
        let mut named = HashSet::new();
        let mut addressed = HashSet::new();
        let mut dated = HashSet::new();
        let mut found = HashSet::new();
        let mut high = 0;
        let mut fp_in_leak = 0;
        for finding in report.at_least(Confidence::Medium) {
            let idx = by_ref[&finding.record];
            if want.contains(&idx) {
                if written.contains(&idx) && finding.fields.contains(&FieldKind::Name) {
                    named.insert(idx);
                }
                if finding.fields.contains(&FieldKind::BirthDate) {
                    dated.insert(idx);
                }
                if addressed_written.contains(&idx) && finding.fields.contains(&FieldKind::Address)
                {
                    addressed.insert(idx);
                }
                found.insert(idx);
                high += usize::from(finding.confidence == Confidence::High);
            } else if !leaked.iter().any(|l| {
                same_person_data(l, &residents[idx])
                    || (form == LeakForm::Romaji && same_romaji_data(l, &residents[idx]))
            }) {
                fp_in_leak += 1;
                println!(
                    "  {}: unexpected {:?} {:?} for another resident",
                    form.name(),
                    finding.confidence,
                    finding.fields
                );
            }
        }
        // The same form filled with non-residents.
        let others = &outsiders[f * PER_DOCUMENT..(f + 1) * PER_DOCUMENT];
        let report = m.scan(&Document::new(&render(form, others, f as u64)));
        let mut collisions = 0;
        let mut unexplained = fp_in_leak;
        for finding in report.at_least(Confidence::Medium) {
            let r = &residents[by_ref[&finding.record]];
            let same = |o: &Resident| {
                same_person_data(o, r) || (form == LeakForm::Romaji && same_romaji_data(o, r))
            };
            if others.iter().any(same) {
                collisions += 1;
            } else {
                unexplained += 1;
                println!(
                    "  {}: non-resident gave {:?} {:?}",
                    form.name(),
                    finding.confidence,
                    finding.fields
                );
                if std::env::var("LEAKWATCH_EVAL_DEBUG").is_ok() {
                    let text =
                        String::from_utf8_lossy(&render(form, others, f as u64)).into_owned();
                    for s in &finding.spans {
                        println!("    {:?} {:?}", s.kind, text.get(s.start..s.end));
                    }
                    println!("    resident: {:?}", r.register_row());
                    for o in others.iter().filter(|o| o.birth == r.birth) {
                        println!("    born the same day: {:?}", o.register_row());
                    }
                }
            }
        }
        if std::env::var("LEAKWATCH_EVAL_DEBUG").is_ok() {
            // The lines of a (synthetic) resident found without the address it writes.
            for r in leaked.iter().filter(|r| {
                let idx = by_ref[&m.bundle().hasher().record_ref(&r.id)];
                addressed_written.contains(&idx) && !addressed.contains(&idx)
            }) {
                println!(
                    "    without address {}: {:?}",
                    form.name(),
                    r.register_row()
                );
                let stem = r.town.trim_end_matches('町');
                for line in text.lines().filter(|l| l.contains(stem)) {
                    println!("      {line}");
                }
            }
            // The lines of a missed (synthetic) resident, by birth date or postal code.
            let text = String::from_utf8_lossy(&doc).into_owned();
            for r in leaked
                .iter()
                .filter(|r| !found.contains(&by_ref[&m.bundle().hasher().record_ref(&r.id)]))
            {
                let (y, mo, d) = r.birth;
                const MONTHS: [&str; 12] = [
                    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                    "Dec",
                ];
                let month = MONTHS[usize::from(mo - 1)];
                let days = [
                    format!("{y:04}-{mo:02}-{d:02}"),
                    format!("{y}/{mo}/{d}"),
                    format!("{y}.{mo:02}.{d:02}"),
                    format!("{mo}/{d}/{y}"),
                    format!("{d:02}.{mo:02}.{y}"),
                    format!("{month} {d}, {y}"),
                    format!("{d} {month}"),
                    format!("{d}-{month}-{:02}", y % 100),
                    format!("{}-{}", &r.postal_code[..3], &r.postal_code[3..]),
                ];
                for line in text.lines().filter(|l| days.iter().any(|d| l.contains(d))) {
                    println!("    missed {}: {line}", form.name());
                }
            }
        }
        let recall = found.len() as f64 / want.len() as f64;
        println!(
            "{:<14} {:>6.1}% {:>9} {:>9} {:>12} {:>12} {:>9} {:>9} {:>9}",
            form.name(),
            recall * 100.0,
            high,
            want.len() - found.len(),
            unexplained,
            collisions,
            format!("{}/{}", named.len(), written.len()),
            format!("{}/{}", dated.len(), found.len()),
            format!("{}/{}", addressed.len(), addressed_written.len())
        );
        if form == LeakForm::Prose {
            // Prose writes every birth date, in printed notations too (`昭和43年 9月18日`,
            // `昭和43年（1968年）9月18日`, `43年9月18日`).
            prose_dates = (dated.len(), found.len());
        }
        if form == LeakForm::JsonLines {
            // So do JSON lines, in one field or in three (`"birth_year":1968,...`).
            jsonl_dates = (dated.len(), found.len());
        }
        names_written += written.len();
        names_found += named.len();
        addresses_written += addressed_written.len();
        addresses_found += addressed.len();
        total += want.len();
        found_total += found.len();
        unexplained_total += unexplained;
    }
    let recall = found_total as f64 / total as f64;
    println!(
        "overall: recall {:.2}% ({found_total}/{total}) at >= medium; {unexplained_total} unexplained false positives",
        recall * 100.0
    );
    println!(
        "names: {names_found}/{names_written} of the residents whose name a document writes \
         found with it"
    );
    println!(
        "addresses: {addresses_found}/{addresses_written} of the residents whose address a \
         document writes found with it"
    );
    assert!(recall >= 0.99, "recall {recall:.4} below 99%");
    assert_eq!(unexplained_total, 0, "false positives on non-residents");
    assert!(
        names_found * 100 >= names_written * 99,
        "names found with {names_found} of {names_written} residents, below 99%"
    );
    assert!(
        addresses_found * 100 >= addresses_written * 99,
        "addresses found with {addresses_found} of {addresses_written} residents, below 99%"
    );
    assert_eq!(
        prose_dates.0, prose_dates.1,
        "prose: the birth date in {} of {} findings",
        prose_dates.0, prose_dates.1
    );
    assert_eq!(
        jsonl_dates.0, jsonl_dates.1,
        "jsonl: the birth date in {} of {} findings",
        jsonl_dates.0, jsonl_dates.1
    );
}

/// Non-residents listed a line each with their birth dates, the dense form in which a name on
/// one line and a date on another could make a medium for a resident namesake born on that
/// date: the dates of other lines do not count where a line holds a date of its own. Printed
/// with Western years, with eras left out (`63年10月29日`, read as Shōwa, Heisei and Reiwa),
/// and with two-digit years (`63.10.29`, `88/10/29`, read as the Western year and the eras';
/// `881029`, the Western year): each reading more is one more chance for a namesake. Against
/// 460,177 residents and 40,000 people listed, 355 mediums other than true collisions before
/// the line rule; after it and the longer-name rule, 0 with Western years, 4 with eras left
/// out and 10 with two-digit years, namesakes born on a date that one reading gives.
#[test]
fn a_list_of_people_a_line_each() {
    let n: usize = std::env::var("LEAKWATCH_EVAL_RESIDENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let residents = synth::residents(n, SEED);
    let mut builder = BundleBuilder::new(&SecretKey::from_bytes([42; 32]));
    builder.add_rows(synth::register_rows(&residents));
    let (bundle, _) = builder.finish().expect("bundle");
    let by_ref: HashMap<RecordRef, usize> = residents
        .iter()
        .enumerate()
        .map(|(i, r)| (bundle.hasher().record_ref(&r.id), i))
        .collect();
    let m = Matcher::new(bundle, MatcherConfig::default()).expect("matcher");
    let listed = synth::non_residents(40_000, 7);
    for years in ["Western", "without era", "of two digits"] {
        let (mut collisions, mut others) = (0, 0);
        for chunk in listed.chunks(50) {
            let mut doc = String::new();
            for o in chunk {
                let (y, mo, d) = o.birth;
                let era_year = if (y, mo, d) >= (2019, 5, 1) {
                    y - 2018
                } else if (y, mo, d) >= (1989, 1, 8) {
                    y - 1988
                } else {
                    y - 1925
                };
                let date = match years {
                    "Western" => format!("{y}年{mo}月{d}日"),
                    "without era" => format!("{era_year}年{mo}月{d}日"),
                    // A third each: the era's (`39.8.13`), the Western (`64/08/13`), six
                    // digits (`640813`).
                    _ => match o.id.bytes().last().map_or(0, |b| b % 3) {
                        0 => format!("{era_year:02}.{mo}.{d}"),
                        1 => format!("{:02}/{mo:02}/{d:02}", y % 100),
                        _ => format!("{:02}{mo:02}{d:02}", y % 100),
                    },
                };
                doc.push_str(&format!("{}{}さん（{date}生まれ）\n", o.family, o.given));
            }
            for f in m
                .scan(&Document::new(doc.as_bytes()))
                .at_least(Confidence::Medium)
            {
                let r = &residents[by_ref[&f.record]];
                if chunk.iter().any(|o| same_person_data(o, r)) {
                    collisions += 1;
                } else {
                    others += 1;
                }
            }
        }
        println!(
            "{} people listed, years {years}: {collisions} true collisions, {others} other mediums",
            listed.len(),
        );
        assert!(
            others * 2_000 <= listed.len(),
            "{others} mediums for namesakes of {} people listed",
            listed.len()
        );
    }
}

/// The text of the body of a Word document the `docx` form wrote (stored or deflated entries,
/// as the form's ZIP writer writes them): its XML without tags, ruby readings and all, a line
/// a paragraph.
fn word_text(doc: &[u8]) -> String {
    let mut at = 0;
    while doc.get(at..at + 4) == Some(b"PK\x03\x04") {
        let u16_at = |k: usize| usize::from(u16::from_le_bytes([doc[at + k], doc[at + k + 1]]));
        let size = u32::from_le_bytes(doc[at + 18..at + 22].try_into().expect("4 bytes")) as usize;
        let (name_len, extra_len) = (u16_at(26), u16_at(28));
        let data = at + 30 + name_len + extra_len;
        if &doc[at + 30..at + 30 + name_len] == b"word/document.xml" {
            let mut xml = String::new();
            std::io::Read::read_to_string(
                &mut flate2::read::DeflateDecoder::new(&doc[data..data + size]),
                &mut xml,
            )
            .expect("inflate");
            let mut text = String::new();
            for piece in xml.replace("</w:p>", "\n").split('<') {
                text.push_str(piece.split_once('>').map_or(piece, |(_, t)| t));
            }
            return text;
        }
        at = data + size;
    }
    panic!("no word/document.xml");
}
