//! Fetches paste sites and onion services into a stream of pages.
//!
//! This crate is filled in by the crawler issue; for now it only reserves the name.
#![deny(missing_docs)]
