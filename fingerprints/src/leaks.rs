//! SYNTHETIC leak documents: residents from [`crate::synth`] written the way real leaks are
//! written, for the matcher's evaluation, the benchmarks and the demo paste site.
//!
//! Every [`LeakForm`] renders a list of people into one document (bytes; one form is
//! Shift_JIS). Each person's values are written in a notation drawn at random from the ones
//! leaks use: era and Western dates, full-width digits, katakana / hiragana / half-width
//! readings, names with and without (ideographic) spaces or in variant kanji, addresses with
//! and without prefecture and city and with 丁目/番/号 or hyphens, phones with `+81` or
//! parentheses, grouped My Numbers and bank/branch/account triples. Rendering is deterministic
//! in `seed`.
//!
//! ```
//! use fingerprints::leaks::{LeakForm, render};
//! use fingerprints::synth;
//!
//! let people = synth::residents(3, 1);
//! let doc = render(LeakForm::Prose, &people, 7);
//! assert!(String::from_utf8(doc).unwrap().contains(&people[0].family));
//! ```

use std::fmt::Write as _;

use unicode_normalization::UnicodeNormalization;

use crate::synth::Resident;

mod office97;
mod pdf;
mod rtf;

pub use office97::{
    CompoundNode, WORD_CELL_PARAGRAPH, WORD_ROW_END, compound_file, word97, word97_streams,
    word97_table,
};
pub use pdf::{pdf_file, pdf_file_text};
pub use rtf::{RTF_CELL_PARAGRAPH, RtfEscapes, rtf_file, rtf_file_text};

/// The shapes of leak document the evaluation covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LeakForm {
    /// CSV with the register's own header and notation.
    CsvRegister,
    /// CSV with a subset of columns in shuffled order, values in mixed notations.
    CsvSubset,
    /// TSV with full-width digits and half-width kana.
    TsvFullWidth,
    /// JSON lines with English keys; the name and reading in one field each, or each in two
    /// (family and given name), with English keys or Japanese ones.
    JsonLines,
    /// An SQL `INSERT` dump (values separated by `','` or `', '`; the name in one column or in
    /// two), and a third of the people in a web shop's customer table (name, reading, postal
    /// code, phone number and address split into columns, as EC-CUBE keeps them).
    SqlInsert,
    /// An HTML "market listing" page with a table.
    HtmlTable,
    /// Japanese prose with the values inline, and web form mails (a field a line, the name in
    /// two).
    Prose,
    /// A Markdown table.
    Markdown,
    /// A Shift_JIS-encoded CSV.
    CsvShiftJis,
    /// A listing with the names in Latin letters (Hepburn, passport or Kunrei spelling, family
    /// or given name first; in English lines, in quoted cells, or in full width in Japanese
    /// lines).
    Romaji,
    /// A mailbox (mbox) of a web shop's order confirmations, as a leaked mail account holds
    /// them: the name in the `To:` field's encoded word, the body in base64 or
    /// quoted-printable UTF-8 or in 7-bit ISO-2022-JP, some with the customer's row attached
    /// as CSV.
    Mbox,
    /// A spreadsheet (`.xlsx`, deflated), as leak sites publish a customer list: name,
    /// reading, birth date (a date serial in a date style, as Excel stores dates), address and
    /// phone number (one in four a number, its leading `0` lost), a row each.
    Xlsx,
    /// A site's backup as leak sites and forums post it, a `.tar.gz`: half the people in an SQL
    /// dump (`backup/db/customers.sql`), half in a Shift_JIS CSV export
    /// (`backup/export/members.csv`), with a README beside them.
    TarGz,
    /// A Word document (`.docx`), a member list as associations and schools keep one: a table
    /// of name, reading, birth date, address and phone number, the name split into runs as
    /// Word writes them (at the space, or with a ruby reading over the family name), one
    /// reading in four as a second paragraph of the name's cell.
    Docx,
    /// A web app's SQLite database (`db.sqlite3`), its users table as Django keeps one: family
    /// and given name in two columns, the reading, birth date, e-mail address, phone number
    /// and address.
    Sqlite,
    /// A leak site's archive (`.7z`, one solid LZMA2 block, as 7-Zip packs by default), as
    /// ransomware and onion leak sites post stolen files: half the people in the register's
    /// own CSV export, the other half in a spreadsheet (`.xlsx`), with a note beside them.
    SevenZip,
    /// An old Word document (`.doc`, Word 97–2003), a list as a town office or a school keeps
    /// one: a title stored one byte a character, then, in UTF-16, a table of name, reading,
    /// birth date, address and phone number (one reading in four as a second paragraph of
    /// the name's cell) and a closing paragraph with a hyperlink field.
    Doc,
    /// A member list printed to PDF ([`pdf_file`]): a table of name, reading, birth date,
    /// address and phone number, each cell's text wrapped after ten ems (an address takes
    /// two lines), and one person in five in a closing paragraph instead, wrapped at the page's
    /// width. Half the files are PDF 1.5 with their objects in an object stream.
    Pdf,
    /// A member list saved as rich text (`.rtf`, [`rtf_file`]): a table of name, reading,
    /// birth date, address and phone number (one reading in four as a second paragraph of the
    /// name's cell), half the files as Word writes RTF (`\uN` with Shift_JIS fallbacks),
    /// half as WordPad does (Shift_JIS bytes only, a trail byte in ASCII as it is).
    Rtf,
}

impl LeakForm {
    /// Every form.
    pub const ALL: [LeakForm; 19] = [
        LeakForm::CsvRegister,
        LeakForm::CsvSubset,
        LeakForm::TsvFullWidth,
        LeakForm::JsonLines,
        LeakForm::SqlInsert,
        LeakForm::HtmlTable,
        LeakForm::Prose,
        LeakForm::Markdown,
        LeakForm::CsvShiftJis,
        LeakForm::Romaji,
        LeakForm::Mbox,
        LeakForm::Xlsx,
        LeakForm::TarGz,
        LeakForm::Docx,
        LeakForm::Sqlite,
        LeakForm::SevenZip,
        LeakForm::Doc,
        LeakForm::Pdf,
        LeakForm::Rtf,
    ];

    /// Short name, used in reports.
    pub fn name(self) -> &'static str {
        match self {
            LeakForm::CsvRegister => "csv-register",
            LeakForm::CsvSubset => "csv-subset",
            LeakForm::TsvFullWidth => "tsv-fullwidth",
            LeakForm::JsonLines => "jsonl",
            LeakForm::SqlInsert => "sql",
            LeakForm::HtmlTable => "html-table",
            LeakForm::Prose => "prose",
            LeakForm::Markdown => "markdown",
            LeakForm::CsvShiftJis => "csv-shift_jis",
            LeakForm::Romaji => "romaji",
            LeakForm::Mbox => "mbox",
            LeakForm::Xlsx => "xlsx",
            LeakForm::TarGz => "tar.gz",
            LeakForm::Docx => "docx",
            LeakForm::Sqlite => "sqlite",
            LeakForm::SevenZip => "7z",
            LeakForm::Doc => "doc",
            LeakForm::Pdf => "pdf",
            LeakForm::Rtf => "rtf",
        }
    }

    /// The content type a paste site would serve it with.
    pub fn content_type(self) -> &'static str {
        match self {
            LeakForm::HtmlTable => "text/html; charset=utf-8",
            LeakForm::CsvShiftJis => "text/plain; charset=shift_jis",
            LeakForm::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            LeakForm::TarGz => "application/gzip",
            LeakForm::Sqlite => "application/vnd.sqlite3",
            LeakForm::SevenZip => "application/x-7z-compressed",
            LeakForm::Doc => "application/msword",
            LeakForm::Pdf => "application/pdf",
            LeakForm::Rtf => "application/rtf",
            LeakForm::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            _ => "text/plain; charset=utf-8",
        }
    }
}

