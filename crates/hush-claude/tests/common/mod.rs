//! What the proxy's end-to-end tests share: a redactor with a fresh
//! in-memory vault, and the mock upstream and the proxy served on free
//! loopback ports.

#![allow(dead_code)] // each test binary uses part of it

use std::sync::Arc;

use hush::{Key, Policy, Redactor, Scanner, Vault};
use hush_claude::mock::MockState;

/// A redactor with the built-in rules and a fresh in-memory vault.
pub fn redactor() -> Redactor {
    Redactor::new(
        Arc::new(Scanner::new().unwrap()),
        Arc::new(
            Vault::in_memory(Key::generate().unwrap(), Policy::default())
                .unwrap(),
        ),
    )
}

/// Serves the mock upstream on a free loopback port.
pub async fn spawn_mock() -> (String, Arc<MockState>) {
    let ml = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", ml.local_addr().unwrap());
    let (router, mock) = hush_claude::mock::router(&url);
    tokio::spawn(async move { axum::serve(ml, router).await });
    (url, mock)
}

/// Serves the proxy on a free loopback port; its base URL.
pub async fn serve_proxy(p: hush_claude::proxy::Proxy) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(p.serve(l));
    url
}
