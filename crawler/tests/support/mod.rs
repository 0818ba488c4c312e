//! A loopback test site (axum on 127.0.0.1:0) with a Pastebin-shaped API, an HTML paste listing,
//! and hostile endpoints. It logs every request with its start time and tracks in-flight requests.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{Response, StatusCode, Uri, header};
use bytes::Bytes;
use http_body::Frame;

/// Shift_JIS page: "個人情報" in a <title>, links in SJIS, charset only in <meta>.
pub fn sjis_html() -> Vec<u8> {
    let text = "<html><head><meta charset=\"Shift_JIS\"><title>個人情報</title></head>\
                <body><p>山田太郎 兵庫県尼崎市</p></body></html>";
    encoding_rs::SHIFT_JIS.encode(text).0.into_owned()
}

pub fn gzip_bomb() -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..10 {
        enc.write_all(&zeros).unwrap();
    }
    enc.finish().unwrap()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[derive(Default)]
pub struct Server {
    /// (path with query, start time) of every request.
    pub log: Mutex<Vec<(String, Instant)>>,
    in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    hits: Mutex<HashMap<String, usize>>,
    /// Per-path overrides of the body of `/site/*` pages (to change content between runs).
    pub pages: Mutex<HashMap<String, String>>,
    /// Delay of every `/site/*` response.
    pub site_delay_ms: AtomicUsize,
}

impl Server {
    pub fn requests(&self, path: &str) -> Vec<Instant> {
        let log = self.log.lock().unwrap();
        log.iter()
            .filter(|(p, _)| p == path)
            .map(|(_, t)| *t)
            .collect()
    }

    pub fn all_starts(&self) -> Vec<Instant> {
        self.log.lock().unwrap().iter().map(|(_, t)| *t).collect()
    }

    fn hit(&self, path: &str) -> usize {
        let mut hits = self.hits.lock().unwrap();
        let n = hits.entry(path.to_owned()).or_default();
        *n += 1;
        *n
    }
}

pub struct Site {
    pub addr: SocketAddr,
    pub state: Arc<Server>,
}

impl Site {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

pub async fn start() -> Site {
    let state = Arc::new(Server::default());
    let app = axum::Router::new()
        .fallback(route)
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Site { addr, state }
}

struct InFlight(Arc<Server>);
impl InFlight {
    fn new(s: &Arc<Server>) -> InFlight {
        let now = s.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        s.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(s.clone())
    }
}
impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A body that sends one byte every `every`, `n` times.
struct Slow {
    n: usize,
    every: Duration,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl http_body::Body for Slow {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.n == 0 {
            return Poll::Ready(None);
        }
        match self.sleep.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => {
                self.n -= 1;
                let next = tokio::time::Instant::now() + self.every;
                self.sleep.as_mut().reset(next);
                Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"x")))))
            }
        }
    }
}

fn resp(status: StatusCode, content_type: &str, body: impl Into<Body>) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .unwrap()
}

fn redirect(to: &str) -> Response<Body> {
    Response::builder()
        .status(StatusCode::FOUND)
        .header(header::LOCATION, to)
        .body(Body::empty())
        .unwrap()
}