/// Renders `people` as one document of `form`.
pub fn render(form: LeakForm, people: &[Resident], seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed ^ 0x6C65_616B_7321 ^ (form as u64) << 56);
    let mut out = String::new();
    match form {
        LeakForm::CsvRegister => {
            out.push_str(&crate::synth::REGISTER_HEADER.join(","));
            out.push('\n');
            for p in people {
                out.push_str(&p.register_row().join(","));
                out.push('\n');
            }
        }
        LeakForm::CsvSubset | LeakForm::CsvShiftJis => {
            out = csv_subset(people, &mut rng);
        }
        LeakForm::TsvFullWidth => {
            out.push_str("氏名\tカナ\t生年月日\t電話\t個人番号\n");
            for p in people {
                let _ = writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}",
                    name(p, &mut rng),
                    half_width_kana(&p.name_kana()),
                    full_width(&date(p, &mut rng)),
                    full_width(&phone(p, &mut rng)),
                    full_width(&my_number(p, &mut rng)),
                );
            }
        }
        LeakForm::JsonLines => {
            for p in people {
                // The name and reading in one field each, or in two (family and given name),
                // with English keys or Japanese ones.
                let names = match rng.below(3) {
                    0 => format!(
                        "\"name\":\"{}\",\"kana\":\"{}\"",
                        name(p, &mut rng),
                        kana(p, &mut rng)
                    ),
                    1 => format!(
                        "\"last_name\":\"{}\",\"first_name\":\"{}\",\"last_kana\":\"{}\",\"first_kana\":\"{}\"",
                        p.family, p.given, p.family_kana, p.given_kana
                    ),
                    _ => format!(
                        "\"姓\": \"{}\", \"名\": \"{}\", \"セイ\": \"{}\", \"メイ\": \"{}\"",
                        p.family, p.given, p.family_kana, p.given_kana
                    ),
                };
                // The birth date in one field, or (one person in four) in three, as a form
                // with a select box for each part stores it; one in eight with the era's year
                // and the era in a field of its own.
                let (y, m, d) = p.birth;
                let dob = match (rng.below(8), era_parts(y, m, d)) {
                    // The era's first year as `元` on even days (no draw: the other people's
                    // notations stay as they were).
                    (0, Some((era, _, 1))) if d % 2 == 0 => format!(
                        "\"birth_era\":\"{era}\",\"birth_year\":\"元\",\"birth_month\":{m},\"birth_day\":{d}"
                    ),
                    (0, Some((era, _, ey))) => format!(
                        "\"birth_era\":\"{era}\",\"birth_year\":{ey},\"birth_month\":{m},\"birth_day\":{d}"
                    ),
                    (0 | 1, _) => {
                        format!("\"birth_year\":{y},\"birth_month\":{m},\"birth_day\":{d}")
                    }
                    _ => format!("\"dob\":\"{}\"", date(p, &mut rng)),
                };
                let line = format!(
                    "{{{names},{dob},\"address\":\"{}\",\"tel\":\"{}\",\"email\":\"{}\"}}",
                    address(p, &mut rng),
                    phone(p, &mut rng),
                    p.email.clone().unwrap_or_default()
                );
                // One line in four escapes every character above ASCII, as PHP's
                // `json_encode` and Python's `json.dumps` write by default (PHP's escapes
                // `/` too).
                let line = match rng.below(8) {
                    0 => json_escaped(&line, false),
                    1 => json_escaped(&line, true),
                    _ => line,
                };
                let _ = writeln!(out, "{line}");
            }
        }
        LeakForm::SqlInsert => {
            // A third of the people are in a second table, a web shop's customers (below), as
            // a database dump holds several tables.
            let (people, shop) = people.split_at(people.len() - people.len() / 3);
            // mysqldump writes `','` between values, pg_dump and people `', '`; some tables
            // keep family and given names in columns of their own.
            let sep = if rng.below(2) == 0 { "','" } else { "', '" };
            let split = rng.below(2) == 0;
            let name_columns = if split {
                "`family_name`, `given_name`"
            } else {
                "`name`"
            };
            let _ = writeln!(
                out,
                "-- dump of table customers\nINSERT INTO `customers` ({name_columns}, `birthday`, `address`, `phone`, `bank`, `branch`, `account`) VALUES"
            );
            for (i, p) in people.iter().enumerate() {
                let name = if split {
                    format!("{}{sep}{}", p.family, p.given)
                } else {
                    name(p, &mut rng)
                };
                let values = [
                    name,
                    date(p, &mut rng),
                    address(p, &mut rng),
                    phone(p, &mut rng),
                    p.bank_code.clone(),
                    p.branch_code.clone(),
                    p.account_number.clone(),
                ];
                let _ = write!(out, "('{}')", values.join(sep));
                out.push_str(if i + 1 == people.len() { ";\n" } else { ",\n" });
            }
            if !shop.is_empty() {
                shop_customers(shop, &mut rng, &mut out);
            }
        }
        LeakForm::HtmlTable => {
            out.push_str("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>fresh JP fullz &amp; more</title><style>td{padding:2px}</style></head><body>\n<h1>Amagasaki fullz - 0.5 BTC</h1><table class=\"listing\">\n<tr><th>氏名</th><th>生年月日</th><th>住所</th><th>電話番号</th></tr>\n");
            for p in people {
                let _ = writeln!(
                    out,
                    "<tr>\n  <td>{}</td>\n  <td>{}</td>\n  <td>{}</td>\n  <td>{}</td>\n</tr>",
                    name(p, &mut rng),
                    date(p, &mut rng),
                    address(p, &mut rng),
                    phone(p, &mut rng)
                );
            }
            out.push_str("</table><p>contact: <a href=\"/contact\">seller</a></p></body></html>\n");
        }
        LeakForm::Prose => {
            for p in people {
                let n = name(p, &mut rng);
                let d = printed_date(p, &mut rng);
                let a = address(p, &mut rng);
                let t = phone(p, &mut rng);
                match rng.below(4) {
                    0 => {
                        let _ = writeln!(
                            out,
                            "{n}さん（{d}生まれ）は{a}に住んでいます。連絡先は{t}です。"
                        );
                    }
                    // A web form's mail: a field a line, the name in two; labels in
                    // brackets, or before a colon (`生年月日：43.9.18`).
                    3 => {
                        let (open, close) = if p.birth.2 % 2 == 0 {
                            ("【", "】")
                        } else {
                            ("", "：")
                        };
                        let _ = writeln!(
                            out,
                            "{open}お名前（姓）{close}{}\n{open}お名前（名）{close}{}\n{open}フリガナ{close}{}\n{open}生年月日{close}{d}\n{open}ご住所{close}{a}\n",
                            p.family,
                            p.given,
                            kana(p, &mut rng)
                        );
                    }
                    1 => {
                        let _ = writeln!(
                            out,
                            "顧客：{n}様、生年月日{d}、電話番号{t}、口座 {} {} {} {}。",
                            p.bank_code, p.branch_code, p.account_type, p.account_number
                        );
                    }
                    _ => {
                        let _ = writeln!(
                            out,
                            "{}（{}）、{d}生、個人番号{}。",
                            n,
                            kana(p, &mut rng),
                            my_number(p, &mut rng)
                        );
                    }
                }
            }
        }
        LeakForm::Mbox => {
            for (i, p) in people.iter().enumerate() {
                mail(p, i, &mut rng, &mut out);
            }
        }
        LeakForm::Xlsx => return xlsx(people, &mut rng),
        LeakForm::Docx => return docx(people, &mut rng),
        LeakForm::Doc => return doc(people, &mut rng),
        LeakForm::Pdf => return pdf(people, &mut rng),
        LeakForm::Rtf => return rtf(people, &mut rng),
        LeakForm::Sqlite => {
            let rows: Vec<Vec<String>> = people
                .iter()
                .map(|p| {
                    let (y, m, d) = p.birth;
                    vec![
                        p.family.clone(),
                        p.given.clone(),
                        kana(p, &mut rng),
                        format!("{y:04}-{m:02}-{d:02}"),
                        p.email.clone().unwrap_or_default(),
                        phone(p, &mut rng),
                        address(p, &mut rng),
                    ]
                })
                .collect();
            return sqlite_file(
                "CREATE TABLE \"accounts_user\" (\"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \
                 \"last_name\" varchar(150) NOT NULL, \"first_name\" varchar(150) NOT NULL, \
                 \"kana\" varchar(150) NOT NULL, \"birthday\" date NOT NULL, \
                 \"email\" varchar(254) NOT NULL, \"tel\" varchar(20) NOT NULL, \
                 \"address\" varchar(255) NOT NULL)",
                "accounts_user",
                &rows,
            );
        }
        LeakForm::TarGz => {
            let (sql, csv) = people.split_at(people.len() / 2);
            let readme = "顧客データ一式（本番DBより）\nbackup/db: mysqldump\nbackup/export: 会員CSV (SJIS)\n";
            return tar_gz(&[
                ("backup/README.txt", readme.as_bytes()),
                (
                    "backup/db/customers.sql",
                    &render(LeakForm::SqlInsert, sql, rng.next()),
                ),
                (
                    "backup/export/members.csv",
                    &render(LeakForm::CsvShiftJis, csv, rng.next()),
                ),
            ]);
        }
        LeakForm::SevenZip => {
            let (csv, workbook) = people.split_at(people.len() / 2);
            let note = "住民データ（全件）\r\n名簿.csv: 住民基本台帳より抽出\r\n";
            return seven_zip(&[
                ("流出データ/readme.txt", note.as_bytes()),
                (
                    "流出データ/名簿.csv",
                    &render(LeakForm::CsvRegister, csv, rng.next()),
                ),
                (
                    "流出データ/名簿_続き.xlsx",
                    &render(LeakForm::Xlsx, workbook, rng.next()),
                ),
            ]);
        }
        LeakForm::Romaji => {
            out.push_str("Japan customer records (Amagasaki), fresh, checked\n\n");
            for p in people {
                let n = romaji_name(p, &mut rng);
                let (y, m, d) = p.birth;
                // As English-language lists write dates too: month or day first, in words or
                // in numbers (`11/7/1988` read both ways by the matcher, `11/7/88`), a
                // spreadsheet's `7-Nov-88`.
                let month = ENGLISH_MONTHS[usize::from(m - 1)];
                let dob = match rng.below(9) {
                    0 => format!("{y:04}-{m:02}-{d:02}"),
                    1 => format!("{y}/{m}/{d}"),
                    2 => format!("{y}.{m:02}.{d:02}"),
                    3 => format!("{} {d}, {y}", &month[..3]),
                    4 => format!("{d} {month} {y}"),
                    5 => format!("{m}/{d}/{y}"),
                    6 => format!("{d:02}.{m:02}.{y}"),
                    7 => format!("{m}/{d}/{:02}", y % 100),
                    _ => format!("{d}-{}-{:02}", &month[..3], y % 100),
                };
                match rng.below(8) {
                    0 => {
                        let _ =
                            writeln!(out, "Name: {n} | DOB: {dob} | Tel: {}", phone(p, &mut rng));
                    }
                    // An e-commerce export: the name split into two fields of a JSON object.
                    7 => {
                        let (family, given) = match n.split_once(", ") {
                            Some((f, g)) => (f.to_owned(), g.to_owned()),
                            None => {
                                let (a, b) = n.split_once(' ').unwrap_or((&n, ""));
                                // `SATO Taro` is family name first, `Taro Sato` given name first.
                                if a.chars().all(|c| c.is_ascii_uppercase()) {
                                    (a.to_owned(), b.to_owned())
                                } else {
                                    (b.to_owned(), a.to_owned())
                                }
                            }
                        };
                        // Some systems keep them in lower case.
                        let (family, given) = if p.birth.1 % 2 == 0 {
                            (family.to_lowercase(), given.to_lowercase())
                        } else {
                            (family, given)
                        };
                        let _ = writeln!(
                            out,
                            "{{\"first_name\":\"{given}\",\"last_name\":\"{family}\",\"birthday\":\"{dob}\"}}"
                        );
                    }
                    // A shipping label: the address in Latin letters, without the date.
                    6 => {
                        let _ = writeln!(out, "Ship to: {n}, {}", latin_address(p, &mut rng));
                    }
                    1 => {
                        let _ = writeln!(out, "{n}, born {dob}, lives in Amagasaki, Hyogo.");
                    }
                    2 => {
                        let _ = writeln!(out, "- {n} ({dob})");
                    }
                    // An export with quoted cells, the name in two of them.
                    3 => {
                        let cells = n.replace(", ", "\",\"").replace(' ', "\",\"");
                        let _ = writeln!(out, "\"{cells}\",\"{dob}\"");
                    }
                    // In lower case, in an export with Japanese keys.
                    4 => {
                        let n = n.to_lowercase();
                        let _ = writeln!(out, "{{\"氏名\": \"{n}\", \"生年月日\": \"{dob}\"}}");
                    }
                    // Typed in full width (`ＳＡＴＯ　Ｔａｒｏ`).
                    _ => {
                        let _ = writeln!(out, "氏名：{}　生年月日：{dob}", full_width_text(&n));
                    }
                }
            }
        }
        LeakForm::Markdown => {
            out.push_str("| 名前 | フリガナ | 生年月日 | 個人番号 |\n|---|---|---|---|\n");
            for p in people {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    name(p, &mut rng),
                    kana(p, &mut rng),
                    date(p, &mut rng),
                    my_number(p, &mut rng)
                );
            }
        }
    }
    if form == LeakForm::CsvShiftJis {
        encoding_rs::SHIFT_JIS.encode(&out).0.into_owned()
    } else {
        out.into_bytes()
    }
}

