//! Failed-login counters: fixed windows under digests, shared by every instance.

use tocsin_store::{AnyStore, FailureWindow, LimitStore};

const A: [u8; 32] = [0xa0; 32];
const B: [u8; 32] = [0x0b; 32];
const C: [u8; 32] = [0xc7; 32];

fn window(key: [u8; 32], started_ms: i64, failures: u32) -> FailureWindow {
    FailureWindow {
        key,
        started_ms,
        ends_ms: started_ms + 100,
        failures,
    }
}

/// The windows of `keys` at `now_ms`, by key.
async fn read(s: &AnyStore, keys: &[[u8; 32]], now_ms: i64) -> Vec<FailureWindow> {
    let mut w = s.login_failures(keys, now_ms).await.unwrap();
    w.sort_by_key(|w| w.key);
    w
}

pub async fn login_failures_count_in_fixed_windows(s: &AnyStore) {
    assert!(read(s, &[A, B], 0).await.is_empty());
    assert!(read(s, &[], 0).await.is_empty());
    s.count_login_failure(&[A, B], 10, 100).await.unwrap();
    s.count_login_failure(&[A], 50, 100).await.unwrap();
    // A key named twice in one attempt counts once.
    s.count_login_failure(&[A, A], 109, 100).await.unwrap();
    assert_eq!(
        read(s, &[A, B, C], 109).await,
        [window(B, 10, 1), window(A, 10, 3)],
        "counted in the window the first failure opened"
    );
    assert_eq!(read(s, &[B], 109).await, [window(B, 10, 1)]);
    // At its end a window no longer counts, and the next failure opens a new one.
    assert!(read(s, &[A, B], 110).await.is_empty());
    s.count_login_failure(&[A], 110, 100).await.unwrap();
    assert_eq!(read(s, &[A, B], 110).await, [window(A, 110, 1)]);
}

pub async fn login_failures_are_cleared_and_purged(s: &AnyStore) {
    s.count_login_failure(&[A, B, C], 0, 100).await.unwrap();
    s.count_login_failure(&[C], 150, 100).await.unwrap();
    s.clear_login_failures(&[A]).await.unwrap();
    s.clear_login_failures(&[]).await.unwrap();
    assert_eq!(read(s, &[A, B], 1).await, [window(B, 0, 1)]);
    // Only windows that have ended are purged.
    assert_eq!(s.purge_login_failures(99).await.unwrap(), 0);
    assert_eq!(s.purge_login_failures(100).await.unwrap(), 1);
    assert_eq!(read(s, &[C], 160).await, [window(C, 150, 1)]);
    assert_eq!(s.purge_login_failures(100).await.unwrap(), 0);
    assert_eq!(s.purge_login_failures(1_000).await.unwrap(), 1);
    assert!(read(s, &[A, B, C], 160).await.is_empty());
}

pub async fn concurrent_login_failures_all_count(s: &AnyStore) {
    // Attempts racing on several connections, as several instances would, in both orders.
    let attempts = |keys: [[u8; 32]; 2]| async move {
        for i in 0..10 {
            s.count_login_failure(&keys, i, 1_000).await.unwrap();
        }
    };
    tokio::join!(
        attempts([A, B]),
        attempts([B, A]),
        attempts([A, C]),
        attempts([C, B]),
    );
    let got: Vec<(u8, u32)> = read(s, &[A, B, C], 20)
        .await
        .iter()
        .map(|w| (w.key[0], w.failures))
        .collect();
    assert_eq!(got, [(0x0b, 30), (0xa0, 30), (0xc7, 20)]);
}
