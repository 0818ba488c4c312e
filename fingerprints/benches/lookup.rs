//! What one hot-path lookup costs: the bundle's register-blocked filter against the `bloomfilter`
//! crate and an exact hash set, with 2,000,000 keyed fingerprints (the strong index of a
//! 460,177-resident register plus its token prefixes) — and the fast fingerprint step itself.
//! Then the corroborator check: the bundle's blocked filter at ~1e-6 against `bloomfilter` at
//! 1e-6, with 4,100,000 record-scoped fingerprints (as many as a 460,177-resident bundle holds).
//!
//! Run: `cargo bench -p fingerprints --bench lookup`

use std::collections::HashSet;
use std::hash::BuildHasherDefault;
use std::hint::black_box;

use bloomfilter::Bloom;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use fingerprints::{CorroboratorFilter, FastDomain, FieldKind, Hasher, SecretKey, TokenFilter};

const ITEMS: u64 = 2_000_000;
const PROBES: u64 = 4096;

fn fp(i: u64) -> u64 {
    let mut x = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[derive(Default)]
struct Identity(u64);
impl std::hash::Hasher for Identity {
    fn write(&mut self, _: &[u8]) {}
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Benchmarks `structure/case`: how many of a batch of `probes` the lookup `contains` answers.
fn bench_probes(
    g: &mut BenchmarkGroup<'_, WallTime>,
    structure: &str,
    case: &str,
    probes: &[u64],
    contains: impl Fn(u64) -> bool,
) {
    g.bench_function(format!("{structure}/{case}"), |b| {
        b.iter(|| probes.iter().filter(|&&p| contains(black_box(p))).count())
    });
}

fn lookups(c: &mut Criterion) {
    let mut filter = TokenFilter::with_capacity(ITEMS as usize, 16);
    let seed: [u8; 32] = std::array::from_fn(|i| i as u8 + 1);
    let mut bloom = Bloom::<u64>::new_for_fp_rate_with_seed(ITEMS as usize, 1e-4, &seed).unwrap();
    let mut set: HashSet<u64, BuildHasherDefault<Identity>> = HashSet::default();
    for i in 0..ITEMS {
        filter.insert(fp(i));
        bloom.set(&fp(i));
        set.insert(fp(i));
    }
    let misses: Vec<u64> = (0..PROBES).map(|i| fp(ITEMS + 1 + i)).collect();
    let hits: Vec<u64> = (0..PROBES).map(|i| fp(i * 97 % ITEMS)).collect();
    let fp_rate = (0..200_000)
        .filter(|i| filter.contains(fp(ITEMS * 2 + i)))
        .count() as f64
        / 200_000.0;
    eprintln!(
        "hot-path filter: {} MiB, measured false-positive rate {fp_rate:.2e}",
        filter.size_bytes() >> 20
    );

    let mut g = c.benchmark_group("lookup_2M");
    g.throughput(Throughput::Elements(PROBES));
    for (name, probes) in [("miss", &misses), ("hit", &hits)] {
        bench_probes(&mut g, "token_filter", name, probes, |p| filter.contains(p));
        bench_probes(&mut g, "bloomfilter", name, probes, |p| bloom.check(&p));
        bench_probes(&mut g, "hashset_identity", name, probes, |p| {
            set.contains(&p)
        });
    }
    g.finish();

    let hasher = Hasher::new(&SecretKey::from_bytes([3; 32]));
    let text: Vec<char> = "兵庫県尼崎市東七松町一丁目二十三番四号に住む山田太郎さんの電話番号"
        .chars()
        .cycle()
        .take(4096)
        .collect();
    let mut g = c.benchmark_group("fast_fingerprint");
    g.throughput(Throughput::Elements(text.len() as u64));
    g.bench_function("step_per_char", |b| {
        b.iter(|| {
            text.iter()
                .fold(hasher.fast_start(FastDomain::TokenPrefix), |h, &ch| {
                    hasher.fast_step(h, ch)
                })
        })
    });
    g.finish();
    let mut g = c.benchmark_group("exact_fingerprint");
    g.throughput(Throughput::Elements(1));
    g.bench_function("blake3_keyed_token", |b| {
        b.iter(|| hasher.token(black_box("山田")))
    });
    g.finish();
}

const CORROBORATORS: u64 = 4_100_000;

fn corroborator_lookups(c: &mut Criterion) {
    let seed: [u8; 32] = std::array::from_fn(|i| i as u8 + 1);
    let mut blocked = CorroboratorFilter::with_capacity(CORROBORATORS as usize, 0x5eed);
    let mut bloom =
        Bloom::<u64>::new_for_fp_rate_with_seed(CORROBORATORS as usize, 1e-6, &seed).unwrap();
    for i in 0..CORROBORATORS {
        blocked.insert(fp(i));
        bloom.set(&fp(i));
    }
    eprintln!(
        "corroborator filters: blocked {:.1} MiB, bloomfilter {:.1} MiB ({} hash functions)",
        blocked.size_bytes() as f64 / (1 << 20) as f64,
        bloom.as_slice().len() as f64 / (1 << 20) as f64,
        bloom.number_of_hash_functions()
    );
    let misses: Vec<u64> = (0..PROBES).map(|i| fp(CORROBORATORS + 1 + i)).collect();
    let hits: Vec<u64> = (0..PROBES).map(|i| fp(i * 97 % CORROBORATORS)).collect();
    let mut g = c.benchmark_group("corroborator_4M");
    g.throughput(Throughput::Elements(PROBES));
    for (name, probes) in [("miss", &misses), ("hit", &hits)] {
        bench_probes(&mut g, "blocked", name, probes, |p| blocked.contains(p));
        bench_probes(&mut g, "bloomfilter", name, probes, |p| bloom.check(&p));
    }
    g.finish();
    // What a record-scoped fingerprint costs: the value's keyed hash (once per value found in a
    // page) and the scoping to one record (once per record asked).
    let hasher = Hasher::new(&SecretKey::from_bytes([3; 32]));
    let value = hasher.corroborator_value(FieldKind::BirthDate, "19750302");
    let mut g = c.benchmark_group("corroborator_fingerprint");
    g.throughput(Throughput::Elements(1));
    g.bench_function("value_blake3_keyed", |b| {
        b.iter(|| hasher.corroborator_value(FieldKind::BirthDate, black_box("19750302")))
    });
    g.bench_function("scoped_to_record", |b| {
        b.iter(|| hasher.corroborator(black_box(12_345), &value))
    });
    g.finish();
}

criterion_group!(benches, lookups, corroborator_lookups);
criterion_main!(benches);
