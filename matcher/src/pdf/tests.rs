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
