use super::*;

const MEMBER_ROW: &str =
    "山口 大介,ヤマグチ ダイスケ,1968-09-18,兵庫県尼崎市東七松町1丁目23番4号,090-6682-8625";

/// Encrypted by real tools (`matcher/tests/data/zip`): Info-ZIP 3.0's `zip -P` (ZipCrypto, with
/// a data descriptor), 7-Zip's (ZipCrypto, AES-256, AES-128), and `zip -P` writing to a pipe
/// (sizes and CRC only after the data and in the central directory), with these passwords.
const FIXTURES: &[(&str, &[u8], &str)] = &[
    (
        "zip -P",
        include_bytes!("../../tests/data/zip/ppap-zipcrypto.zip"),
        "Kx7#mq2Z",
    ),
    (
        "7z ZipCrypto",
        include_bytes!("../../tests/data/zip/members-zipcrypto-7z.zip"),
        "Leak2026!",
    ),
    (
        "7z AES-256",
        include_bytes!("../../tests/data/zip/members-aes256.zip"),
        "Leak2026!",
    ),
    (
        "7z AES-128",
        include_bytes!("../../tests/data/zip/members-aes128.zip"),
        "Leak2026!",
    ),
    (
        "zip -P from a pipe",
        include_bytes!("../../tests/data/zip/members-stream.zip"),
        "Leak2026!",
    ),
];

fn text(archive: &[u8], passwords: &str) -> String {
    let passwords = Passwords::from_lines(passwords);
    crate::archive::unpack_archive_text(archive, &mut Unpack::new(1 << 20, &passwords)).0
}