async fn route(State(s): State<Arc<Server>>, uri: Uri) -> Response<Body> {
    let path_q = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    s.log.lock().unwrap().push((path_q.clone(), Instant::now()));
    let _in_flight = InFlight::new(&s);
    let path = uri.path();
    let query = uri.query().unwrap_or("");
    let text = "text/plain; charset=utf-8";
    let html = "text/html";
    match path {
        // --- Pastebin-shaped scraping API ---
        "/api_scraping.php" => {
            let item = |key: &str, date: u64| {
                format!(
                    r#"{{"scrape_url":"/api_scrape_item.php?i={key}","full_url":"/{key}","date":"{date}","key":"{key}","size":"10","expire":"0","title":"","syntax":"text","user":""}}"#
                )
            };
            let body = format!(
                "[{},{},{}]",
                item("k3", 1_700_000_300),
                item("k1", 1_700_000_100),
                item("k2", 1_700_000_200)
            );
            resp(StatusCode::OK, "application/json", body)
        }
        "/api_scrape_item.php" => {
            let key = query.strip_prefix("i=").unwrap_or("");
            match key {
                "k1" | "k2" => resp(StatusCode::OK, text, format!("raw paste {key}\n")),
                "k3" => resp(
                    StatusCode::OK,
                    "text/plain; charset=Shift_JIS",
                    encoding_rs::SHIFT_JIS
                        .encode("住所 兵庫県尼崎市")
                        .0
                        .into_owned(),
                ),
                _ => resp(StatusCode::NOT_FOUND, text, "no such paste"),
            }
        }
        // --- HTML paste listing with pagination ---
        "/list" => {
            let page: u32 = query
                .strip_prefix("page=")
                .and_then(|p| p.parse().ok())
                .unwrap_or(1);
            let items: String = (1..=2)
                .map(|i| {
                    let n = (page - 1) * 2 + i;
                    format!("<li><a class=\"item\" href=\"/p/{n}\">paste {n}</a></li>")
                })
                .collect();
            let body = format!(
                "<html><body><ul class=\"pastes\">{items}</ul>\
                 <a class=\"next\" href=\"/list?page={}\">next</a></body></html>",
                page + 1
            );
            resp(StatusCode::OK, html, body)
        }
        p if p.starts_with("/p/") => {
            let n = &p[3..];
            resp(
                StatusCode::OK,
                html,
                format!(
                    "<html><body><h1>paste {n}</h1><a class=\"raw\" href=\"/raw/{n}\">raw</a></body></html>"
                ),
            )
        }
        p if p.starts_with("/raw/") => resp(
            StatusCode::OK,
            text,
            format!("raw listing paste {}\n", &p[5..]),
        ),
        // --- hostile site ---
        "/hostile/" => resp(
            StatusCode::OK,
            html,
            r#"<a href="/hostile/429">a</a><a href="/hostile/500">b</a><a href="/hostile/slow">c</a>
               <a href="/hostile/big">d</a><a href="/hostile/bomb">e</a><a href="/hostile/loop">f</a>
               <a href="/hostile/hop/0">g</a><a href="/hostile/offhost">h</a><a href="/hostile/binary">i</a>
               <a href="/hostile/nul">j</a><a href="/hostile/sjis">k</a><a href="/hostile/missing">l</a>
               <a href="/hostile/gzipped">m</a><a href="/hostile/brotli">n</a>
               <a href="/hostile/download">o</a><a href="/hostile/blob">p</a>"#,
        ),
        "/hostile/429" => {
            if s.hit(path) == 1 {
                Response::builder()
                    .status(StatusCode::TOO_MANY_REQUESTS)
                    .header(header::RETRY_AFTER, "1")
                    .body(Body::from("slow down"))
                    .unwrap()
            } else {
                resp(StatusCode::OK, text, "finally")
            }
        }
        "/hostile/500" => resp(StatusCode::INTERNAL_SERVER_ERROR, text, "oops"),
        "/hostile/slow" => Response::builder()
            .header(header::CONTENT_TYPE, text)
            .body(Body::new(Slow {
                n: 100,
                every: Duration::from_millis(50),
                sleep: Box::pin(tokio::time::sleep(Duration::ZERO)),
            }))
            .unwrap(),
        "/hostile/big" => resp(StatusCode::OK, text, "A".repeat(64 * 1024)),
        "/hostile/bomb" => Response::builder()
            .header(header::CONTENT_TYPE, text)
            .header(header::CONTENT_ENCODING, "gzip")
            .body(Body::from(gzip_bomb()))
            .unwrap(),
        "/hostile/gzipped" => Response::builder()
            .header(header::CONTENT_TYPE, text)
            .header(header::CONTENT_ENCODING, "gzip")
            .body(Body::from(gzip(b"compressed but small")))
            .unwrap(),
        "/hostile/brotli" => Response::builder()
            .header(header::CONTENT_TYPE, text)
            .header(header::CONTENT_ENCODING, "br")
            .body(Body::from(vec![1u8, 2, 3]))
            .unwrap(),
        "/hostile/loop" => redirect("/hostile/loop2"),
        "/hostile/loop2" => redirect("/hostile/loop"),
        p if p.starts_with("/hostile/hop/") => {
            let n: u32 = p[13..].parse().unwrap_or(0);
            redirect(&format!("/hostile/hop/{}", n + 1))
        }
        "/hostile/offhost" => redirect("http://localhost:9/elsewhere"),
        "/hostile/binary" => resp(StatusCode::OK, "image/png", vec![0u8, 1, 2, 3]),
        // Downloads: a compressed dump (read), and a video's bytes (skipped after a KiB).
        "/hostile/download" => resp(
            StatusCode::OK,
            "application/octet-stream",
            gzip(b"INSERT INTO customers VALUES (1);\n"),
        ),
        "/hostile/blob" => {
            let mut video = b"\x00\x00\x00\x20ftypisom".to_vec();
            video.resize(8 << 20, 7);
            resp(StatusCode::OK, "application/octet-stream", video)
        }
        "/hostile/nul" => resp(
            StatusCode::OK,
            text,
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR binary".to_vec(),
        ),
        "/hostile/sjis" => resp(StatusCode::OK, html, sjis_html()),
        // --- a plain site for politeness and dedup ---
        p if p.starts_with("/site/") => {
            let delay = s.site_delay_ms.load(Ordering::SeqCst);
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay as u64)).await;
            }
            if let Some(body) = s.pages.lock().unwrap().get(p) {
                return resp(StatusCode::OK, html, body.clone());
            }
            let links: String = (0..8)
                .map(|i| format!("<a href=\"/site/{i}\">{i}</a>"))
                .collect();
            resp(
                StatusCode::OK,
                html,
                format!("<html><body>{links}</body></html>"),
            )
        }
        _ => resp(StatusCode::NOT_FOUND, text, "not found"),
    }
}
