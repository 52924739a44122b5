//! Integration tests for kiln's web layer, one module per feature.

mod app;
mod catchers;
mod resource;
mod responses;
mod routing;
mod server;