/// A web shop's customer table as EC-CUBE (a shop system many Japanese web shops run, and
/// whose customer tables many of their breaches leaked) keeps it, dumped by mysqldump: name
/// and reading in two columns each, the postal code in two and the phone number in three,
/// the prefecture as its number, the city and town in one column and the block numbers and
/// building in the next, the birth date as a date-time.
fn shop_customers(people: &[Resident], rng: &mut Rng, out: &mut String) {
    out.push_str(
        "INSERT INTO `dtb_customer` (`customer_id`, `name01`, `name02`, `kana01`, `kana02`, \
         `zip01`, `zip02`, `pref`, `addr01`, `addr02`, `email`, `tel01`, `tel02`, `tel03`, \
         `sex`, `birth`, `point`) VALUES\n",
    );
    for (i, p) in people.iter().enumerate() {
        let (zip01, zip02) = p.postal_code.split_at(p.postal_code.len().min(3));
        let dashed = p.phone_dashed();
        let tel: Vec<&str> = dashed.splitn(3, '-').collect();
        let tel = |k: usize| tel.get(k).copied().unwrap_or_default();
        let block = match p.chome {
            Some(c) => format!("{c}-{}-{}", p.ban, p.go),
            None => format!("{}-{}", p.ban, p.go),
        };
        let addr02 = match &p.building {
            Some(b) if rng.below(2) == 0 => format!("{block} {b}"),
            _ => block,
        };
        let (y, m, d) = p.birth;
        let _ = write!(
            out,
            "({},'{}','{}','{}','{}','{zip01}','{zip02}',28,'尼崎市{}','{addr02}','{}','{}','{}','{}',{},'{y}-{m:02}-{d:02} 00:00:00',{})",
            1000 + i,
            p.family,
            p.given,
            p.family_kana,
            p.given_kana,
            p.town,
            p.email.as_deref().unwrap_or_default(),
            tel(0),
            tel(1),
            tel(2),
            1 + rng.below(2),
            rng.below(500),
        );
        out.push_str(if i + 1 == people.len() { ";\n" } else { ",\n" });
    }
}

