//! `hush::batch` end to end: field selection and byte preservation in
//! JSONL and CSV, equality with redacting each value alone, output that
//! does not depend on the thread count (collisions included), text trees,
//! bad records under each `OnError`, dry runs and atomic output.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use hush::batch::{Batch, BatchError, BatchOptions, FieldSet, OnError};
use hush::{Key, Policy, Redactor, Scanner, Vault};
use serde_json::Value;

fn redactor(digits: usize) -> Redactor {
    let policy = Policy::default().with_code_digits(digits).unwrap();
    let vault = Vault::in_memory(Key::from_bytes([5; 32]), policy).unwrap();
    Redactor::new(Arc::new(Scanner::new().unwrap()), Arc::new(vault))
        .with_scope("batch")
}

fn opts(threads: usize) -> BatchOptions {
    BatchOptions { threads, ..BatchOptions::default() }
}

/// A chat-like JSONL dataset with many distinct values.
fn dataset(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&format!(
            "{{\"id\": {i}, \"score\": 1.50e0, \"user\": {{\"email\": \"user{i}@mail{}.acmecorp.net\"}}, \
             \"messages\": [{{\"role\": \"user\", \"content\": \"call me at +1 415 555 {:04} or \
             mail u{i}@acme.io, card 4111 1111 1111 1111\"}}], \"note\": \"caf\\u00e9 {i}\"}}\n",
            i % 7,
            i % 10000
        ));
    }
    s
}

fn run(
    red: &Redactor,
    o: BatchOptions,
    input: &Path,
    out: &Path,
) -> hush::batch::BatchReport {
    Batch::new(red, o).run(input, Some(out)).unwrap()
}

#[test]
fn jsonl_fields_are_redacted_alone_and_the_rest_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("chats.jsonl");
    std::fs::write(
        &input,
        dataset(300) + "\n{\"id\": 1000, \"x\": \"nothing here\"}\n",
    )
    .unwrap();
    let red = redactor(6);
    let out = dir.path().join("out.jsonl");
    let mut o = opts(2);
    o.fields = FieldSet::parse(&["messages.content", "user.email"]).unwrap();
    let report = run(&red, o, &input, &out);
    let before = std::fs::read_to_string(&input).unwrap();
    let after = std::fs::read_to_string(&out).unwrap();
    assert_eq!(before.lines().count(), after.lines().count());
    assert_eq!(report.records_in, 302);
    for (a, b) in before.lines().zip(after.lines()) {
        if a.trim().is_empty() || a.contains("nothing here") {
            assert_eq!(a, b, "untouched records are copied byte for byte");
            continue;
        }
        // Numbers, escapes of untouched strings and key order survive.
        assert!(b.contains("\"score\": 1.50e0") && b.contains("caf\\u00e9"));
        let va: Value = serde_json::from_str(a).unwrap();
        let vb: Value = serde_json::from_str(b).unwrap();
        for ptr in ["/user/email", "/messages/0/content"] {
            let orig = va.pointer(ptr).unwrap().as_str().unwrap();
            let got = vb.pointer(ptr).unwrap().as_str().unwrap();
            // Equal to redacting the value alone, in the same scope.
            assert_eq!(got, red.redact(orig).unwrap().text());
        }
        assert_eq!(va["note"], vb["note"]);
        assert_eq!(va["id"], vb["id"]);
    }
    assert_eq!(report.findings["user.email"]["EMAIL"], 300);
    assert_eq!(report.findings["messages.content"]["CREDIT_CARD"], 300);
    assert!(!after.contains("@acme.io"));
}

#[test]
fn output_does_not_depend_on_threads() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("chats.jsonl");
    // 4-digit codes: many collisions, whose codes depend on the order
    // new values are stored in.
    std::fs::write(&input, dataset(6000)).unwrap();
    let mut outputs = Vec::new();
    for threads in [1, 2, 4] {
        let out = dir.path().join(format!("out{threads}.jsonl"));
        run(&redactor(4), opts(threads), &input, &out);
        outputs.push(std::fs::read(&out).unwrap());
    }
    assert!(outputs.windows(2).all(|w| w[0] == w[1]));
    // And equal to redacting each record's strings one by one, in order.
    let red = redactor(4);
    let text = std::fs::read_to_string(&input).unwrap();
    let first = String::from_utf8(outputs[0].clone()).unwrap();
    for (a, b) in text.lines().zip(first.lines()).take(2000) {
        let va: Value = serde_json::from_str(a).unwrap();
        let vb: Value = serde_json::from_str(b).unwrap();
        let e = va["user"]["email"].as_str().unwrap();
        assert_eq!(vb["user"]["email"], red.redact(e).unwrap().text());
        let c = va["messages"][0]["content"].as_str().unwrap();
        assert_eq!(
            vb["messages"][0]["content"],
            red.redact(c).unwrap().text()
        );
    }
}

