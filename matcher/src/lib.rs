//! Finds residents of a fingerprint bundle in arbitrary documents.
//!
//! This crate is filled in by the matcher issue; for now it only reserves the name.
#![deny(missing_docs)]