/// Columns of [`LeakForm::CsvSubset`]: header and renderer.
type Column = (&'static str, fn(&Resident, &mut Rng) -> String);

fn csv_subset(people: &[Resident], rng: &mut Rng) -> String {
    let identity: [Column; 2] = [("氏名", name), ("フリガナ", kana)];
    let others: [Column; 6] = [
        ("生年月日", date),
        ("住所", address),
        ("電話", phone),
        ("個人番号", my_number),
        ("口座", |p, _| {
            format!("{} {} {}", p.bank_code, p.branch_code, p.account_number)
        }),
        ("〒", |p, _| p.postal_code_dashed()),
    ];
    let mut cols: Vec<Column> = vec![identity[rng.below(2) as usize]];
    // Two to four other columns, in shuffled order.
    let mut pool: Vec<Column> = others.to_vec();
    // One table in three keeps the birth date's year, month and day in columns of their own,
    // as forms with a select box for each part store it; one in six the era's year, with the
    // era in a column of its own.
    match rng.below(6) {
        0 => {
            pool[0] = ("元号,年,月,日", |p, _| {
                let (y, m, d) = p.birth;
                match era_parts(y, m, d) {
                    // The era's first year as `元` on even days.
                    Some((era, _, 1)) if d % 2 == 0 => format!("{era},元,{m},{d}"),
                    Some((era, _, ey)) => format!("{era},{ey},{m},{d}"),
                    None => format!(",{y},{m},{d}"),
                }
            });
        }
        1 => {
            pool[0] = ("生年,月,日", |p, _| {
                let (y, m, d) = p.birth;
                format!("{y},{m},{d}")
            });
        }
        _ => {}
    }
    let take = 2 + rng.below(3) as usize;
    for _ in 0..take {
        let i = rng.below(pool.len() as u64) as usize;
        cols.push(pool.swap_remove(i));
    }
    for i in (1..cols.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        cols.swap(i, j);
    }
    let mut out = cols.iter().map(|c| c.0).collect::<Vec<_>>().join(",");
    out.push('\n');
    for p in people {
        let row: Vec<String> = cols.iter().map(|c| c.1(p, rng)).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// Name: with an ASCII space, an ideographic space, or none; one in four with its kanji
/// swapped to their other form (see [`swap_variants`]).
fn name(p: &Resident, rng: &mut Rng) -> String {
    let sep = ["", " ", "\u{3000}"][rng.below(3) as usize];
    let name = format!("{}{sep}{}", p.family, p.given);
    if rng.below(4) == 0 {
        swap_variants(&name)
    } else {
        name
    }
}

/// Each kanji of `s` that has a variant form (`crate::normalize::variants`) written in it, and
/// each variant in the common form (`高橋` → `髙橋`, `小澤` → `小沢`), as a register and a leak
/// write a name apart; a variant Shift_JIS cannot encode (`𠮷`) is not written.
pub fn swap_variants(s: &str) -> String {
    use crate::normalize::variants::{kanji_variant, variants_of};
    s.chars()
        .map(|c| {
            kanji_variant(c)
                .or_else(|| {
                    variants_of(c)
                        .find(|v| !encoding_rs::SHIFT_JIS.encode(v.encode_utf8(&mut [0; 4])).2)
                })
                .unwrap_or(c)
        })
        .collect()
}

/// The name in Latin letters: the reading romanized (Hepburn, passport style without the
/// long vowels' second letter, `oh` for a long o, or Kunrei), `SATO Taro`, `Taro Sato` or
/// `Sato, Taro` (the form's lines also write it in quoted cells or in full width).
fn romaji_name(p: &Resident, rng: &mut Rng) -> String {
    use crate::normalize::romaji::from_katakana;
    let spell = |kana: &str, style: u64| {
        let h = from_katakana(kana).unwrap_or_default();
        match style {
            0 => h,
            1 => h.replace("ou", "o").replace("uu", "u"),
            2 => h.replace("ou", "oh"),
            _ => h
                .replace("shi", "si")
                .replace("chi", "ti")
                .replace("tsu", "tu")
                .replace("fu", "hu"),
        }
    };
    let style = rng.below(4);
    let capital = |s: String| {
        let mut c = s.chars();
        c.next()
            .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
            .unwrap_or_default()
    };
    let family = spell(&p.family_kana, style);
    let given = capital(spell(&p.given_kana, style));
    match rng.below(3) {
        0 => format!("{} {given}", family.to_ascii_uppercase()),
        1 => format!("{given} {}", capital(family)),
        _ => format!("{}, {given}", capital(family)),
    }
}

/// Reading: katakana, hiragana or half-width katakana, spaced or not.
fn kana(p: &Resident, rng: &mut Rng) -> String {
    let sep = ["", " ", "\u{3000}"][rng.below(3) as usize];
    let k = format!("{}{sep}{}", p.family_kana, p.given_kana);
    match rng.below(3) {
        0 => k,
        1 => hiragana(&k),
        _ => half_width_kana(&k),
    }
}

/// An address in Latin letters, as English-language pages and shipping labels write it: the
/// block numbers, the town's reading (`Minamitakeya-cho`, `Minamitakeyacho`, `Minamitakeya`),
/// the city and prefecture, the postal code; on one line or three.
fn latin_address(p: &Resident, rng: &mut Rng) -> String {
    use crate::normalize::romaji::from_katakana;
    let capital = |s: &str| {
        let mut c = s.chars();
        c.next()
            .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
            .unwrap_or_default()
    };
    let reading = from_katakana(&p.town_kana).unwrap_or_default();
    let town = match reading
        .strip_suffix("chou")
        .or_else(|| reading.strip_suffix("cho"))
    {
        Some(stem) => match rng.below(3) {
            0 => format!("{}-cho", capital(stem)),
            1 => format!("{}cho", capital(stem)),
            _ => capital(stem),
        },
        None => capital(&reading),
    };
    let postal = format!("{}-{}", &p.postal_code[..3], &p.postal_code[3..]);
    let block = match p.chome {
        Some(c) if rng.below(2) == 0 => format!("{c} Chome-{}-{}", p.ban, p.go),
        Some(c) => format!("{c}-{}-{}", p.ban, p.go),
        None => format!("{}-{}", p.ban, p.go),
    };
    match rng.below(3) {
        0 => format!("{block} {town}, Amagasaki-shi, Hyogo {postal}"),
        1 => format!("{postal} Hyogo-ken Amagasaki-shi {town} {block}"),
        _ => format!("{block} {town}\nAmagasaki, Hyogo {postal}\nJapan"),
    }
}

/// Birth date in one of the notations leaks use.
fn date(p: &Resident, rng: &mut Rng) -> String {
    let (y, m, d) = p.birth;
    match rng.below(8) {
        0 => format!("{y:04}-{m:02}-{d:02}"),
        1 => format!("{y}/{m}/{d}"),
        2 => format!("{y}年{m}月{d}日"),
        3 => format!("{y:04}{m:02}{d:02}"),
        4 => era(y, m, d, true).unwrap_or_else(|| format!("{y}/{m:02}/{d:02}")),
        5 => era(y, m, d, false).unwrap_or_else(|| format!("{y}.{m}.{d}")),
        // Six digits, as old systems store dates.
        6 => format!("{:02}{m:02}{d:02}", y % 100),
        _ => format!("{y}.{m:02}.{d:02}"),
    }
}

/// A birth date as printouts and forms write them, for prose: a one-digit month or day padded
/// with a space (`昭和43年 9月18日`), the Western year beside the era's
/// (`昭和43年（1968年）9月18日`, `1968年（昭和43年）9月18日`), the era left out (`43年9月18日`,
/// `43.9.18`), a two-digit Western year (`68/09/18`); or any notation of [`date`].
fn printed_date(p: &Resident, rng: &mut Rng) -> String {
    let (y, m, d) = p.birth;
    let Some(kanji) = era(y, m, d, true) else {
        return date(p, rng);
    };
    let name: String = kanji.chars().take(2).collect();
    let year: String = kanji.chars().skip(2).take_while(|&c| c != '年').collect();
    match rng.below(7) {
        0 => format!("{name}{year}年{m:>2}月{d:>2}日"),
        1 => format!("{name}{year}年（{y}年）{m}月{d}日"),
        2 => format!("{y}年（{name}{year}年）{m}月{d}日"),
        3 if year != "元" && name != "大正" => format!("{year}年{m}月{d}日"),
        // Two-digit years: the era's left out, or the Western one.
        4 if year.len() == 2 && name != "大正" => format!("{year}.{m}.{d}"),
        5 => format!("{:02}/{m:02}/{d:02}", y % 100),
        _ => date(p, rng),
    }
}

/// English month names, for dates in English-language lists.
const ENGLISH_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A workbook of `people`, a row each (see [`LeakForm::Xlsx`]).
fn xlsx(people: &[Resident], rng: &mut Rng) -> Vec<u8> {
    let mut strings: Vec<String> = ["氏名", "フリガナ", "生年月日", "住所", "電話番号"]
        .map(String::from)
        .to_vec();
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut rows = String::from(
        "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c><c r=\"C1\" t=\"s\"><v>2</v></c><c r=\"D1\" t=\"s\"><v>3</v></c><c r=\"E1\" t=\"s\"><v>4</v></c></row>",
    );
    for (i, p) in people.iter().enumerate() {
        let r = i + 2;
        let cell = |col: char, text: String, strings: &mut Vec<String>| {
            strings.push(text);
            format!("<c r=\"{col}{r}\" t=\"s\"><v>{}</v></c>", strings.len() - 1)
        };
        let (y, m, d) = p.birth;
        let serial = date_serial(y, m, d);
        let name = cell('A', name(p, rng), &mut strings);
        let kana = cell('B', kana(p, rng), &mut strings);
        let address = cell('D', address(p, rng), &mut strings);
        // One phone number in four typed without quoting: a number, its leading 0 lost.
        let phone = if rng.below(4) == 0 {
            format!(
                "<c r=\"E{r}\"><v>{}</v></c>",
                p.phone.trim_start_matches('0')
            )
        } else {
            cell('E', phone(p, rng), &mut strings)
        };
        let _ = write!(
            rows,
            "<row r=\"{r}\">{name}{kana}<c r=\"C{r}\" s=\"1\"><v>{serial}</v></c>{address}{phone}</row>",
        );
    }
    let mut sst = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"{0}\" uniqueCount=\"{0}\">",
        strings.len()
    );
    for t in &strings {
        let _ = write!(sst, "<si><t>{}</t></si>", escape(t));
    }
    sst.push_str("</sst>");
    let ns = "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"";
    let sheet = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<worksheet {ns}><sheetData>{rows}</sheetData></worksheet>"
    );
    // Style 1: Excel's Japanese date format `yyyy/m/d` (built-in 14).
    let styles = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<styleSheet {ns}><cellXfs count=\"2\"><xf numFmtId=\"0\"/><xf numFmtId=\"14\" applyNumberFormat=\"1\"/></cellXfs></styleSheet>"
    );
    let workbook = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<workbook {ns} xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"顧客\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
    );
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let workbook_rels = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"{rel}/worksheet\" Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" Type=\"{rel}/styles\" Target=\"styles.xml\"/><Relationship Id=\"rId3\" Type=\"{rel}/sharedStrings\" Target=\"sharedStrings.xml\"/></Relationships>"
    );
    let root_rels = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"{rel}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"
    );
    let main = "application/vnd.openxmlformats-officedocument.spreadsheetml";
    let types = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/xl/workbook.xml\" ContentType=\"{main}.sheet.main+xml\"/><Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"{main}.worksheet+xml\"/><Override PartName=\"/xl/styles.xml\" ContentType=\"{main}.styles+xml\"/><Override PartName=\"/xl/sharedStrings.xml\" ContentType=\"{main}.sharedStrings+xml\"/></Types>"
    );
    zip(&[
        ("[Content_Types].xml", types.as_bytes()),
        ("_rels/.rels", root_rels.as_bytes()),
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", workbook_rels.as_bytes()),
        ("xl/styles.xml", styles.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
        ("xl/sharedStrings.xml", sst.as_bytes()),
    ])
}

/// A member list's table, the `doc` and `rtf` forms': a header row, then each person's name,
/// reading, birth date, address and phone number, one reading in four as a second paragraph
/// of the name's cell (after `cell_paragraph`, the writer's mark for one).
fn member_table(people: &[Resident], rng: &mut Rng, cell_paragraph: char) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = vec![
        ["氏名", "フリガナ", "生年月日", "住所", "電話番号"]
            .map(String::from)
            .to_vec(),
    ];
    for p in people {
        let n = name(p, rng);
        let reading = kana(p, rng);
        let (name_cell, kana_cell) = if rng.below(4) == 0 {
            (format!("{n}{cell_paragraph}{reading}"), String::new())
        } else {
            (n, reading)
        };
        rows.push(vec![
            name_cell,
            kana_cell,
            date(p, rng),
            address(p, rng),
            phone(p, rng),
        ]);
    }
    rows
}