#[test]
fn csv_columns_quoting_and_bad_rows() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("crm.csv");
    std::fs::write(
        &input,
        "id,name,email,notes\r\n\
         1,\"Roe, Jane\",jane@acme.io,\"said \"\"call 415-555-0100\"\"\"\r\n\
         2,Bob,bob@acme.io,none\r\n\
         3,bad,\"x\"y,z\r\n\
         4,short\r\n\
         5,Ann,ann@acme.io,\"multi\nline ann@acme.io\"\r\n",
    )
    .unwrap();
    let red = redactor(6);
    // Fail: the first bad row stops the run and no output appears.
    let out = dir.path().join("out.csv");
    let err = Batch::new(&red, opts(2)).run(&input, Some(&out)).unwrap_err();
    match err {
        BatchError::Record(r) => assert_eq!(r.record, 4),
        e => panic!("{e}"),
    }
    assert!(!out.exists());
    // Skip: bad rows are left out and listed.
    let mut o = opts(2);
    o.on_error = OnError::Skip;
    o.columns = vec!["email".into(), "notes".into()];
    let report = run(&red, o, &input, &out);
    let got = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = got.split("\r\n").collect();
    assert_eq!(lines[0], "id,name,email,notes");
    assert!(lines[1].starts_with("1,\"Roe, Jane\",[[EMAIL-"));
    assert!(lines[1].contains(",\"said \"\"call [[PHONE-"));
    assert!(
        lines[2].starts_with("2,Bob,[[EMAIL-") && lines[2].ends_with(",none")
    );
    assert!(
        lines[3].starts_with("5,Ann,[[EMAIL-")
            && lines[3].contains("\"multi\nline [[EMAIL-")
    );
    assert_eq!(report.records_skipped, 2);
    assert_eq!(
        report.errors.iter().map(|e| e.record).collect::<Vec<_>>(),
        [4, 5]
    );
    assert!(!got.contains("acme.io"));
    // Keep: bad rows are redacted as plain text.
    let mut o = opts(1);
    o.on_error = OnError::Keep;
    let out2 = dir.path().join("out2.csv");
    let report = run(&red, o, &input, &out2);
    assert_eq!(report.records_kept, 2);
    let got = std::fs::read_to_string(&out2).unwrap();
    assert!(got.contains("4,short\r\n") && !got.contains("acme.io"));
}

#[test]
fn text_trees_are_mirrored() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(input.join("sub/deeper")).unwrap();
    std::fs::write(input.join("a.txt"), "mail jane@acme.io\n\u{ff}").unwrap();
    std::fs::write(input.join("sub/b.md"), "# Notes\nSSN 078-05-1120\n")
        .unwrap();
    std::fs::write(
        input.join("sub/deeper/c.jsonl"),
        "{\"t\": \"10.0.0.1\"}\n",
    )
    .unwrap();
    std::fs::write(input.join("sub/d.png"), [0x89, b'P', b'N', b'G']).unwrap();
    let red = redactor(6);
    let out = dir.path().join("out");
    let report = run(&red, opts(2), &input, &out);
    assert_eq!(report.files, 3);
    assert_eq!(report.files_skipped, ["sub/d.png"]);
    for rel in ["a.txt", "sub/b.md"] {
        let mut want = Vec::new();
        red.redact_bytes(&std::fs::read(input.join(rel)).unwrap(), &mut want)
            .unwrap();
        assert_eq!(std::fs::read(out.join(rel)).unwrap(), want, "{rel}");
    }
    let c = std::fs::read_to_string(out.join("sub/deeper/c.jsonl")).unwrap();
    assert!(c.starts_with("{\"t\": \"[[IP-ADDRESS-"));
    assert!(!out.join("sub/d.png").exists());
    // The output tree must be new.
    assert!(Batch::new(&red, opts(1)).run(&input, Some(&out)).is_err());
}

