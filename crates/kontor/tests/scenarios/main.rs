//! Kontor's scenarios, tried from outside: a real server on loopback over a real database
//! (SQLite, or PostgreSQL with `KONTOR_TEST_DATABASE=postgres`), real WebSockets, the real
//! client core and the real `kontor` binary. One test binary, so the suite links once; one
//! module per area, each starting its own servers.

mod common;

mod abuse_and_bad_input;
mod admin_actions;
mod cli_as_a_person_types_it;
mod cli_chat_as_a_person_types_it;
mod csv_import_from_a_german_office;
mod directory_and_teams;
mod durability_and_canary;
mod e2ee_conversations;
mod e2ee_security;
mod event_stream;
mod first_start_branding_and_app;
mod organisation_setup;
mod store_conformance;
mod tenant_isolation;