/// A member list as an old Word document (see [`LeakForm::Doc`]).
fn doc(people: &[Resident], rng: &mut Rng) -> Vec<u8> {
    let rows = member_table(people, rng, WORD_CELL_PARAGRAPH);
    let rows: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    let text = format!(
        "会員名簿（取扱注意）\r{}以上。最新版は\u{13} HYPERLINK \"https://intra.example.jp/meibo\" \u{14}共有フォルダ\u{15}を参照。\r",
        word97_table(&rows)
    );
    word97(&[("Member list (confidential)\r", true), (&text, false)], 0)
}

/// A member list saved as rich text (see [`LeakForm::Rtf`]).
fn rtf(people: &[Resident], rng: &mut Rng) -> Vec<u8> {
    let rows = member_table(people, rng, RTF_CELL_PARAGRAPH);
    let escapes = if rng.below(2) == 0 {
        RtfEscapes::Word
    } else {
        RtfEscapes::CodePage
    };
    rtf_file(
        "会員名簿（取扱注意）",
        &rows,
        "以上。問い合わせは総務課まで。",
        escapes,
    )
}

/// A member list printed to PDF (see [`LeakForm::Pdf`]).
fn pdf(people: &[Resident], rng: &mut Rng) -> Vec<u8> {
    let mut lines = vec![
        "会員名簿（取扱注意）".to_owned(),
        "氏名\tフリガナ\t生年月日\t住所\t電話番号".to_owned(),
    ];
    let mut notes = Vec::new();
    for p in people {
        let (n, reading, birth, addr, tel) = (
            name(p, rng),
            kana(p, rng),
            date(p, rng),
            address(p, rng),
            phone(p, rng),
        );
        if rng.below(5) == 0 {
            // A note below the table, in a paragraph that wraps at the page's width.
            notes.push(format!(
                "変更届：{n}（{reading}）様、生年月日{birth}、新住所{addr}、連絡先{tel}。"
            ));
        } else {
            lines.push(format!("{n}\t{reading}\t{birth}\t{addr}\t{tel}"));
        }
    }
    lines.push(format!(
        "以上。住所変更の届出は次のとおり。{}",
        notes.concat()
    ));
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    pdf_file(&lines, rng.below(2) == 0)
}

/// A member list as a Word document (see [`LeakForm::Docx`]).
fn docx(people: &[Resident], rng: &mut Rng) -> Vec<u8> {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let run = |t: &str| {
        format!(
            "<w:r><w:rPr><w:rFonts w:hint=\"eastAsia\"/></w:rPr><w:t xml:space=\"preserve\">{}</w:t></w:r>",
            escape(t)
        )
    };
    let cell = |paragraphs: &[String]| {
        let ps: String = paragraphs
            .iter()
            .map(|p| format!("<w:p><w:pPr><w:jc w:val=\"left\"/></w:pPr>{p}</w:p>"))
            .collect();
        format!("<w:tc><w:tcPr><w:tcW w:w=\"1800\" w:type=\"dxa\"/></w:tcPr>{ps}</w:tc>")
    };
    let row = |cells: &[Vec<String>]| {
        let cs: String = cells.iter().map(|c| cell(c)).collect();
        format!("<w:tr>{cs}</w:tr>")
    };
    let header = ["氏名", "フリガナ", "生年月日", "住所", "電話番号"].map(|h| vec![run(h)]);
    let mut rows = row(&header);
    for p in people {
        let n = name(p, rng);
        // The family name's characters (a variant glyph is one character as its form is).
        let split = n
            .char_indices()
            .nth(p.family.chars().count())
            .map_or(n.len(), |(k, _)| k);
        let (family, given) = n.split_at(split);
        let name_runs = match rng.below(3) {
            0 => run(&n),
            // The spell checker's marks between runs.
            1 => format!(
                "{}<w:proofErr w:type=\"spellStart\"/>{}<w:proofErr w:type=\"spellEnd\"/>",
                run(family),
                run(given)
            ),
            _ => format!(
                "<w:r><w:ruby><w:rubyPr><w:rubyAlign w:val=\"distributeSpace\"/><w:hps w:val=\"10\"/></w:rubyPr>\
                 <w:rt><w:r><w:t>{}</w:t></w:r></w:rt><w:rubyBase><w:r><w:t>{}</w:t></w:r></w:rubyBase></w:ruby></w:r>{}",
                escape(&hiragana(&p.family_kana)),
                escape(family),
                run(given)
            ),
        };
        let reading = kana(p, rng);
        let (name_cell, kana_cell) = if rng.below(4) == 0 {
            (vec![name_runs, run(&reading)], vec![String::new()])
        } else {
            (vec![name_runs], vec![run(&reading)])
        };
        rows.push_str(&row(&[
            name_cell,
            kana_cell,
            vec![run(&date(p, rng))],
            vec![run(&address(p, rng))],
            vec![run(&phone(p, rng))],
        ]));
    }
    let ns = "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"";
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document {ns}><w:body>\
         <w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr>{}</w:p>\
         <w:tbl><w:tblPr><w:tblStyle w:val=\"TableGrid\"/><w:tblW w:w=\"0\" w:type=\"auto\"/></w:tblPr>{rows}</w:tbl>\
         <w:p>{}</w:p><w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/></w:sectPr></w:body></w:document>",
        run("会員名簿（取扱注意）"),
        run("以上")
    );
    let types = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>";
    let rels = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/></Relationships>";
    zip(&[
        ("[Content_Types].xml", types.as_bytes()),
        ("_rels/.rels", rels.as_bytes()),
        ("word/document.xml", document.as_bytes()),
    ])
}

/// An SQLite database file (format 3, pages of 4 KiB, UTF-8) of one table created by `sql`,
/// named `table`, with `rows` of text values after an `INTEGER PRIMARY KEY` (the row id): page
/// 1 the schema, page 2 the table's root (its only leaf, or an interior page over the leaves
/// that follow). Enough rows for ~400 leaves; more are left out.
fn sqlite_file(sql: &str, table: &str, rows: &[Vec<String>]) -> Vec<u8> {
    const PAGE: usize = 4096;
    fn varint(mut n: u64, out: &mut Vec<u8>) {
        // Values below 2^56 (all here): groups of 7 bits, the high bit set on all but the last.
        let mut groups = vec![(n & 0x7F) as u8];
        n >>= 7;
        while n > 0 {
            groups.push((n & 0x7F) as u8 | 0x80);
            n >>= 7;
        }
        out.extend(groups.iter().rev());
    }
    // A record of values (None: NULL; Some(Ok(text)); Some(Err(integer))) as a table leaf's
    // cell with its row id.
    let cell = |rowid: u64, values: &[Option<Result<&str, u64>>]| {
        let mut types = Vec::new();
        let mut body = Vec::new();
        for v in values {
            match v {
                None => types.push(0),
                Some(Ok(t)) => {
                    varint(13 + 2 * t.len() as u64, &mut types);
                    body.extend_from_slice(t.as_bytes());
                }
                Some(Err(n)) => {
                    types.push(4);
                    body.extend_from_slice(&(*n as u32).to_be_bytes());
                }
            }
        }
        let mut header = Vec::new();
        // The header's size counts itself (one byte while under 128).
        varint(types.len() as u64 + 1, &mut header);
        header.extend(types);
        let mut out = Vec::new();
        varint((header.len() + body.len()) as u64, &mut out);
        varint(rowid, &mut out);
        out.extend(header);
        out.extend(body);
        out
    };
    // A b-tree page: header at `at` (100 on page 1), cell pointers, cells from the end.
    let page = |at: usize, kind: u8, cells: &[Vec<u8>], right: Option<u32>| {
        let mut p = vec![0u8; PAGE];
        let header = if right.is_some() { 12 } else { 8 };
        let mut end = PAGE;
        for (k, c) in cells.iter().enumerate() {
            end -= c.len();
            p[end..end + c.len()].copy_from_slice(c);
            let ptr = at + header + 2 * k;
            p[ptr..ptr + 2].copy_from_slice(&(end as u16).to_be_bytes());
        }
        p[at] = kind;
        p[at + 3..at + 5].copy_from_slice(&(cells.len() as u16).to_be_bytes());
        p[at + 5..at + 7].copy_from_slice(&(end as u16).to_be_bytes());
        if let Some(r) = right {
            p[at + 8..at + 12].copy_from_slice(&r.to_be_bytes());
        }
        p
    };
    // The table's leaves.
    let mut leaves: Vec<(Vec<Vec<u8>>, u64)> = vec![(Vec::new(), 0)];
    let mut used = 8;
    for (i, row) in rows.iter().enumerate() {
        let rowid = i as u64 + 1;
        let mut values = vec![None];
        values.extend(row.iter().map(|v| Some(Ok(v.as_str()))));
        let c = cell(rowid, &values);
        if used + c.len() + 2 > PAGE {
            if leaves.len() == 400 {
                break;
            }
            leaves.push((Vec::new(), 0));
            used = 8;
        }
        used += c.len() + 2;
        let leaf = leaves.last_mut().expect("a leaf");
        leaf.0.push(c);
        leaf.1 = rowid;
    }
    let schema = cell(
        1,
        &[
            Some(Ok("table")),
            Some(Ok(table)),
            Some(Ok(table)),
            Some(Err(2)),
            Some(Ok(sql)),
        ],
    );
    let mut pages = vec![page(100, 0x0D, &[schema], None)];
    if leaves.len() == 1 {
        pages.push(page(0, 0x0D, &leaves[0].0, None));
    } else {
        // The root over leaves on pages 3…: a cell per leaf but the last (child, its last row
        // id), the last as the right-most pointer.
        let children: Vec<Vec<u8>> = leaves[..leaves.len() - 1]
            .iter()
            .enumerate()
            .map(|(k, (_, last))| {
                let mut c = (k as u32 + 3).to_be_bytes().to_vec();
                varint(*last, &mut c);
                c
            })
            .collect();
        pages.push(page(0, 0x05, &children, Some(leaves.len() as u32 + 2)));
        for (cells, _) in &leaves {
            pages.push(page(0, 0x0D, cells, None));
        }
    }
    let mut header = [0u8; 100];
    header[..16].copy_from_slice(b"SQLite format 3\0");
    header[16..18].copy_from_slice(&(PAGE as u16).to_be_bytes());
    header[18] = 1; // file format write version (legacy journal)
    header[19] = 1; // read version
    header[21] = 64; // payload fractions: max embedded, min embedded, leaf
    header[22] = 32;
    header[23] = 32;
    header[24..28].copy_from_slice(&1u32.to_be_bytes()); // change counter
    header[28..32].copy_from_slice(&(pages.len() as u32).to_be_bytes()); // pages
    header[40..44].copy_from_slice(&1u32.to_be_bytes()); // schema cookie
    header[44..48].copy_from_slice(&4u32.to_be_bytes()); // schema format
    header[56..60].copy_from_slice(&1u32.to_be_bytes()); // UTF-8
    header[92..96].copy_from_slice(&1u32.to_be_bytes()); // version valid for
    header[96..100].copy_from_slice(&3_045_000u32.to_be_bytes()); // SQLite 3.45.0
    pages[0][..100].copy_from_slice(&header);
    pages.concat()
}