#[test]
fn dry_runs_write_nothing_and_bad_json_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("x.jsonl");
    std::fs::write(
        &input,
        "{\"a\": \"jane@acme.io\"}\n{not json\n\u{ff}\n{\"b\": 1}\n",
    )
    .unwrap();
    let red = redactor(6);
    let mut o = opts(2);
    o.dry_run = true;
    o.on_error = OnError::Skip;
    let out = dir.path().join("out.jsonl");
    let report = Batch::new(&red, o).run(&input, Some(&out)).unwrap();
    assert!(!out.exists());
    assert_eq!(report.findings["a"]["EMAIL"], 1);
    assert_eq!(
        report.errors.iter().map(|e| e.record).collect::<Vec<_>>(),
        [2, 3]
    );
    assert!(report.errors.iter().all(|e| !e.message.contains("not json")));
    let err = Batch::new(&red, opts(1)).run(&input, Some(&out)).unwrap_err();
    assert!(err.to_string().contains("x.jsonl: record 2: malformed JSON"));
    assert!(!out.exists());
}

#[test]
fn parquet_string_columns() {
    use arrow_array::{
        Array, Int64Array, LargeStringArray, RecordBatch, StringArray,
    };
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::arrow::ArrowWriter;
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("crm.parquet");
    let n = 5000;
    let ids = Int64Array::from((0..n as i64).collect::<Vec<_>>());
    let emails = StringArray::from(
        (0..n)
            .map(|i| format!("user{i}@corp{}.net", i % 13))
            .collect::<Vec<_>>(),
    );
    let notes = LargeStringArray::from(
        (0..n)
            .map(|i| {
                (i % 3 != 0)
                    .then(|| format!("call +1 415 555 {:04} now", i % 10000))
            })
            .collect::<Vec<_>>(),
    );
    let batch = RecordBatch::try_from_iter([
        ("id", Arc::new(ids) as Arc<dyn Array>),
        ("email", Arc::new(emails) as Arc<dyn Array>),
        ("note", Arc::new(notes) as Arc<dyn Array>),
    ])
    .unwrap();
    let mut w = ArrowWriter::try_new(
        File::create(&input).unwrap(),
        batch.schema(),
        None,
    )
    .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();

    let read = |p: &Path| -> Vec<RecordBatch> {
        ParquetRecordBatchReaderBuilder::try_new(File::open(p).unwrap())
            .unwrap()
            .build()
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let mut outs = Vec::new();
    for threads in [1, 2] {
        let out = dir.path().join(format!("out{threads}.parquet"));
        let report = run(&redactor(4), opts(threads), &input, &out);
        assert_eq!(report.records_in, n as u64);
        assert_eq!(report.findings["email"]["EMAIL"], n as u64);
        outs.push(read(&out));
    }
    assert_eq!(outs[0], outs[1], "thread count changed the output");
    let red = redactor(4);
    let got = &outs[0];
    let total: usize = got.iter().map(|b| b.num_rows()).sum();
    assert_eq!(total, n);
    let b = &got[0];
    let rows = b.num_rows();
    assert_eq!(
        b.column(0).as_ref(),
        batch.column(0).slice(0, rows).as_ref(),
        "ids unchanged"
    );
    let emails = b.column(1).as_any().downcast_ref::<StringArray>().unwrap();
    let notes =
        b.column(2).as_any().downcast_ref::<LargeStringArray>().unwrap();
    for i in 0..b.num_rows() {
        assert_eq!(
            emails.value(i),
            red.redact(&format!("user{i}@corp{}.net", i % 13)).unwrap().text()
        );
        assert_eq!(notes.is_null(i), i % 3 == 0);
        if !notes.is_null(i) {
            assert!(notes.value(i).starts_with("call [[PHONE-"));
        }
    }
    // Only the named column.
    let mut o = opts(2);
    o.columns = vec!["note".into()];
    let out = dir.path().join("notes-only.parquet");
    run(&redactor(4), o, &input, &out);
    let only = read(&out);
    let rows = only[0].num_rows();
    assert_eq!(
        only[0].column(1).as_ref(),
        batch.column(1).slice(0, rows).as_ref()
    );
}
