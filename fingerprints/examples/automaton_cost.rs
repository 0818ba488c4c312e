//! Measures the multi-token matching structures the matcher can build from a bundle, at a given
//! register size: an `aho-corasick` automaton over the token-id alphabet, and a hash trie over
//! token ids. Prints build time, memory and search speed over a stream of token ids.
//!
//! Run: `cargo run --release -p fingerprints --example automaton_cost -- [RESIDENTS]`
//!
//! Alphabet: each token id is written as 4 bytes, the first with its high bit set and the others
//! without (28 bits of id), so a match can only start on an id boundary and the automaton's
//! alphabet is the vocabulary, not raw hash bytes (which measured ~1 MB/s in
//! `../shared/notes/detection-model.md`).

use std::collections::HashMap;
use std::time::Instant;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use fingerprints::records::Row;
use fingerprints::{BundleBuilder, FieldKind, SecretKey, synth};

fn encode(ids: &[u32], out: &mut Vec<u8>) {
    for &id in ids {
        out.extend_from_slice(&[
            0x80 | ((id >> 21) & 0x7F) as u8,
            ((id >> 14) & 0x7F) as u8,
            ((id >> 7) & 0x7F) as u8,
            (id & 0x7F) as u8,
        ]);
    }
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(460_177);
    let t = Instant::now();
    let residents = synth::residents(n, 1);
    let rows: Vec<Row> = residents
        .iter()
        .enumerate()
        .map(|(i, r)| Row {
            line: i as u64 + 2,
            id: r.id.clone(),
            fields: vec![
                (FieldKind::Name, 0, r.name()),
                (FieldKind::NameKana, 1, r.name_kana()),
                (FieldKind::Address, 2, r.address()),
            ],
        })
        .collect();
    let mut b = BundleBuilder::new(&SecretKey::from_bytes([9; 32]));
    b.add_rows(rows);
    let (bundle, _) = b.finish().expect("bundle");
    println!(
        "{n} residents: bundle of names, readings, addresses built in {:.2} s; {} distinct tokens",
        t.elapsed().as_secs_f64(),
        bundle.vocabulary_len()
    );

    // Distinct token-id sequences over all multi-token kinds.
    let mut seqs: Vec<Vec<u32>> = bundle
        .multi_token_fields()
        .iter()
        .flat_map(|m| (0..m.len()).map(move |i| m.entry(i).1.to_vec()))
        .collect();
    let entries = seqs.len();
    seqs.sort_unstable();
    seqs.dedup();
    println!(
        "{entries} multi-token entries, {} distinct sequences",
        seqs.len()
    );

    // A stream of token ids as the matcher would produce it from text: mostly unrelated tokens,
    // with a leaked sequence every ~50 tokens.
    let mut rng = 0x1234_5678_9abc_def0u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let vocab = bundle.vocabulary_len() as u64;
    let mut stream_ids = Vec::with_capacity(10_000_000);
    while stream_ids.len() < 10_000_000 {
        if next() % 50 == 0 {
            stream_ids.extend_from_slice(&seqs[(next() % seqs.len() as u64) as usize]);
        } else {
            stream_ids.push((next() % vocab) as u32);
        }
    }
    let mut stream = Vec::with_capacity(stream_ids.len() * 4);
    encode(&stream_ids, &mut stream);

    // 1. aho-corasick over the id alphabet.
    let patterns: Vec<Vec<u8>> = seqs
        .iter()
        .map(|s| {
            let mut v = Vec::new();
            encode(s, &mut v);
            v
        })
        .collect();
    for kind in [AhoCorasickKind::ContiguousNFA, AhoCorasickKind::DFA] {
        let t = Instant::now();
        let ac = match AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(kind))
            .build(&patterns)
        {
            Ok(ac) => ac,
            Err(e) => {
                println!("aho-corasick {kind:?}: not built ({e})");
                continue;
            }
        };
        let build = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let found = ac.find_overlapping_iter(&stream).count();
        let secs = t.elapsed().as_secs_f64();
        println!(
            "aho-corasick {kind:?}: build {build:.2} s, {:.1} MiB; search {:.0} M token ids/s ({:.0} MB/s of id stream), {found} matches",
            ac.memory_usage() as f64 / (1 << 20) as f64,
            stream_ids.len() as f64 / secs / 1e6,
            stream.len() as f64 / secs / 1e6,
        );
    }

    // 2. Hash trie over token ids: (state, token) -> state; state 0 is the root.
    let t = Instant::now();
    let mut edges: HashMap<(u32, u32), u32> = HashMap::with_capacity(seqs.len() * 2);
    let mut terminal = vec![false];
    for s in &seqs {
        let mut state = 0u32;
        for &id in s {
            let next_state = terminal.len() as u32;
            state = *edges.entry((state, id)).or_insert_with(|| {
                terminal.push(false);
                next_state
            });
        }
        terminal[state as usize] = true;
    }
    let build = t.elapsed().as_secs_f64();
    let max_len = seqs.iter().map(Vec::len).max().unwrap_or(0);
    let t = Instant::now();
    let mut found = 0usize;
    for start in 0..stream_ids.len() {
        let mut state = 0u32;
        for &id in &stream_ids[start..(start + max_len).min(stream_ids.len())] {
            match edges.get(&(state, id)) {
                Some(&s) => {
                    state = s;
                    found += usize::from(terminal[s as usize]);
                }
                None => break,
            }
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "hash trie: build {build:.2} s, ~{:.1} MiB; search {:.0} M token ids/s, {found} matches",
        (edges.capacity() * 16 + terminal.len()) as f64 / (1 << 20) as f64,
        stream_ids.len() as f64 / secs / 1e6,
    );
}