/// A spreadsheet's date serial (days since 1899-12-30) of a date after February 1900.
fn date_serial(y: u16, m: u8, d: u8) -> i64 {
    let days = crate::normalize::Date::new(y, m, d).map_or(0, |d| d.unix_days());
    days + 25_569
}

/// A ZIP archive of `files`, deflated, with its central directory (as any tool can read).
fn zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write as _;
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = z.write_all(data);
        let body = z.finish().unwrap_or_default();
        let crc = crc32(data);
        let offset = out.len() as u32;
        let fields = |v: &mut Vec<u8>| {
            v.extend_from_slice(&20u16.to_le_bytes());
            v.extend_from_slice(&0x0800u16.to_le_bytes()); // names in UTF-8
            v.extend_from_slice(&8u16.to_le_bytes());
            v.extend_from_slice(&[0, 0, 0x21, 0]); // time, date (1980-01-01)
            v.extend_from_slice(&crc.to_le_bytes());
            v.extend_from_slice(&(body.len() as u32).to_le_bytes());
            v.extend_from_slice(&(data.len() as u32).to_le_bytes());
            v.extend_from_slice(&(name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes());
        };
        out.extend_from_slice(b"PK\x03\x04");
        fields(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&body);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes());
        fields(&mut central);
        central.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let (at, size) = (out.len() as u32, central.len() as u32);
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    let n = (files.len() as u16).to_le_bytes();
    out.extend_from_slice(&[n[0], n[1], n[0], n[1]]);
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A tar archive of `files` (POSIX `ustar` headers, as GNU and BSD tar write them), compressed
/// with gzip: how site backups and database dumps are passed around.
///
/// ```
/// let archive = fingerprints::leaks::tar_gz(&[("dump.sql", b"INSERT INTO t VALUES (1);\n")]);
/// assert!(archive.starts_with(b"\x1F\x8B"));
/// ```
pub fn tar_gz(files: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write as _;
    const BLOCK: usize = 512;
    let mut tar = Vec::new();
    for (name, data) in files {
        let mut h = [0u8; BLOCK];
        // Names longer than the field go in the prefix field, cut at a `/`.
        let (prefix, name) = match name.len() {
            0..=100 => ("", *name),
            _ => name
                .char_indices()
                .filter(|&(k, c)| c == '/' && name.len() - k - 1 <= 100 && k <= 155)
                .map(|(k, _)| (&name[..k], &name[k + 1..]))
                .next()
                .unwrap_or(("", &name[..100])),
        };
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
        h[100..108].copy_from_slice(b"0000644\0");
        h[108..116].copy_from_slice(b"0001750\0");
        h[116..124].copy_from_slice(b"0001750\0");
        h[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
        h[136..148].copy_from_slice(b"14671422400\0");
        h[156] = b'0';
        h[257..265].copy_from_slice(b"ustar\x0000");
        h[265..269].copy_from_slice(b"www\0");
        h[297..301].copy_from_slice(b"www\0");
        h[148..156].fill(b' ');
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        tar.extend_from_slice(&h);
        tar.extend_from_slice(data);
        tar.resize(tar.len().next_multiple_of(BLOCK), 0);
    }
    // The archive's end: two zero blocks.
    tar.resize(tar.len() + 2 * BLOCK, 0);
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = z.write_all(&tar);
    z.finish().unwrap_or_default()
}

/// A 7z archive of `files`, compressed together in one solid LZMA2 block as 7-Zip does by
/// default.
///
/// ```
/// let archive = fingerprints::leaks::seven_zip(&[("dump.sql", b"INSERT INTO t VALUES (1);\n")]);
/// assert!(archive.starts_with(b"7z\xBC\xAF\x27\x1C"));
/// ```
pub fn seven_zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    use sevenz_rust2::{ArchiveEntry, ArchiveWriter, SourceReader};
    let write = || -> Result<Vec<u8>, sevenz_rust2::Error> {
        let mut w = ArchiveWriter::new(std::io::Cursor::new(Vec::new()))?;
        let entries = files
            .iter()
            .map(|(n, _)| ArchiveEntry::new_file(n))
            .collect();
        let readers = files.iter().map(|(_, d)| SourceReader::new(*d)).collect();
        w.push_archive_entries(entries, readers)?;
        Ok(w.finish()?.into_inner())
    };
    // Writing to memory fails only if the encoder does, which it does not for these inputs.
    write().unwrap_or_default()
}

/// CRC-32 (IEEE), as ZIP checks entries with.
fn crc32(data: &[u8]) -> u32 {
    !data.iter().fold(!0u32, |crc, &b| {
        (0..8).fold(crc ^ u32::from(b), |c, _| {
            if c & 1 == 1 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            }
        })
    })
}

/// One order confirmation mail to `p` (the `i`-th of the mailbox), appended to `out`.
fn mail(p: &Resident, i: usize, rng: &mut Rng, out: &mut String) {
    let to_name = name(p, rng);
    let to = if rng.below(2) == 0 {
        format!("=?UTF-8?B?{}?=", base64(to_name.as_bytes()))
    } else {
        format!("=?UTF-8?Q?{}?=", quoted_printable(to_name.as_bytes(), true))
    };
    let mailbox = p
        .email
        .clone()
        .unwrap_or_else(|| format!("c{i}@example.net"));
    let body = format!(
        "{}様\n\nこのたびはご注文ありがとうございます。\nお届け先：〒{} {}\n電話番号：{}\n生年月日：{}\nフリガナ：{}\n",
        name(p, rng),
        p.postal_code_dashed(),
        address(p, rng),
        phone(p, rng),
        date(p, rng),
        kana(p, rng),
    );
    let _ = write!(
        out,
        "From shop@example.jp Mon Nov  2 10:{:02}:00 2026\n\
         Return-Path: <shop@example.jp>\n\
         From: =?ISO-2022-JP?B?GyRCJTclZyVDJVcbKEI=?= <shop@example.jp>\n\
         To: {to} <{mailbox}>\n\
         Subject: =?UTF-8?B?44GU5rOo5paH56K66KqN?=\n\
         Date: Mon, 2 Nov 2026 10:{:02}:00 +0900\n\
         Message-ID: <{i}.order@example.jp>\n\
         MIME-Version: 1.0\n",
        i % 60,
        i % 60
    );
    // The body as a Japanese mailer sends it: 7-bit ISO-2022-JP, or UTF-8 in base64 or
    // quoted-printable; one in four with the customer's row attached as CSV.
    let part = match rng.below(3) {
        0 => format!(
            "Content-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n\n{}\n",
            String::from_utf8_lossy(&encoding_rs::ISO_2022_JP.encode(&body).0)
        ),
        1 => format!(
            "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: base64\n\n{}\n",
            wrapped(&base64(body.as_bytes()))
        ),
        _ => format!(
            "Content-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: quoted-printable\n\n{}\n",
            quoted_printable(body.as_bytes(), false)
        ),
    };
    if rng.below(4) == 0 {
        let csv = format!(
            "{}\n{}\n",
            crate::synth::REGISTER_HEADER.join(","),
            p.register_row().join(",")
        );
        let _ = write!(
            out,
            "Content-Type: multipart/mixed; boundary=\"=_b{i}\"\n\n--=_b{i}\n{part}--=_b{i}\n\
             Content-Type: text/csv; charset=UTF-8; name=\"customer.csv\"\n\
             Content-Disposition: attachment; filename=\"customer.csv\"\n\
             Content-Transfer-Encoding: base64\n\n{}\n--=_b{i}--\n\n",
            wrapped(&base64(csv.as_bytes()))
        );
    } else {
        let _ = writeln!(out, "{part}");
    }
}

