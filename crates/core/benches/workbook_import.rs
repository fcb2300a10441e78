//! Reading and checking a 100,000-user Excel workbook, next to the same rows as CSV: the
//! whole import read (`workbook::read_any`, which the workflow calls for either), and
//! calamine's bare read of the sheet (unzipping and parsing the XML, the floor any .xlsx
//! import pays). Results are recorded in BENCHMARKS.md.

use std::hint::black_box;
use std::io::Cursor;
use std::time::Duration;

use calamine::Reader;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sxadmin_core::csv::ReadOptions;
use sxadmin_core::workbook::read_any;

const ROWS: usize = 100_000;

/// The rows of the CSV benchmark's sample: French and English values, some empty cells,
/// a name with a comma, one domain in ten typed with capitals, every address unique.
fn sample_rows() -> Vec<[String; 6]> {
    let first_names = [
        "Jean",
        "Marie",
        "Zoé",
        "Ahmed",
        "Li",
        "François",
        "Anne-Sophie",
    ];
    let last_names = ["Dupont", "Tremblay", "Gagnon", "Roy, Jr", "Côté", "Nguyen"];
    let roles = ["user", "", "Administrateur", "utilisateur", "user"];
    let languages = ["fr", "en", "Français", "", "EN"];
    let licences = ["pro", "eco", "", "advanced", "Avancé", ""];
    (0..ROWS)
        .map(|i| {
            let first = first_names[i % first_names.len()];
            [
                format!(
                    "{}.user{i}@{}{}.example.com",
                    first.to_lowercase().replace(['é', 'ç'], "e"),
                    if i % 10 == 0 { "Company" } else { "company" },
                    i % 7
                ),
                first.to_owned(),
                last_names[i % last_names.len()].to_owned(),
                roles[i % roles.len()].to_owned(),
                languages[i % languages.len()].to_owned(),
                licences[i % licences.len()].to_owned(),
            ]
        })
        .collect()
}

const HEADER: [&str; 6] = [
    "email",
    "first_name",
    "last_name",
    "role",
    "language",
    "licence",
];

fn as_xlsx(rows: &[[String; 6]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (col, name) in HEADER.iter().enumerate() {
        sheet
            .write_string(0, col as u16, *name)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    for (index, row) in rows.iter().enumerate() {
        for (col, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                sheet
                    .write_string(index as u32 + 1, col as u16, cell)
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }
    book.save_to_buffer().unwrap_or_else(|e| panic!("{e}"))
}

fn as_csv(rows: &[[String; 6]]) -> Vec<u8> {
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer
        .write_record(HEADER)
        .unwrap_or_else(|e| panic!("{e}"));
    for row in rows {
        writer.write_record(row).unwrap_or_else(|e| panic!("{e}"));
    }
    writer.into_inner().unwrap_or_else(|e| panic!("{e}"))
}

fn bare_calamine_read(bytes: &[u8]) -> usize {
    let mut book =
        calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).unwrap_or_else(|e| panic!("{e}"));
    match book.worksheet_range_at(0) {
        Some(Ok(range)) => range.get_size().0,
        _ => panic!("the sample has a sheet"),
    }
}

fn bench(c: &mut Criterion) {
    let rows = sample_rows();
    let xlsx = as_xlsx(&rows);
    let csv = as_csv(&rows);
    println!(
        "sample: {} rows, .xlsx {:.1} MB, CSV {:.1} MB",
        ROWS,
        xlsx.len() as f64 / 1e6,
        csv.len() as f64 / 1e6
    );
    let options = ReadOptions::default();
    for bytes in [&xlsx, &csv] {
        match read_any(bytes, None, &options) {
            Ok(parsed) => {
                assert_eq!(parsed.rows.len(), ROWS);
                assert_eq!(parsed.issues().count(), 0);
            }
            Err(error) => panic!("the sample should be valid: {error}"),
        }
    }

    let mut group = c.benchmark_group("workbook_import_100k_rows");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("xlsx_bare_calamine_read", |b| {
        b.iter(|| bare_calamine_read(black_box(&xlsx)))
    });
    group.bench_function("xlsx_read_and_validate", |b| {
        b.iter(|| read_any(black_box(&xlsx), None, &options).map(|file| file.rows.len()))
    });
    group.bench_function("csv_read_and_validate", |b| {
        b.iter(|| read_any(black_box(&csv), None, &options).map(|file| file.rows.len()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
