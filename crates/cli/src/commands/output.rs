//! Readable tables for people, JSON for scripts.
