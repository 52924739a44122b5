//! Integration tests for kiln's web layer, one module per feature.

mod app;
mod catchers;
mod forms;
mod limits;
mod middleware;
mod openapi;
mod pages;
mod resource;
mod responses;
mod routing;
mod security;
mod server;
mod static_files;
