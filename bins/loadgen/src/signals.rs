//! Ctrl-C and SIGTERM: the first stops the run gracefully (exports are still written), the second
//! exits at once.

use servebench_loadgen_core::CancelHandle;

/// Watches for interrupts on the current runtime.
pub(crate) fn watch(cancel: CancelHandle) {
    tokio::spawn(async move {
        let mut interrupts = 0;
        loop {
            wait_for_signal().await;
            interrupts += 1;
            if interrupts == 1 {
                eprintln!(
                    "\nloadgen: interrupted: no new requests; waiting briefly for those in flight, \
                     then writing the exports (interrupt again to exit at once)"
                );
                cancel.cancel();
            } else {
                eprintln!("loadgen: interrupted twice: exiting without writing the summary");
                std::process::exit(130);
            }
        }
    });
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
