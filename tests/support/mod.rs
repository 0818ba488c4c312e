//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod http;
pub mod paste;
pub mod pipeline;
pub mod webdriver;