/// `bytes` in base64 (RFC 4648, with padding, on one line), as the mail form encodes bodies and
/// header words; the matcher's tests write mail with it too.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (k, &b)| n | u32::from(b) << (16 - 8 * k));
        for k in 0..4 {
            out.push(if k <= chunk.len() {
                char::from(ALPHABET[(n >> (18 - 6 * k) & 63) as usize])
            } else {
                '='
            });
        }
    }
    out
}

/// `text` in lines of 76 characters, as mail bodies are.
fn wrapped(text: &str) -> String {
    let lines: Vec<&str> = text
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    lines.join("\n")
}

/// Quoted-printable: every byte above ASCII (and `=`) as `=XX`, soft line breaks every 72
/// characters or so; in a `header` (an encoded word's `Q`), spaces as `_` and no breaks.
fn quoted_printable(bytes: &[u8], header: bool) -> String {
    let mut out = String::new();
    let mut line = 0;
    for &b in bytes {
        let piece = match b {
            b' ' if header => "_".to_owned(),
            b'\n' if !header => {
                out.push('\n');
                line = 0;
                continue;
            }
            b'=' | b'?' | b'_' | 0x80..=0xFF => format!("={b:02X}"),
            _ => char::from(b).to_string(),
        };
        if !header && line + piece.len() > 72 {
            out.push_str("=\n");
            line = 0;
        }
        line += piece.len();
        out.push_str(&piece);
    }
    out
}

/// `line` with every character above ASCII written as JSON's `\uXXXX` escape (a surrogate
/// pair above the Basic Multilingual Plane), and with `slashes`, `/` as `\/` (PHP's
/// `json_encode` by default).
fn json_escaped(line: &str, slashes: bool) -> String {
    let mut out = String::with_capacity(line.len() * 2);
    for c in line.chars() {
        match c {
            '/' if slashes => out.push_str("\\/"),
            c if c.is_ascii() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{u:04x}");
                }
            }
        }
    }
    out
}

/// The era of a date: its name, its initial and the era's year (`None` before Meiji).
fn era_parts(y: u16, m: u8, d: u8) -> Option<(&'static str, char, u16)> {
    const ERAS: [(&str, char, (u16, u8, u8)); 5] = [
        ("令和", 'R', (2019, 5, 1)),
        ("平成", 'H', (1989, 1, 8)),
        ("昭和", 'S', (1926, 12, 25)),
        ("大正", 'T', (1912, 7, 30)),
        ("明治", 'M', (1868, 1, 25)),
    ];
    let (name, initial, start) = ERAS.iter().find(|e| (y, m, d) >= e.2)?;
    Some((name, *initial, y - start.0 + 1))
}

/// Era notation: `昭和50年3月2日` (kanji) or `S50.3.2`.
fn era(y: u16, m: u8, d: u8, kanji: bool) -> Option<String> {
    let (name, initial, ey) = era_parts(y, m, d)?;
    Some(if kanji {
        if ey == 1 {
            format!("{name}元年{m}月{d}日")
        } else {
            format!("{name}{ey}年{m}月{d}日")
        }
    } else {
        format!("{initial}{ey}.{m}.{d}")
    })
}

/// Address: register notation, without prefecture, without city, hyphenated, kanji 丁目,
/// with postal code in front or building behind, a town's `町` left out.
fn address(p: &Resident, rng: &mut Rng) -> String {
    let block = |hyphen: bool, kanji: bool| -> String {
        match (p.chome, hyphen) {
            (Some(c), true) => format!("{c}-{}-{}", p.ban, p.go),
            (None, true) => format!("{}-{}", p.ban, p.go),
            (Some(c), false) if kanji => {
                format!(
                    "{}丁目{}番{}号",
                    KANJI_DIGITS[usize::from(c % 10)],
                    p.ban,
                    p.go
                )
            }
            (Some(c), false) => format!("{c}丁目{}番{}号", p.ban, p.go),
            (None, false) => format!("{}番{}号", p.ban, p.go),
        }
    };
    let town = &p.town;
    // As addresses are typed into forms, a town's `町` left out before its block numbers
    // (not where that names another town: `御園` and `御園町` are two).
    let stem = town
        .strip_suffix('町')
        .filter(|s| s.chars().count() >= 2 && !crate::synth::is_town(s));
    let mut a = match rng.below(7) {
        0 => format!("兵庫県尼崎市{town}{}", block(false, false)),
        1 => format!("尼崎市{town}{}", block(true, false)),
        2 => format!("{town}{}", block(true, false)),
        3 => format!("{town}{}", block(false, true)),
        4 => format!(
            "〒{} 兵庫県尼崎市{town}{}",
            p.postal_code_dashed(),
            block(true, false)
        ),
        5 => format!("尼崎市{town}{}", block(false, false)),
        _ => match stem {
            Some(stem) => format!("尼崎市{stem}{}", block(true, false)),
            None => format!("{town}{}", block(true, false)),
        },
    };
    if let Some(b) = &p.building
        && rng.below(2) == 0
    {
        a.push(' ');
        a.push_str(b);
    }
    a
}

const KANJI_DIGITS: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// Phone: dashed, plain, `+81-…`, `(06)…`.
fn phone(p: &Resident, rng: &mut Rng) -> String {
    let dashed = p.phone_dashed();
    match rng.below(4) {
        0 => dashed,
        1 => p.phone.clone(),
        2 => format!("+81-{}", dashed.trim_start_matches('0')),
        _ => match dashed.split_once('-') {
            Some((a, b)) => format!("({a}){b}"),
            None => dashed,
        },
    }
}

/// My Number: plain or grouped 4-4-4 with spaces or hyphens.
fn my_number(p: &Resident, rng: &mut Rng) -> String {
    let n = &p.national_id;
    match (rng.below(3), n.get(..4), n.get(4..8), n.get(8..)) {
        (1, Some(a), Some(b), Some(c)) => format!("{a} {b} {c}"),
        (2, Some(a), Some(b), Some(c)) => format!("{a}-{b}-{c}"),
        _ => n.clone(),
    }
}

/// Every printable ASCII character to full width (`SATO Taro` → `ＳＡＴＯ　Ｔａｒｏ`), a space
/// to the ideographic space.
pub fn full_width_text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            ' ' => '\u{3000}',
            '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// ASCII digits and hyphens to full width.
pub fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' | '-' | '+' | '(' | ')' | '/' | '.' => {
                char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)
            }
            ' ' => '\u{3000}',
            _ => c,
        })
        .collect()
}

