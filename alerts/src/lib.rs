//! Stores, serves and pushes alerts.
//!
//! This crate is filled in by the alerts issue; for now it only reserves the name.
#![deny(missing_docs)]
