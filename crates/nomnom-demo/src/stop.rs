//! Ctrl-C and its kin: the signals that end the demo, caught so that it stops the services it
//! started before it exits.

use tokio::signal::unix::{signal, Signal, SignalKind};

/// The signals that ask the demo to stop: SIGINT (Ctrl-C), SIGTERM and SIGHUP (the terminal
/// closed). Installed before any service starts, so none of them kills the driver outright.
pub struct StopSignals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
}

impl StopSignals {
    /// Installs the handlers.
    pub fn install() -> Result<StopSignals, String> {
        let listen = |kind: SignalKind, name: &str| {
            signal(kind).map_err(|e| format!("listening for {name}: {e}"))
        };
        Ok(StopSignals {
            interrupt: listen(SignalKind::interrupt(), "SIGINT")?,
            terminate: listen(SignalKind::terminate(), "SIGTERM")?,
            hangup: listen(SignalKind::hangup(), "SIGHUP")?,
        })
    }

    /// Waits for the next stop signal.
    pub async fn wait(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
            _ = self.hangup.recv() => {}
        }
    }
}
