//! The bundle reader on arbitrary bytes and on damaged real bundles: an error, never a panic or a
//! huge allocation (run with `-rss_limit_mb`); a bundle that opens writes back the same bytes.
#![no_main]

use std::sync::OnceLock;

use fingerprints::bundle::inspect_bytes;
use fingerprints::{Bundle, BundleBuilder, SecretKey, synth};
use libfuzzer_sys::fuzz_target;

const KEY: [u8; 32] = [9; 32];

fn valid() -> &'static Vec<u8> {
    static B: OnceLock<Vec<u8>> = OnceLock::new();
    B.get_or_init(|| {
        let key = SecretKey::from_bytes(KEY);
        let mut b = BundleBuilder::new(&key);
        b.add_rows(synth::register_rows(&synth::residents(20, 3)));
        let (bundle, _) = b.finish().expect("bundle");
        bundle.to_bytes(&key).expect("encode")
    })
}

fn check(bytes: &[u8]) {
    let key = SecretKey::from_bytes(KEY);
    let _ = inspect_bytes(bytes);
    if let Ok(bundle) = Bundle::from_bytes(bytes, &key) {
        let again = bundle.to_bytes(&key).expect("re-encode");
        let reopened = Bundle::from_bytes(&again, &key).expect("re-open");
        // Encryption uses a fresh nonce, so the bytes differ; the content must not.
        assert_eq!(reopened.meta(), bundle.meta());
        assert_eq!(reopened.record_count(), bundle.record_count());
        assert_eq!(reopened.vocabulary_len(), bundle.vocabulary_len());
        assert_eq!(reopened.heap_bytes(), bundle.heap_bytes());
        let refs = |b: &Bundle| {
            (0..b.record_count() as u32)
                .map(|r| b.record_ref(r))
                .collect::<Vec<_>>()
        };
        assert_eq!(refs(&bundle), refs(&reopened));
    }
    // The wrong key must be refused, never accepted.
    let wrong = SecretKey::from_bytes([1; 32]);
    if !bytes.is_empty() {
        assert!(Bundle::from_bytes(bytes, &wrong).is_err() || bytes != valid().as_slice());
    }
}

fuzz_target!(|input: (u8, Vec<(u32, u8)>, &[u8])| {
    let (mode, edits, raw) = input;
    if mode % 2 == 0 {
        check(raw);
    } else {
        // A real bundle, truncated and with bytes changed.
        let mut b = valid().clone();
        for (at, x) in edits.iter().take(8) {
            let i = *at as usize % b.len();
            b[i] ^= x | 1;
        }
        let cut = (mode as usize * 997) % (b.len() + 1);
        if mode % 4 == 1 {
            b.truncate(cut);
        }
        check(&b);
    }
});
