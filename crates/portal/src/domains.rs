//! Domain ownership checks by DNS TXT record.
//!
//! The server never resolves DNS itself: it is given a resolver, so tests and the demo can
//! decide what the "DNS" says while a deployment plugs in a real one.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

/// Where the administrator publishes the TXT record for `domain`.
pub fn txt_record_name(domain: &str) -> String {
    format!("_secure-exchanges.{domain}")
}

/// The TXT record's value for a verification token.
pub fn txt_record_value(token: &str) -> String {
    format!("sx-domain-verification={token}")
}

#[async_trait]
pub trait TxtResolver: Send + Sync + std::fmt::Debug {
    /// The TXT strings published at `name`; empty when there are none.
    async fn txt_records(&self, name: &str) -> Result<Vec<String>, String>;
}

/// Answers every query with the record being looked for: the demo approves any domain.
#[derive(Debug, Default)]
pub struct ApproveEverything;

/// A fixed set of records, changed at run time; what tests and a local portal use.
#[derive(Debug, Default)]
pub struct StaticTxtRecords {
    records: Mutex<HashMap<String, Vec<String>>>,
}

impl StaticTxtRecords {
    pub fn publish(&self, name: &str, value: &str) {
        if let Ok(mut records) = self.records.lock() {
            records
                .entry(name.to_ascii_lowercase())
                .or_default()
                .push(value.to_owned());
        }
    }
}

#[async_trait]
impl TxtResolver for StaticTxtRecords {
    async fn txt_records(&self, name: &str) -> Result<Vec<String>, String> {
        let records = self
            .records
            .lock()
            .map_err(|_| "the record table is unavailable".to_owned())?;
        Ok(records
            .get(&name.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default())
    }
}

/// Marker the verify route recognises: with [`ApproveEverything`] every check passes.
pub const APPROVE_EVERYTHING: &str = "*";

#[async_trait]
impl TxtResolver for ApproveEverything {
    async fn txt_records(&self, _name: &str) -> Result<Vec<String>, String> {
        Ok(vec![APPROVE_EVERYTHING.to_owned()])
    }
}
