//! Reading and checking a 100,000-user file, against a bare `csv` crate read of the same
//! bytes (the floor any CSV import pays): once as raw byte records, once as UTF-8 text
//! records. Results are recorded in BENCHMARKS.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sxadmin_core::csv::{read, ReadOptions};

const ROWS: usize = 100_000;

/// A realistic export: Excel-style CRLF, a quoted name with a comma now and then, French
/// and English values, some empty cells, one domain in ten typed with capitals, every
/// address unique and valid.
fn sample_file() -> Vec<u8> {
    let first_names = [
        "Jean",
        "Marie",
        "Zoé",
        "Ahmed",
        "Li",
        "François",
        "Anne-Sophie",
    ];
    let last_names = [
        "Dupont",
        "Tremblay",
        "Gagnon",
        "\"Roy, Jr\"",
        "Côté",
        "Nguyen",
    ];
    let roles = ["user", "", "Administrateur", "utilisateur", "user"];
    let languages = ["fr", "en", "Français", "", "EN"];
    let licences = ["pro", "eco", "", "advanced", "Avancé", ""];
    let mut file = String::from("email,first_name,last_name,role,language,licence\r\n");
    for i in 0..ROWS {
        let first = first_names[i % first_names.len()];
        let last = last_names[i % last_names.len()];
        file.push_str(&format!(
            "{}.user{i}@{}{}.example.com,{first},{last},{},{},{}\r\n",
            first.to_lowercase().replace(['é', 'ç'], "e"),
            if i % 10 == 0 { "Company" } else { "company" },
            i % 7,
            roles[i % roles.len()],
            languages[i % languages.len()],
            licences[i % licences.len()],
        ));
    }
    file.into_bytes()
}

fn bare_csv_read(bytes: &[u8]) -> usize {
    let mut reader = ::csv::ReaderBuilder::new().from_reader(bytes);
    let mut record = ::csv::ByteRecord::new();
    let mut fields = 0;
    while reader.read_byte_record(&mut record).unwrap_or(false) {
        fields += record.len();
    }
    fields
}

/// The same read, but with fields checked as UTF-8 text, which `read` also guarantees.
fn bare_csv_read_as_text(bytes: &[u8]) -> usize {
    let mut reader = ::csv::ReaderBuilder::new().from_reader(bytes);
    let mut record = ::csv::StringRecord::new();
    let mut fields = 0;
    while reader.read_record(&mut record).unwrap_or(false) {
        fields += record.len();
    }
    fields
}

fn bench(c: &mut Criterion) {
    let bytes = sample_file();
    let options = ReadOptions::default();
    let parsed = match read(&bytes, &options) {
        Ok(parsed) => parsed,
        Err(error) => panic!("the sample file should be valid: {error}"),
    };
    assert_eq!(parsed.rows.len(), ROWS);
    assert_eq!(parsed.issues().count(), 0);

    let mut group = c.benchmark_group("csv_import_100k_rows");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("bare_csv_crate_read", |b| {
        b.iter(|| bare_csv_read(black_box(&bytes)))
    });
    group.bench_function("bare_csv_crate_read_as_text", |b| {
        b.iter(|| bare_csv_read_as_text(black_box(&bytes)))
    });
    group.bench_function("read_and_validate", |b| {
        b.iter(|| read(black_box(&bytes), &options).map(|file| file.rows.len()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