#[test]
fn pbkdf2_sha1_matches_rfc_6070() {
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let mut out = [0u8; 20];
    for (rounds, want) in [
        (1, "0c60c80f961f0e71f3a9b524af6012062fe037a6"),
        (2, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"),
        (4096, "4b007901b765489abead49d926f721d065a429c1"),
    ] {
        pbkdf2_sha1(b"password", b"salt", rounds, &mut out);
        assert_eq!(hex(&out), want, "{rounds}");
    }
    let mut long = [0u8; 25];
    pbkdf2_sha1(
        b"passwordPASSWORDpassword",
        b"saltSALTsaltSALTsaltSALTsaltSALTsalt",
        4096,
        &mut long,
    );
    assert_eq!(
        hex(&long),
        "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"
    );
}

#[test]
fn entries_open_with_the_right_password_only() {
    for &(tool, archive, password) in FIXTURES {
        let read = text(archive, &format!("wrong\n{password}\n"));
        assert!(read.contains(MEMBER_ROW), "{tool}: {read}");
        assert!(read.starts_with("氏名,フリガナ"), "{tool}: {read}");
        for wrong in ["", "wrong\nLeak2026\nkx7#mq2z"] {
            assert_eq!(text(archive, wrong), "", "{tool}");
        }
    }
}

#[test]
fn an_entry_whose_size_only_the_central_directory_gives_is_lost_with_it() {
    // `zip -P` writing to a pipe from a pipe: the local header has no sizes, the central
    // directory (at the end) and the data descriptor after the data have them.
    let archive = include_bytes!("../../tests/data/zip/members-stream.zip");
    assert!(text(archive, "Leak2026!").contains(MEMBER_ROW));
    assert_eq!(text(&archive[..archive.len() - 30], "Leak2026!"), "");
}

#[test]
fn a_password_in_the_archive_s_own_readme_opens_its_other_entries() {
    // `readme.txt` stored in the clear, `members.csv` added with `zip -P`.
    let archive = include_bytes!("../../tests/data/zip/readme-and-sealed.zip");
    let read = text(archive, "");
    assert!(read.contains("Password: Leak2026!"), "{read}");
    assert!(read.contains(MEMBER_ROW), "{read}");
}

#[test]
fn cut_and_corrupted_entries_give_nothing_and_never_panic() {
    for &(tool, archive, password) in FIXTURES {
        for cut in (0..archive.len()).step_by(7) {
            let _ = text(&archive[..cut], password);
        }
        for flip in (30..archive.len()).step_by(5) {
            let mut bad = archive.to_vec();
            bad[flip] ^= 0x41;
            let read = text(&bad, password);
            // A flipped byte of the data is caught by the CRC or the MAC; one of the headers
            // (a name, a time) may leave the entry readable.
            assert!(
                read.is_empty() || read.contains(MEMBER_ROW),
                "{tool} {flip}"
            );
        }
    }
}

#[test]
fn wrong_tries_are_bounded_per_document() {
    // A thousand wrong passwords, then `right`: nothing read, and the wrong tries counted.
    let many: String = (0..1000).map(|i| format!("p{i}\n")).collect();
    let failed = |file: &[u8], right: &str| {
        let passwords = Passwords::from_lines(&format!("{many}{right}"));
        let mut cx = Unpack::new(1 << 20, &passwords);
        let (read, _) = crate::archive::unpack_archive_text(file, &mut cx);
        assert_eq!(read, "");
        cx.failed
    };
    let (_, archive, _) = FIXTURES[2];
    assert_eq!(failed(archive, ""), MAX_FAILED_TRIES);
    // An encrypted Office file's try counts five (100,000 rounds): twelve tries at most, and
    // none after them, not even the right password's.
    let xlsx = include_bytes!("../../tests/data/encrypted/members-password.xlsx");
    assert_eq!(failed(xlsx, "Amg-2026#xl\n"), 60);
    // Office 2007's standard encryption (50,000 rounds) counts three: twenty-one tries.
    let xlsx = include_bytes!("../../tests/data/encrypted/members-standard.xlsx");
    assert_eq!(failed(xlsx, "Std2007-xl\n"), 63);
    // A 7z archive's try counts four (its key takes 2^19 rounds of SHA-256): sixteen tries.
    let (_, archive) = SEVEN_ZIP[0];
    assert_eq!(failed(archive, "Leak2026!\n"), 64);
    // So does a RAR archive's (2^15 rounds of PBKDF2-HMAC-SHA256, or 2^18 of SHA-1).
    for &(_, archive) in RAR {
        assert_eq!(failed(archive, "Leak2026!\n"), 64);
    }
}

/// RAR archives encrypted with `Leak2026!` by `rars` (`scripts/fixtures/rar.sh`): RAR 5 and
/// RAR 4, the files encrypted (`-p`) or the headers too (`-hp`).
const RAR: &[(&str, &[u8])] = &[
    (
        "rar5 -p",
        include_bytes!("../../tests/data/rar/members-rar5-aes.rar"),
    ),
    (
        "rar5 -hp",
        include_bytes!("../../tests/data/rar/members-rar5-aes-header.rar"),
    ),
    (
        "rar4 -p",
        include_bytes!("../../tests/data/rar/members-rar4-aes.rar"),
    ),
    (
        "rar4 -hp",
        include_bytes!("../../tests/data/rar/members-rar4-aes-header.rar"),
    ),
];

#[test]
fn rar_archives_open_with_the_right_password_only() {
    for &(tool, archive) in RAR {
        assert_opens_with_its_password_only(tool, archive, "application/vnd.rar");
    }
}

/// Asserts that the encrypted `archive` (as `content_type`) gives its CSV with `Leak2026!`
/// only: from the operator's list, and from a mail after the one it is attached to; without
/// that mail, it is locked.
fn assert_opens_with_its_password_only(tool: &str, archive: &[u8], content_type: &str) {
    let read = text(archive, "wrong\nLeak2026!\n");
    assert!(read.starts_with("氏名,フリガナ"), "{tool}: {read}");
    assert!(read.contains(MEMBER_ROW), "{tool}: {read}");
    for wrong in ["", "wrong\nLeak2026\nleak2026!"] {
        assert_eq!(text(archive, wrong), "", "{tool}");
    }
    let mbox = |password: &str| {
        format!(
            "From a@example.jp\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\
             Content-Type: {content_type}\nContent-Transfer-Encoding: base64\n\n{}\n--b--\n\n\
             From a@example.jp\nContent-Type: text/plain; charset=utf-8\n\nパスワード：{password}\n",
            fingerprints::leaks::base64(archive)
        )
    };
    let passwords = Passwords::default();
    let mut cx = Unpack::new(1 << 20, &passwords);
    let read = crate::mime::unpack_mail_text(&mbox("Leak2026!"), &mut cx);
    assert!(read.contains(MEMBER_ROW), "{tool}: {read}");
    assert_eq!(cx.locked(), 0, "{tool}");
    let mut cx = Unpack::new(1 << 20, &passwords);
    let read = crate::mime::unpack_mail_text(&mbox("-"), &mut cx);
    assert!(!read.contains(MEMBER_ROW) && cx.locked() == 1, "{tool}");
}

#[test]
fn rar_keys_are_bounded_per_document() {
    // Thirty-three archives of two encrypted files each in one mail: each file costs a key,
    // so the document's keys read the first 32 archives, and the last one's files are locked.
    let two = include_bytes!("../../tests/data/rar/members-rar5-aes-two.rar");
    let mut mbox = String::from("From a@example.jp\nContent-Type: multipart/mixed; boundary=b\n\n");
    for _ in 0..33 {
        mbox.push_str(&format!(
            "--b\nContent-Type: application/vnd.rar\nContent-Transfer-Encoding: base64\n\n{}\n",
            fingerprints::leaks::base64(two)
        ));
    }
    mbox.push_str("--b--\n");
    let passwords = Passwords::from_lines("Leak2026!");
    let mut cx = Unpack::new(64 << 20, &passwords);
    let read = crate::mime::unpack_mail_text(&mbox, &mut cx);
    // The CSV and the workbook each name the member.
    assert_eq!(read.matches("山口 大介").count(), 64, "{}", read.len());
    assert_eq!((cx.rar_keys, cx.locked()), (0, 1));
}

/// 7z archives 7-Zip 25.01 encrypted (`matcher/tests/data/7z`) with `Leak2026!`: `7zz a -p`
/// (the data encrypted, the header not) and `7zz a -p -mhe=on` (the header too).
const SEVEN_ZIP: &[(&str, &[u8])] = &[
    (
        "7z -p",
        include_bytes!("../../tests/data/7z/members-aes.7z"),
    ),
    (
        "7z -p -mhe=on",
        include_bytes!("../../tests/data/7z/members-aes-header.7z"),
    ),
];

#[test]
fn seven_zip_archives_open_with_the_right_password_only() {
    for &(tool, archive) in SEVEN_ZIP {
        assert_opens_with_its_password_only(tool, archive, "application/x-7z-compressed");
    }
}

#[test]
fn a_password_in_a_seven_zip_archive_s_own_readme_opens_its_encrypted_block() {
    // `7zz a readme-and-sealed.7z readme.txt`, then `7zz a -pLeak2026! … members.csv`: two
    // blocks, the first in the clear.
    let archive = include_bytes!("../../tests/data/7z/readme-and-sealed.7z");
    let read = text(archive, "");
    assert!(read.starts_with("Password: Leak2026!"), "{read}");
    assert!(read.contains(MEMBER_ROW), "{read}");
    // Opened once: the readme's text is not read again with the encrypted block.
    assert_eq!(read.matches("Password:").count(), 1, "{read}");
}

/// A 7z archive of `files` encrypted with `Leak2026!` (AES-256, then LZMA2) by `sevenz-rust2`;
/// `salt_each`: each file in a block whose key has a salt of its own.
fn sealed_seven_zip(files: &[(&str, &[u8])], salt_each: bool) -> Vec<u8> {
    use sevenz_rust2::encoder_options::{AesEncoderOptions, Lzma2Options};
    let mut w = sevenz_rust2::ArchiveWriter::new(std::io::Cursor::new(Vec::new())).unwrap();
    for (k, (name, data)) in files.iter().enumerate() {
        if k == 0 || salt_each {
            w.set_content_methods(vec![
                AesEncoderOptions::new("Leak2026!".into()).into(),
                Lzma2Options::default().into(),
            ]);
        }
        w.push_archive_entry(sevenz_rust2::ArchiveEntry::new_file(name), Some(*data))
            .unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn a_seven_zip_archive_s_key_derivations_are_bounded() {
    // Twelve blocks, each with a salt of its own (a key to derive each): eight are read.
    let files: Vec<(String, String)> = (0..12)
        .map(|i| (format!("{i}.txt"), format!("file {i}\n")))
        .collect();
    let files: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_bytes()))
        .collect();
    let archive = sealed_seven_zip(&files, true);
    let read = text(&archive, "Leak2026!");
    let want: String = (0..8).map(|i| format!("file {i}\n\n\n")).collect();
    assert_eq!(read, want);
}

#[test]
fn an_encrypted_seven_zip_file_larger_than_the_budget_is_read_as_far_as_it_goes() {
    // 3.5 MB of rows: its CRC is never reached within 3 MiB, but a whole LZMA2 chunk is.
    let rows: String = (0..100_000)
        .map(|i| format!("{i:06},{MEMBER_ROW}\n"))
        .collect::<String>()
        .chars()
        .take(3_500_000)
        .collect();
    let archive = sealed_seven_zip(&[("big.csv", rows.as_bytes())], false);
    let read = |passwords: &str| {
        let passwords = Passwords::from_lines(passwords);
        crate::archive::unpack_archive_text(&archive, &mut Unpack::new(3 << 20, &passwords))
    };
    let (text, exhausted) = read("wrong\nLeak2026!");
    assert!(exhausted && text.len() > 3_000_000, "{}", text.len());
    assert!(text.starts_with(&format!("000000,{MEMBER_ROW}\n")));
    assert_eq!(read("wrong\nLeak2026").0, "");
}

#[test]
fn cut_and_corrupted_seven_zip_archives_give_nothing_wrong_and_never_panic() {
    for &(tool, archive) in SEVEN_ZIP {
        for cut in (0..archive.len()).step_by(11) {
            let read = text(&archive[..cut], "Leak2026!");
            assert!(
                read.is_empty() || read.contains(MEMBER_ROW),
                "{tool} cut {cut}: {read}"
            );
        }
        for flip in (32..archive.len()).step_by(23) {
            let mut bad = archive.to_vec();
            bad[flip] ^= 0x41;
            let read = text(&bad, "Leak2026!");
            // A flipped byte of the data is caught by the CRC (the block gives nothing); one
            // of the header (a name, a time) may leave the file readable.
            assert!(
                read.is_empty() || read.contains(MEMBER_ROW),
                "{tool} {flip}: {read}"
            );
        }
    }
}

#[test]
fn passwords_labelled_in_text() {
    let cases: &[(&str, &[&str])] = &[
        ("パスワード：Kx7#mq2Z", &["Kx7#mq2Z"]),
        ("パスワード: Kx7#mq2Z です。", &["Kx7#mq2Z"]),
        ("解凍パスワードは「ab cd」です。", &["ab cd"]),
        ("パスワード（半角英数）：x9Yz", &["x9Yz"]),
        ("【パスワード】\n\n  s3cret  \n", &["s3cret"]),
        ("パスワード:\nhunter2\n", &["hunter2"]),
        ("Password: Leak2026!", &["Leak2026!"]),
        ("PASS = infected", &["infected"]),
        ("zip pw: 1234, thanks", &["1234"]),
        ("the password is \"open sesame\"", &["open sesame"]),
        ("ＰＷ：ＡＢＣ１２３", &["ＡＢＣ１２３", "ABC123"]),
        ("ﾊﾟｽﾜｰﾄﾞ：qwerty", &["qwerty"]),
        // Not labels: inside words, or no separator.
        ("passport: TK1234567", &[]),
        ("compass: north", &[]),
        ("パスワードを忘れた方はこちら", &[]),
        ("reset your password here", &[]),
        ("", &[]),
    ];
    for &(text, want) in cases {
        let got: Vec<String> = passwords_in(text)
            .into_iter()
            .map(|p| String::from_utf8(p.0).unwrap())
            .collect();
        assert_eq!(got, want, "{text:?}");
    }
    let long = format!("password: {}", "x".repeat(MAX_PASSWORD_CHARS + 1));
    assert!(passwords_in(&long).is_empty());
    let many: String = (0..100).map(|i| format!("pw: p{i}\n")).collect();
    assert_eq!(passwords_in(&many).len(), MAX_FOUND);
}

#[test]
fn passwords_never_show_in_debug() {
    let p = Passwords::from_lines("Kx7#mq2Z\nKx7#mq2Z\n\nLeak2026!\r\n");
    assert_eq!(p.len(), 2);
    assert_eq!(format!("{p:?}"), "Passwords(2)");
    assert_eq!(format!("{:?}", p.0[0]), "Password(..)");
    assert_eq!(p.0[1].0, b"Leak2026!");
}
