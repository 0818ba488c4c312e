//! The PostgreSQL store over TLS, against a server of its own: `scripts/postgres.sh` with
//! `LEAKWATCH_POSTGRES_TLS=1` makes a throwaway CA and a certificate for 127.0.0.1, and the
//! server accepts TLS connections only, so a store that works there spoke TLS. Skipped without
//! `LEAKWATCH_POSTGRES` (no PostgreSQL here; `scripts/test.sh` installs and starts one).

use std::path::{Path, PathBuf};
use std::process::Command;

use alerts::{AlertStore, PostgresStore, Secret};

/// A TLS-only PostgreSQL server, stopped and deleted on drop.
struct Server {
    state: tempfile::TempDir,
    url: String,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/postgres.sh")
}

impl Server {
    fn start() -> Option<Server> {
        std::env::var("LEAKWATCH_POSTGRES")
            .ok()
            .filter(|u| !u.is_empty())?;
        let state = tempfile::tempdir().unwrap();
        let out = Command::new("bash")
            .arg(script())
            .arg("start")
            .env("LEAKWATCH_POSTGRES_STATE", state.path())
            .env("LEAKWATCH_POSTGRES_TLS", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "postgres.sh start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let url = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        Some(Server { state, url })
    }

    fn ca(&self) -> PathBuf {
        self.state.path().join("tls/ca.pem")
    }

    fn connect(&self, query: &str, ca: Option<&Path>) -> Result<PostgresStore, alerts::Error> {
        PostgresStore::connect(
            &Secret::new(format!("{}{query}", self.url)),
            "lw_tls",
            1,
            ca,
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .arg("stop")
            .env("LEAKWATCH_POSTGRES_STATE", self.state.path())
            .output();
    }
}

#[test]
fn connections_use_tls_and_verify_the_server() {
    let Some(server) = Server::start() else {
        eprintln!("skipped: LEAKWATCH_POSTGRES is not set (scripts/test.sh starts a server)");
        return;
    };
    let ca = server.ca();

    // With the CA that signed the server's certificate: `require`, and the default (`prefer`).
    for query in ["?sslmode=require", ""] {
        let store = server
            .connect(query, Some(&ca))
            .unwrap_or_else(|e| panic!("{query:?}: {e}"));
        store.stats(None).unwrap();
    }

    // Without it the certificate does not verify (the Mozilla roots do not hold this CA): a
    // configuration error that says what to set, never an unverified connection.
    let e = server.connect("?sslmode=require", None).err().unwrap();
    let msg = e.to_string();
    assert_eq!(e.kind(), wire::ErrorKind::BadInput, "{msg}");
    assert!(msg.contains("store.tls_ca_file"), "{msg}");
    assert!(msg.contains("certificate"), "{msg}");

    // Without TLS this server lets nobody in.
    let e = server.connect("?sslmode=disable", Some(&ca)).err().unwrap();
    assert!(e.to_string().contains("no encryption"), "{e}");

    // A CA file that is not one is refused by name.
    let bogus = server.state.path().join("not-a-ca.pem");
    std::fs::write(&bogus, "hello\n").unwrap();
    let e = server.connect("", Some(&bogus)).err().unwrap();
    assert!(e.to_string().contains("store.tls_ca_file"), "{e}");
    assert!(e.to_string().contains("not-a-ca.pem"), "{e}");
}
