//! Sorts the findings of `leakwatch scan --format jsonl` in the benchmark corpus's look-alike
//! dumps (`*-dump.txt`, written by the `corpus` example): true collisions, where a look-alike
//! person has a resident's name, or reading, and birth date, and the others, which the matcher
//! should not raise. The look-alike people and the register are made again from the seed, and
//! each finding's record reference is computed from the key: nothing is read from the register.
//!
//! Run: `cargo run --release -p matcher --example lookalikes -- KEY_FILE FOUND_JSONL
//! LOOKALIKES [RESIDENTS] [SEED]` (`LOOKALIKES`: the count the `corpus` example printed).
//!
//! Prints counts only, by confidence and by the fields of the other findings.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use fingerprints::normalize::fold_str;
use fingerprints::synth::{self, Resident};
use fingerprints::{Hasher, SecretKey};

/// A person's folded name or reading, and birth date.
type Key = (String, String, (u16, u8, u8));

fn name(p: &Resident) -> Key {
    (fold_str(&p.family), fold_str(&p.given), p.birth)
}

fn reading(p: &Resident) -> Key {
    (fold_str(&p.family_kana), fold_str(&p.given_kana), p.birth)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: lookalikes KEY_FILE FOUND_JSONL LOOKALIKES [RESIDENTS] [SEED]");
        std::process::exit(2);
    }
    let key = SecretKey::read(Path::new(&args[1])).expect("read the key");
    let lookalikes: usize = args[3].parse().expect("LOOKALIKES");
    let residents: usize = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(460_177);
    let seed: u64 = args.get(5).and_then(|a| a.parse().ok()).unwrap_or(1);
    let hasher = Hasher::new(&key);
    let register = synth::residents(residents, seed);
    let by_ref: HashMap<String, usize> = register
        .iter()
        .enumerate()
        .map(|(i, r)| (hasher.record_ref(&r.id).to_string(), i))
        .collect();
    // The corpus example numbers its look-alike people from 1.
    let people: Vec<Resident> = (1..=lookalikes)
        .map(|i| synth::non_resident(i, seed))
        .collect();
    let names: HashSet<Key> = people.iter().map(name).collect();
    let readings: HashSet<Key> = people.iter().map(reading).collect();
    let found = std::fs::read_to_string(&args[2]).expect("read the findings");
    let (mut by_name, mut by_reading) = (0usize, 0usize);
    let mut others: BTreeMap<String, usize> = BTreeMap::new();
    for line in found.lines() {
        let doc: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        if !doc["source"]
            .as_str()
            .is_some_and(|s| s.ends_with("-dump.txt"))
        {
            continue;
        }
        for f in doc["findings"].as_array().into_iter().flatten() {
            let confidence = f["confidence"].as_str().unwrap_or("");
            if confidence == "low" {
                continue;
            }
            let record = f["record"].as_str().and_then(|r| by_ref.get(r));
            let Some(&r) = record else {
                panic!("a record reference not of this register: wrong key or seed?");
            };
            if names.contains(&name(&register[r])) {
                by_name += 1;
            } else if readings.contains(&reading(&register[r])) {
                by_reading += 1;
            } else {
                let fields: Vec<&str> = f["fields"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|k| k.as_str())
                    .collect();
                *others
                    .entry(format!("{confidence} {}", fields.join("+")))
                    .or_default() += 1;
            }
        }
    }
    let other: usize = others.values().sum();
    println!(
        "look-alike dumps ({lookalikes} people): {} findings at medium or above; true collisions: \
         {by_name} by name and birth date, {by_reading} by reading and birth date; others: {other}",
        by_name + by_reading + other
    );
    for (what, n) in &others {
        println!("    {n:5}  {what}");
    }
}