/// Katakana to hiragana.
pub fn hiragana(s: &str) -> String {
    s.chars()
        .map(|c| match c as u32 {
            0x30A1..=0x30F6 => char::from_u32(c as u32 - 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}

const FULL_KATAKANA: &str = "ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン";
const HALF_KATAKANA: &str = "ｦｧｨｩｪｫｬｭｮｯｰｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝ";

/// Katakana to half-width katakana (voiced kana become base + `ﾞ`/`ﾟ`).
pub fn half_width_kana(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfd() {
        match c {
            '\u{3099}' => out.push('ﾞ'),
            '\u{309A}' => out.push('ﾟ'),
            ' ' | '\u{3000}' => out.push(' '),
            _ => match FULL_KATAKANA.chars().position(|k| k == c) {
                Some(i) => out.push(HALF_KATAKANA.chars().nth(i).unwrap_or(c)),
                None => out.push(c),
            },
        }
    }
    out
}

/// splitmix64: small, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::fold_str;

    #[test]
    fn notation_helpers_fold_back() {
        assert_eq!(half_width_kana("ヤマダ ガク"), "ﾔﾏﾀﾞ ｶﾞｸ");
        assert_eq!(fold_str(&half_width_kana("ヤマダ パン")), "ヤマダ パン");
        assert_eq!(fold_str(&hiragana("ヤマダ")), "ヤマダ");
        assert_eq!(fold_str(&full_width("06-1234")), "06-1234");
        assert_eq!(full_width_text("SATO, Taro"), "ＳＡＴＯ，　Ｔａｒｏ");
        assert_eq!(fold_str(&full_width_text("SATO Taro")), "sato taro");
        assert_eq!(era(1975, 3, 2, true).as_deref(), Some("昭和50年3月2日"));
        assert_eq!(era(1989, 1, 8, true).as_deref(), Some("平成元年1月8日"));
        assert_eq!(era(2019, 5, 1, false).as_deref(), Some("R1.5.1"));
        assert_eq!(swap_variants("高橋 山崎 吉田 小澤"), "髙橋 山嵜 吉田 小沢");
        assert_eq!(fold_str(&swap_variants("髙橋 渡辺")), "高橋 渡辺");
    }

    /// The files of a `.tar.gz` [`tar_gz`] wrote, each checked against its header's checksum,
    /// decoded (the CSV export from Shift_JIS) and joined.
    fn untarred(bytes: &[u8]) -> String {
        use std::io::Read as _;
        let mut tar = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut tar)
            .expect("gunzip");
        let (mut out, mut at, mut names) = (String::new(), 0, Vec::new());
        while tar[at] != 0 {
            let h = &tar[at..at + 512];
            let field = |r: std::ops::Range<usize>| {
                let f = std::str::from_utf8(&h[r]).expect("ascii");
                usize::from_str_radix(f.trim_matches(['\0', ' ']), 8).expect("octal")
            };
            let sum: usize = h
                .iter()
                .enumerate()
                .map(|(k, &b)| {
                    if (148..156).contains(&k) {
                        32
                    } else {
                        usize::from(b)
                    }
                })
                .sum();
            assert_eq!(field(148..156), sum, "checksum");
            assert_eq!(&h[257..263], b"ustar\0");
            let name = std::str::from_utf8(&h[..100])
                .expect("name")
                .trim_end_matches('\0');
            names.push(name.to_owned());
            let data = &tar[at + 512..at + 512 + field(124..136)];
            out.push_str(&if name.ends_with(".csv") {
                encoding_rs::SHIFT_JIS.decode(data).0.into_owned()
            } else {
                String::from_utf8(data.to_vec()).expect("utf-8")
            });
            at += 512 + field(124..136).next_multiple_of(512);
        }
        assert_eq!(
            names,
            [
                "backup/README.txt",
                "backup/db/customers.sql",
                "backup/export/members.csv"
            ]
        );
        assert!(
            tar[at..].iter().all(|&b| b == 0) && tar.len() - at >= 1024,
            "the end"
        );
        out
    }

    /// The rows of the database [`sqlite_file`] wrote, read by SQLite itself (which checks the
    /// file's integrity first), a line each.
    fn sqlite_rows(bytes: &[u8]) -> String {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db.sqlite3");
        std::fs::write(&path, bytes).expect("write");
        let conn = rusqlite::Connection::open(&path).expect("open");
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity_check");
        assert_eq!(check, "ok");
        let mut stmt = conn
            .prepare("SELECT id, last_name, first_name, kana, birthday, tel, address FROM accounts_user ORDER BY id")
            .expect("select");
        let rows = stmt
            .query_map([], |r| {
                let mut line = r.get::<_, i64>(0)?.to_string();
                for k in 1..7 {
                    line.push(',');
                    line.push_str(&r.get::<_, String>(k)?);
                }
                Ok(line)
            })
            .expect("rows")
            .collect::<Result<Vec<String>, _>>()
            .expect("row");
        rows.join("\n")
    }

    /// The entries of a ZIP archive [`zip`] wrote, inflated and joined.
    fn unzipped(bytes: &[u8]) -> String {
        use std::io::Read as _;
        let mut out = String::new();
        let mut at = 0;
        while bytes.get(at..at + 4) == Some(b"PK\x03\x04") {
            let h = &bytes[at..at + 30];
            let size = u32::from_le_bytes([h[18], h[19], h[20], h[21]]) as usize;
            let name_len = usize::from(u16::from_le_bytes([h[26], h[27]]));
            let data = &bytes[at + 30 + name_len..at + 30 + name_len + size];
            let mut z = flate2::read::DeflateDecoder::new(data);
            z.read_to_string(&mut out).expect("inflate");
            at += 30 + name_len + size;
        }
        assert!(bytes[at..].starts_with(b"PK\x01\x02"), "central directory");
        out
    }

    /// The files of a 7z archive, one solid block of them: text as it is, a spreadsheet by
    /// [`unzipped`].
    fn un7z(bytes: &[u8]) -> String {
        let mut reader = sevenz_rust2::ArchiveReader::new(
            std::io::Cursor::new(bytes),
            sevenz_rust2::Password::empty(),
        )
        .expect("7z header");
        assert_eq!(reader.archive().blocks.len(), 1, "one solid block");
        let mut out = String::new();
        reader
            .for_each_entries(|entry, r| {
                let mut data = Vec::new();
                r.read_to_end(&mut data)?;
                if entry.name().ends_with(".xlsx") {
                    out.push_str(&unzipped(&data));
                } else {
                    out.push_str(&String::from_utf8(data).expect("utf-8"));
                }
                Ok(true)
            })
            .expect("7z entries");
        out
    }

    /// JSON's `\uXXXX` escapes (and `\/`) decoded, surrogate pairs included.
    fn json_unescaped(text: &str) -> String {
        let units: Vec<u16> = text.encode_utf16().collect();
        let mut out = Vec::new();
        let mut k = 0;
        while k < units.len() {
            let hex = String::from_utf16_lossy(units.get(k + 2..k + 6).unwrap_or(&[]));
            match (units[k], units.get(k + 1).copied()) {
                (0x5C, Some(0x75)) if hex.len() == 4 => {
                    out.push(u16::from_str_radix(&hex, 16).expect("hex"));
                    k += 6;
                }
                (0x5C, Some(0x2F)) => {
                    out.push(0x2F);
                    k += 2;
                }
                (u, _) => {
                    out.push(u);
                    k += 1;
                }
            }
        }
        String::from_utf16(&out).expect("utf-16")
    }

    #[test]
    fn a_database_of_many_pages_checks() {
        // Enough rows for an interior root page over many leaves.
        let people = crate::synth::residents(700, 5);
        let rows = sqlite_rows(&render(LeakForm::Sqlite, &people, 2));
        assert_eq!(rows.lines().count(), 700);
        for (line, p) in rows.lines().zip(&people) {
            assert!(
                line.contains(&format!(",{},{},", p.family, p.given)),
                "{line}"
            );
        }
    }

    #[test]
    fn every_form_renders_every_person() {
        let people = crate::synth::residents(20, 3);
        for form in LeakForm::ALL {
            let bytes = render(form, &people, 1);
            let text = match form {
                LeakForm::CsvShiftJis => encoding_rs::SHIFT_JIS.decode(&bytes).0.into_owned(),
                LeakForm::Xlsx => unzipped(&bytes),
                LeakForm::TarGz => untarred(&bytes),
                LeakForm::Docx => unzipped(&bytes),
                LeakForm::Sqlite => sqlite_rows(&bytes),
                LeakForm::SevenZip => un7z(&bytes),
                // The UTF-16 piece, in sectors at even offsets: every person's text.
                LeakForm::Doc => {
                    let units: Vec<u16> = bytes
                        .chunks_exact(2)
                        .map(|p| u16::from_le_bytes([p[0], p[1]]))
                        .collect();
                    String::from_utf16_lossy(&units)
                }
                LeakForm::Pdf => pdf_file_text(&bytes),
                LeakForm::Rtf => rtf_file_text(&bytes),
                LeakForm::JsonLines => json_unescaped(&String::from_utf8(bytes).expect("utf-8")),
                LeakForm::Mbox => {
                    // Each person a message, addressed to them (the name is encoded).
                    let text = String::from_utf8(bytes).expect("utf-8");
                    assert_eq!(
                        text.matches("\nFrom: =?ISO-2022-JP?B?").count(),
                        people.len()
                    );
                    for (i, p) in people.iter().enumerate() {
                        let to = p
                            .email
                            .clone()
                            .unwrap_or_else(|| format!("c{i}@example.net"));
                        assert!(text.contains(&format!("?= <{to}>")), "mbox lacks {}", p.id);
                    }
                    continue;
                }
                _ => String::from_utf8(bytes).expect("utf-8"),
            };
            for p in &people {
                let folded = fold_str(&text);
                if form == LeakForm::Romaji {
                    let year = p.birth.0.to_string();
                    let short = format!("-{:02}", p.birth.0 % 100);
                    let slashed = format!("/{:02}", p.birth.0 % 100);
                    // A shipping label has the postal code instead of the date.
                    let postal = format!("{}-{}", &p.postal_code[..3], &p.postal_code[3..]);
                    assert!(
                        folded.contains(&year)
                            || folded.contains(&short)
                            || folded.contains(&slashed)
                            || folded.contains(&postal),
                        "romaji lacks {}",
                        p.id
                    );
                    continue;
                }
                let family = fold_str(&p.family);
                let family_kana = fold_str(&p.family_kana);
                assert!(
                    folded.contains(&family) || folded.contains(&family_kana),
                    "{} lacks {}",
                    form.name(),
                    p.id
                );
            }
        }
    }
}
