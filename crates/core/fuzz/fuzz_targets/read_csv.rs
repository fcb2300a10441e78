//! Any bytes given to the CSV reader must give a file or a file error; every readable file
//! must plan and write its results without panicking.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sxadmin_core::csv::plan::{build_plan, PortalSnapshot};
use sxadmin_core::csv::results::{write_results, ResultRow};
use sxadmin_core::csv::{read, ReadOptions};
use sxadmin_core::{BatchOutcome, LicencePool};

fuzz_target!(|bytes: &[u8]| {
    let options = ReadOptions {
        max_bytes: 1 << 20,
        max_rows: 1_000,
    };
    let Ok(parsed) = read(bytes, &options) else {
        return;
    };
    let portal = PortalSnapshot {
        users: Vec::new(),
        approved_domains: vec!["example.com".to_owned()],
        pool: LicencePool { tiers: Vec::new() },
    };
    let plan = build_plan(&parsed, &portal);
    let results = plan.rows.iter().map(|row| ResultRow {
        line: row.line,
        email: row.email.clone(),
        outcome: BatchOutcome::Error,
        message: row.issues.iter().map(ToString::to_string).collect(),
    });
    let _ = write_results(results, &mut std::io::sink());
});
