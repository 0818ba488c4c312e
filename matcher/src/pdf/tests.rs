use super::*;

/// A page LibreOffice 7.4 wrote (`writer_web_pdf_Export`, from an HTML page).
const MEMBERS: &[u8] = include_bytes!("../../tests/data/members.pdf");

fn text_of(file: &[u8]) -> String {
    let mut out = String::new();
    read_pdf(file, &mut usize::MAX.clone(), &mut out);
    out
}

#[test]
fn print_members() {
    println!("{}", text_of(MEMBERS));
}

#[test]
fn dump_runs() {
    let mut objects = Objects::read(MEMBERS);
    let mut budget = usize::MAX;
    objects.unpack(&mut budget);
    let mut reader = PageReader { objects: &objects, fonts: HashMap::new(), budget: &mut budget };
    let (page, res) = objects.pages()[1];
    let content = reader.contents(page);
    
    let mut i = Interpreter::new(&mut reader, usize::MAX);
    i.run(&content, res);
    for r in i.runs.iter().take(40) { println!("{:?}", r); }
}

#[test]
fn write_generated() {
    let lines = ["会員名簿（取扱注意）", "氏名\tフリガナ\t生年月日\t住所\t電話番号", "山口 大介\tヤマグチ ダイスケ\t1968年9月18日\t兵庫県尼崎市東七松町1丁目23番4号\t090-6682-8625", "前田 花子\tマエダ ハナコ\tS45.1.2\t尼崎市南塚口町2-5-10\t06-1234-5678", "以上。住所変更の届出は次のとおり。変更届：佐藤 健（サトウ ケン）様、生年月日1970年1月2日、新住所尼崎市塚口本町3丁目4番5号、連絡先06-1111-2222。変更届：田中 一郎（タナカ イチロウ）様、生年月日昭和50年3月4日、新住所兵庫県尼崎市昭和通2-3-4、連絡先090-1234-5678。"];
    for packed in [false, true] {
        let f = fingerprints::leaks::pdf_file(&lines, packed);
        std::fs::write(format!("/tmp/gen-{packed}.pdf"), &f).unwrap();
        println!("{}", text_of(&f));
    }
}
