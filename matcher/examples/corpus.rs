//! Writes a mixed benchmark corpus of paste-like documents: English logs and code, Japanese
//! prose, HTML pages, look-alike dumps of people who are not in the register, and a few leaks of
//! registered residents (synthetic register of `leakwatch demo-data --residents N --seed S`).
//!
//! Run: `cargo run --release -p matcher --example corpus -- OUT_DIR [MEGABYTES] [RESIDENTS] [SEED]`
//!
//! Prints the number of documents, bytes, and how many leaked residents it planted.
//!
//! Each file's name says what it holds (`000123-dump.txt`): `en` (English logs and code), `ja`
//! (Japanese prose), `html`, `dump` (look-alikes, in one of the leak forms) or `leak` (twenty
//! residents), so that a benchmark can time each kind apart.

use std::fmt::Write as _;
use std::path::PathBuf;

use fingerprints::leaks::{LeakForm, render};
use fingerprints::synth;

const EN_WORDS: [&str; 48] = [
    "the",
    "server",
    "returned",
    "error",
    "while",
    "processing",
    "request",
    "user",
    "session",
    "token",
    "expired",
    "connection",
    "reset",
    "by",
    "peer",
    "timeout",
    "after",
    "retrying",
    "database",
    "query",
    "failed",
    "with",
    "status",
    "payload",
    "invalid",
    "json",
    "field",
    "missing",
    "cache",
    "miss",
    "for",
    "key",
    "deploy",
    "build",
    "succeeded",
    "in",
    "seconds",
    "warning",
    "deprecated",
    "function",
    "called",
    "from",
    "module",
    "thread",
    "panicked",
    "at",
    "memory",
    "usage",
];

const JA_WORDS: [&str; 40] = [
    "今日",
    "天気",
    "会社",
    "会議",
    "資料",
    "確認",
    "お願い",
    "します",
    "ました",
    "です",
    "について",
    "新しい",
    "商品",
    "価格",
    "販売",
    "情報",
    "連絡",
    "予定",
    "東京",
    "大阪",
    "電車",
    "時間",
    "遅延",
    "昨日",
    "友達",
    "映画",
    "見",
    "行き",
    "楽しかった",
    "問題",
    "解決",
    "方法",
    "説明",
    "システム",
    "更新",
    "担当者",
    "田中",
    "山本",
    "中村",
    "小林",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

fn english(rng: &mut Rng, bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 200);
    while s.len() < bytes {
        let _ = write!(
            s,
            "2026-11-{:02}T{:02}:{:02}:{:02}Z [{}] ",
            1 + rng.below(28),
            rng.below(24),
            rng.below(60),
            rng.below(60),
            ["INFO", "WARN", "ERROR", "DEBUG"][rng.below(4)]
        );
        for _ in 0..8 + rng.below(12) {
            s.push_str(EN_WORDS[rng.below(EN_WORDS.len())]);
            s.push(' ');
        }
        let _ = writeln!(
            s,
            "id={} ip=10.{}.{}.{} took={}ms",
            rng.next() % 1_000_000_000,
            rng.below(256),
            rng.below(256),
            rng.below(256),
            rng.below(5000)
        );
        if rng.below(10) == 0 {
            s.push_str("fn handle(req: &Request) -> Result<Response, Error> {\n    let body = req.body()?;\n    Ok(Response::new(body.len()))\n}\n");
        }
    }
    s
}

fn japanese(rng: &mut Rng, bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 200);
    while s.len() < bytes {
        for _ in 0..6 + rng.below(10) {
            s.push_str(JA_WORDS[rng.below(JA_WORDS.len())]);
            if rng.below(4) == 0 {
                s.push_str(["は", "が", "を", "に", "の", "で", "と"][rng.below(7)]);
            }
        }
        s.push_str(["。", "！", "。\n", "？\n"][rng.below(4)]);
        if rng.below(20) == 0 {
            let _ = write!(
                s,
                "価格は{}円、{}年{}月{}日まで。",
                rng.below(100_000),
                2020 + rng.below(7),
                1 + rng.below(12),
                1 + rng.below(28)
            );
        }
    }
    s
}

fn html(rng: &mut Rng, bytes: usize) -> String {
    let mut s = String::from(
        "<!DOCTYPE html><html><head><title>forum</title><script>var x=1;</script></head><body>\n",
    );
    while s.len() < bytes {
        let _ = writeln!(
            s,
            "<div class=\"post\"><p>{}</p><a href=\"/t/{}\">more</a></div>",
            japanese(rng, 200),
            rng.below(100_000)
        );
    }
    s.push_str("</body></html>\n");
    s
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = PathBuf::from(args.get(1).map_or("corpus", String::as_str));
    let megabytes: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(240);
    let residents: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(460_177);
    let seed: u64 = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(1);
    std::fs::create_dir_all(&out).expect("create output dir");
    let mut rng = Rng(seed ^ 0xC0FFEE);
    let target = megabytes << 20;
    let (mut total, mut docs, mut leaked, mut outsider) = (0usize, 0usize, 0usize, 0usize);
    while total < target {
        let size = 4096 + rng.below(60 << 10);
        let kind = rng.below(100);
        let name = match kind {
            0..35 => "en",
            35..60 => "ja",
            60..72 => "html",
            72..97 => "dump",
            _ => "leak",
        };
        let bytes: Vec<u8> = if kind < 35 {
            english(&mut rng, size).into_bytes()
        } else if kind < 60 {
            japanese(&mut rng, size).into_bytes()
        } else if kind < 72 {
            html(&mut rng, size).into_bytes()
        } else if kind < 97 {
            // Look-alike dumps of people who are not in the register.
            let people: Vec<_> = (0..size / 120)
                .map(|_| {
                    outsider += 1;
                    synth::non_resident(outsider, seed)
                })
                .collect();
            render(
                LeakForm::ALL[rng.below(LeakForm::ALL.len())],
                &people,
                rng.next(),
            )
        } else {
            let people: Vec<_> = (0..20)
                .map(|_| synth::resident(rng.below(residents), seed))
                .collect();
            leaked += people.len();
            render(
                LeakForm::ALL[rng.below(LeakForm::ALL.len())],
                &people,
                rng.next(),
            )
        };
        let dir = out.join(format!("{:03}", docs / 1000));
        if docs % 1000 == 0 {
            std::fs::create_dir_all(&dir).expect("create dir");
        }
        std::fs::write(dir.join(format!("{docs:06}-{name}.txt")), &bytes).expect("write document");
        total += bytes.len();
        docs += 1;
    }
    println!(
        "{docs} documents, {total} bytes, {leaked} leaked residents, {outsider} look-alike people"
    );
}
