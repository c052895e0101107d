//! A JetStream stream name of its own for each test, with its streams deleted after.

use crate::ports::unique_name;

/// Connects to every server of a `NATS_URL` value (comma-separated for a cluster).
pub async fn connect(nats_url: &str) -> Result<async_nats::Client, async_nats::ConnectError> {
    let servers: Vec<async_nats::ServerAddr> = nats_url
        .split(',')
        .filter_map(|u| u.trim().parse().ok())
        .collect();
    async_nats::connect(servers).await
}

/// A unique `NATS_STREAM` value for one test. When dropped, the stream and its dead-letter
/// stream (`<name>_DLQ`) are deleted from the server at `nats_url`.
pub struct TestStream {
    name: String,
    nats_url: String,
}

impl TestStream {
    /// A new unique stream name on the server at `nats_url` (nothing is created yet: the code
    /// under test creates its streams).
    pub fn new(nats_url: &str) -> TestStream {
        TestStream {
            name: unique_name("T"),
            nats_url: nats_url.to_string(),
        }
    }

    /// A new unique stream name on the machine's shared NATS server.
    pub fn shared() -> TestStream {
        TestStream::new(&crate::shared_nats_url())
    }

    /// The stream name (`NATS_STREAM`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The ingest subject of `entity`: `<stream lowercased>.ingest.<entity>`.
    pub fn ingest_subject(&self, entity: &str) -> String {
        format!("{}.ingest.{entity}", self.name.to_lowercase())
    }

    /// The dead-letter stream's name.
    pub fn dlq_name(&self) -> String {
        format!("{}_DLQ", self.name)
    }

    /// Messages currently held by the stream `name` (0 when it does not exist).
    pub async fn message_count(&self, name: &str) -> u64 {
        let Ok(client) = connect(&self.nats_url).await else {
            return 0;
        };
        let js = async_nats::jetstream::new(client);
        match js.get_stream(name).await {
            Ok(mut stream) => stream.info().await.map(|i| i.state.messages).unwrap_or(0),
            Err(_) => 0,
        }
    }
}

impl Drop for TestStream {
    fn drop(&mut self) {
        let url = self.nats_url.clone();
        let names = [self.name.clone(), self.dlq_name()];
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let client = tokio::time::timeout(std::time::Duration::from_secs(5), connect(&url))
                    .await
                    .ok()?
                    .ok()?;
                let js = async_nats::jetstream::new(client);
                for name in names {
                    let _ = js.delete_stream(&name).await;
                }
                Some(())
            })
        })
        .join();
    }
}
