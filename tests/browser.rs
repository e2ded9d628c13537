//! report.html in a real browser: headless Debian chromium driven over the DevTools protocol.
//!
//! A small WebSocket client (RFC 6455, text frames only) speaks CDP to the browser on 127.0.0.1;
//! no driver binary and no extra crate. Screenshots and the rendered reports are written to
//! `<target>/browser/` for a person to look at.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use annexa::model::{FindingStatus, ScanResult, Severity};
use annexa::report::html;
use serde_json::{json, Value};

#[path = "common/scan_results.rs"]
mod scan_results;
use scan_results::{big, hostile};

// ---------------------------------------------------------------------------------------------
// Browser process

fn chromium() -> PathBuf {
    let fixed = PathBuf::from("/usr/bin/chromium");
    if fixed.exists() {
        return fixed;
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join("chromium"))
                .find(|p| p.exists())
        })
        .unwrap_or_else(|| {
            panic!("chromium not found at /usr/bin/chromium or on PATH: run scripts/test-env.sh")
        })
}

fn out_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    cdp: Cdp,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    fn launch() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let child = Command::new(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromium");
        // Chromium writes the port it chose and the browser endpoint's path into this file.
        let port_file = profile.path().join("DevToolsActivePort");
        let deadline = Instant::now() + Duration::from_secs(30);
        let (port, path) = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file) {
                let mut lines = text.lines();
                if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                    break (port.to_string(), path.to_string());
                }
            }
            assert!(
                Instant::now() < deadline,
                "chromium wrote no DevToolsActivePort within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let cdp = Cdp::connect(&format!("127.0.0.1:{port}"), &path);
        Browser {
            child,
            _profile: profile,
            cdp,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// WebSocket (client side: masked frames out, unmasked frames in)

struct Cdp {
    stream: BufReader<TcpStream>,
    next_id: u64,
    events: Vec<Value>,
}

impl Cdp {
    fn connect(addr: &str, path: &str) -> Cdp {
        let stream = TcpStream::connect(addr).expect("connect to DevTools");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut stream = BufReader::new(stream);
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: YW5uZXhhLWJyb3dzZXItdA==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        stream.get_mut().write_all(request.as_bytes()).unwrap();
        let mut status = String::new();
        stream.read_line(&mut status).unwrap();
        assert!(
            status.contains(" 101 "),
            "DevTools refused the WebSocket upgrade: {status}"
        );
        loop {
            let mut line = String::new();
            stream.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
        }
        Cdp {
            stream,
            next_id: 1,
            events: Vec::new(),
        }
    }

    fn write_frame(&mut self, opcode: u8, payload: &[u8]) {
        let mut frame = vec![0x80 | opcode];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n < 65536 => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let mask = (self.next_id as u32)
            .wrapping_mul(2_654_435_761)
            .to_be_bytes();
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream.get_mut().write_all(&frame).unwrap();
    }

    fn read_message(&mut self) -> String {
        let mut message = Vec::new();
        loop {
            let mut head = [0u8; 2];
            self.stream
                .read_exact(&mut head)
                .expect("read from DevTools (timed out?)");
            let (fin, opcode) = (head[0] & 0x80 != 0, head[0] & 0x0f);
            let mut len = u64::from(head[1] & 0x7f);
            if len == 126 {
                let mut b = [0u8; 2];
                self.stream.read_exact(&mut b).unwrap();
                len = u64::from(u16::from_be_bytes(b));
            } else if len == 127 {
                let mut b = [0u8; 8];
                self.stream.read_exact(&mut b).unwrap();
                len = u64::from_be_bytes(b);
            }
            let mut payload = vec![0u8; len as usize];
            self.stream.read_exact(&mut payload).unwrap();
            match opcode {
                0x0..=0x2 => message.extend_from_slice(&payload),
                0x8 => panic!("DevTools closed the connection"),
                0x9 => self.write_frame(0xA, &payload),
                _ => {}
            }
            if fin && opcode <= 0x2 {
                return String::from_utf8(message).expect("utf-8 from DevTools");
            }
        }
    }

    /// Send a command and wait for its answer; events that arrive meanwhile are kept.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.write_frame(0x1, msg.to_string().as_bytes());
        loop {
            let v: Value = serde_json::from_str(&self.read_message()).unwrap();
            if v["id"] == json!(id) {
                if let Some(err) = v.get("error") {
                    panic!("{method} failed: {err}");
                }
                return v["result"].clone();
            }
            if v["method"] == "Page.javascriptDialogOpening" {
                panic!("a JavaScript dialog opened: {v}");
            }
            self.events.push(v);
        }
    }

    fn wait_event(&mut self, method: &str, timeout: Duration) -> Value {
        if let Some(i) = self.events.iter().position(|e| e["method"] == method) {
            return self.events.remove(i);
        }
        let deadline = Instant::now() + timeout;
        loop {
            assert!(Instant::now() < deadline, "no {method} within {timeout:?}");
            let v: Value = serde_json::from_str(&self.read_message()).unwrap();
            if v["method"] == "Page.javascriptDialogOpening" {
                panic!("a JavaScript dialog opened: {v}");
            }
            if v["method"] == method {
                return v;
            }
            self.events.push(v);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A page session

struct Page<'a> {
    cdp: &'a mut Cdp,
    session: String,
}

impl<'a> Page<'a> {
    fn open(browser: &'a mut Browser, width: u32, height: u32, javascript: bool) -> Page<'a> {
        let cdp = &mut browser.cdp;
        let target = cdp.call(None, "Target.createTarget", json!({"url": "about:blank"}));
        let attached = cdp.call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        let session = attached["sessionId"].as_str().unwrap().to_string();
        let mut page = Page { cdp, session };
        for domain in [
            "Page.enable",
            "Runtime.enable",
            "Log.enable",
            "Network.enable",
        ] {
            page.call(domain, json!({}));
        }
        // Runs before the page's own code, outside its CSP: records policy violations.
        page.call(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": "window.__violations = []; document.addEventListener('securitypolicyviolation', function (e) { window.__violations.push(e.violatedDirective + ' ' + e.blockedURI); });"}),
        );
        page.resize(width, height);
        if !javascript {
            page.call(
                "Emulation.setScriptExecutionDisabled",
                json!({"value": true}),
            );
        }
        page
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.cdp.call(Some(&session), method, params)
    }

    fn resize(&mut self, width: u32, height: u32) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}),
        );
    }

    /// Navigate and wait for the load event; returns the wall time it took.
    fn load(&mut self, url: &str) -> Duration {
        let start = Instant::now();
        self.call("Page.navigate", json!({"url": url}));
        self.cdp
            .wait_event("Page.loadEventFired", Duration::from_secs(60));
        start.elapsed()
    }

    fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("evaluating {expression:?} threw: {e}");
        }
        r["result"]["value"].clone()
    }

    fn visible_findings(&mut self) -> u64 {
        self.eval("Array.prototype.filter.call(document.querySelectorAll('#findings-table tbody tr'), function (r) { return !r.hidden && r.offsetParent !== null; }).length")
            .as_u64()
            .unwrap()
    }

    fn select(&mut self, id: &str, value: &str) {
        self.eval(&format!(
            "(function () {{ var s = document.getElementById('{id}'); s.value = '{value}'; s.dispatchEvent(new Event('change', {{bubbles: true}})); return s.value; }})()"
        ));
    }

    fn screenshot(&mut self, path: &Path) {
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"}));
        std::fs::write(path, base64_decode(shot["data"].as_str().unwrap())).unwrap();
    }

    /// Console errors, uncaught exceptions, error log entries and every request made after the
    /// report itself.
    fn problems(&mut self, report_url: &str) -> Vec<String> {
        // Drain whatever arrived: a cheap call flushes the socket up to now.
        self.eval("1");
        let mut problems = Vec::new();
        for e in &self.cdp.events {
            let method = e["method"].as_str().unwrap_or_default();
            let p = &e["params"];
            match method {
                "Runtime.consoleAPICalled" if p["type"] == "error" || p["type"] == "warning" => {
                    problems.push(format!("console {}: {}", p["type"], p["args"]))
                }
                "Runtime.exceptionThrown" => {
                    problems.push(format!("exception: {}", p["exceptionDetails"]))
                }
                "Log.entryAdded"
                    if p["entry"]["level"] == "error" || p["entry"]["level"] == "warning" =>
                {
                    problems.push(format!("log: {}", p["entry"]["text"]))
                }
                "Network.requestWillBeSent" if p["request"]["url"] != report_url => {
                    problems.push(format!("request: {}", p["request"]["url"]))
                }
                "Network.loadingFailed" => problems.push(format!("failed request: {p}")),
                _ => {}
            }
        }
        let violations = self.eval("window.__violations");
        if violations.as_array().is_some_and(|v| !v.is_empty()) {
            problems.push(format!("CSP violations: {violations}"));
        }
        problems
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let bytes: Vec<u8> = text.bytes().filter(|b| *b != b'=').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, c)| n | value(*c) << (18 - 6 * i));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

fn write_report(result: &ScanResult, name: &str) -> (PathBuf, String) {
    let path = out_dir().join(name);
    std::fs::write(&path, html::render(result).expect("render")).unwrap();
    let url = format!("file://{}", path.display());
    (path, url)
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn hostile_report_is_inert_filterable_and_requests_nothing() {
    let result = hostile();
    let (_, url) = write_report(&result, "hostile-report.html");
    let mut browser = Browser::launch();
    let mut page = Page::open(&mut browser, 1366, 900, true);
    page.load(&url);

    assert_eq!(
        page.eval("document.documentElement.getAttribute('data-ready')"),
        "1",
        "the report's script did not run (CSP hash mismatch?)"
    );
    assert_eq!(
        page.eval("document.querySelectorAll('#control-table tbody tr').length"),
        93
    );
    assert_eq!(
        page.eval("document.querySelectorAll('.grid .cell').length"),
        93
    );
    assert_eq!(
        page.eval("document.getElementById('filters').hidden"),
        false,
        "filters appear with JavaScript"
    );

    // Nothing from the data became markup or code.
    assert_eq!(
        page.eval("document.scripts.length"),
        1,
        "a script node from data exists"
    );
    assert_eq!(
        page.eval("document.scripts[0].textContent.indexOf('alert')"),
        -1
    );
    assert_eq!(
        page.eval("document.querySelectorAll('img, iframe, object, embed, link').length"),
        0
    );
    assert_eq!(
        page.eval("Array.prototype.some.call(document.querySelectorAll('*'), function (el) { return Array.prototype.some.call(el.attributes, function (a) { return a.name.indexOf('on') === 0; }); })"),
        false,
        "an element carries an event handler attribute"
    );
    let names = page.eval("Array.prototype.map.call(document.querySelectorAll('#findings-table tbody tr td:nth-child(8)'), function (td) { return td.firstChild.textContent; })");
    assert!(
        names
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "<script>alert(1)</script>"),
        "the hostile name is shown as text: {names}"
    );

    // Filters change the visible count; the count line says so.
    let total = result.findings.len() as u64;
    assert_eq!(page.visible_findings(), total);
    let high = result
        .findings
        .iter()
        .filter(|f| f.severity == Severity::High)
        .count() as u64;
    page.select("f-sev", "high");
    assert_eq!(page.visible_findings(), high);
    assert_eq!(
        page.eval("document.getElementById('findings-count').textContent"),
        format!("Showing {high} of {total} findings")
    );
    page.select("f-prov", "azure");
    let high_azure = result
        .findings
        .iter()
        .filter(|f| f.severity == Severity::High && f.provider == annexa::model::Provider::Azure)
        .count() as u64;
    assert_eq!(page.visible_findings(), high_azure);
    page.eval("document.getElementById('f-reset').click()");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(page.visible_findings(), total);
    page.select("f-st", "accepted");
    assert_eq!(page.visible_findings(), 1);
    page.select("f-st", "");
    page.select("f-ctl", "A.8.24");
    let a824 = result
        .findings
        .iter()
        .filter(|f| {
            result
                .check(&f.check_id)
                .unwrap()
                .controls
                .contains(&"A.8.24".to_string())
        })
        .count() as u64;
    assert_eq!(page.visible_findings(), a824);
    page.select("f-ctl", "");

    // Search by typing, as a keyboard user would.
    page.eval("document.getElementById('f-q').focus()");
    page.call("Input.insertText", json!({"text": "payments-archive"}));
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(page.visible_findings(), 1);
    assert_eq!(
        page.eval("Array.prototype.filter.call(document.querySelectorAll('#findings-table tbody tr'), function (r) { return !r.hidden; })[0].cells[7].firstChild.textContent"),
        "payments-archive-bucket"
    );
    page.eval("document.getElementById('f-reset').click()");
    std::thread::sleep(Duration::from_millis(100));

    // Sorting by severity from its header button: most severe first, then the reverse.
    let first_row = "(function () { var c = document.querySelector('#findings-table tbody tr').cells; return c[0].textContent + ' ' + c[1].textContent; })()";
    let sev_sort =
        "document.querySelector('#findings-table th[data-key=sev]').getAttribute('aria-sort')";
    page.eval("document.querySelector('#findings-table th[data-key=sev] button').click()");
    assert_eq!(page.eval(sev_sort), "descending");
    assert!(page
        .eval(first_row)
        .as_str()
        .unwrap()
        .starts_with("critical "));
    page.eval("document.querySelector('#findings-table th[data-key=sev] button').click()");
    assert_eq!(page.eval(sev_sort), "ascending");
    assert!(page.eval(first_row).as_str().unwrap().starts_with("low "));
    // Sorting by resource name, with the keyboard: focus the header button and press Enter.
    page.eval("document.querySelector('#findings-table th[data-key=res] button').focus()");
    for kind in ["keyDown", "keyUp"] {
        page.call("Input.dispatchKeyEvent", json!({"type": kind, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "text": if kind == "keyDown" { "\r" } else { "" }}));
    }
    assert_eq!(
        page.eval(
            "document.querySelector('#findings-table th[data-key=res]').getAttribute('aria-sort')"
        ),
        "ascending"
    );
    // Reset restores the report's order: open failures first, most severe first.
    page.eval("document.getElementById('f-reset').click()");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(page.eval(first_row), "critical fail");
    assert_eq!(page.eval(sev_sort), serde_json::Value::Null);

    // A control's "show findings" link sets the control filter.
    page.eval("document.querySelector('a[data-control=\"A.5.15\"]').click()");
    assert_eq!(
        page.eval("document.getElementById('f-ctl').value"),
        "A.5.15"
    );
    let a515 = result
        .findings
        .iter()
        .filter(|f| {
            result
                .check(&f.check_id)
                .unwrap()
                .controls
                .contains(&"A.5.15".to_string())
        })
        .count() as u64;
    assert_eq!(page.visible_findings(), a515);
    page.eval("document.getElementById('f-reset').click()");
    std::thread::sleep(Duration::from_millis(100));

    // Screenshots for a person: the top at both widths, then each section.
    let dir = out_dir();
    for (width, height) in [(1366, 900), (390, 844)] {
        page.resize(width, height);
        page.eval("window.scrollTo(0, 0)");
        page.screenshot(&dir.join(format!("report-{width}x{height}.png")));
        for section in ["annex-a", "c-A.5.15", "findings", "risks"] {
            // Twice: sections below the fold take their real height only once laid out.
            for _ in 0..2 {
                page.eval(&format!(
                    "document.getElementById('{section}').scrollIntoView()"
                ));
                std::thread::sleep(Duration::from_millis(100));
            }
            page.screenshot(&dir.join(format!("report-{width}x{height}-{section}.png")));
        }
    }

    // The print stylesheet, as "save as PDF" would use it.
    page.resize(1366, 900);
    page.call("Emulation.setEmulatedMedia", json!({"media": "print"}));
    page.eval("window.scrollTo(0, 0)");
    page.screenshot(&dir.join("report-print.png"));
    assert_eq!(
        page.eval("getComputedStyle(document.getElementById('filters')).display"),
        "none",
        "filters are not printed"
    );
    assert_eq!(
        page.eval("getComputedStyle(document.getElementById('findings')).breakBefore"),
        "page",
        "each section starts a page"
    );
    page.call("Emulation.setEmulatedMedia", json!({"media": ""}));

    let problems = page.problems(&url);
    assert!(
        problems.is_empty(),
        "console errors, requests or CSP violations: {problems:#?}"
    );
    let findings_failing = result
        .findings
        .iter()
        .filter(|f| f.status == FindingStatus::Fail)
        .count();
    assert!(findings_failing > 0);
}

/// The detectors above must be able to fail: a page with a remote image and an inline handler
/// is reported (CSP violation, blocked request or console error).
#[test]
fn network_and_policy_detectors_catch_a_planted_request() {
    let page_text = html::render(&hostile()).expect("render").replace(
        "</main>",
        "<img src=\"http://127.0.0.1:9/planted.png\"></main>",
    );
    let path = out_dir().join("planted-request.html");
    std::fs::write(&path, page_text).unwrap();
    let url = format!("file://{}", path.display());
    let mut browser = Browser::launch();
    let mut page = Page::open(&mut browser, 1366, 900, true);
    page.load(&url);
    let problems = page.problems(&url);
    assert!(
        problems.iter().any(|p| p.contains("planted.png")),
        "the planted request went unnoticed: {problems:#?}"
    );
}

#[test]
fn without_javascript_everything_is_still_shown() {
    let result = hostile();
    let (_, url) = write_report(&result, "hostile-report-nojs.html");
    let mut browser = Browser::launch();
    let mut page = Page::open(&mut browser, 1366, 900, false);
    page.load(&url);
    // Evaluation through CDP still works with page scripts disabled.
    assert_eq!(
        page.eval("document.documentElement.getAttribute('data-ready')"),
        Value::Null
    );
    assert_eq!(
        page.eval("document.getElementById('filters').hidden"),
        true,
        "filters need JavaScript: hidden without it"
    );
    assert_eq!(page.visible_findings(), result.findings.len() as u64);
    assert_eq!(
        page.eval("document.querySelectorAll('#control-table tbody tr').length"),
        93
    );
    assert_eq!(
        page.eval("document.querySelectorAll('article.control').length"),
        93
    );
    let problems = page.problems(&url);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn ten_thousand_findings_become_interactive() {
    let result = big(10_000);
    let t = Instant::now();
    let page_text = html::render(&result).expect("render");
    let render = t.elapsed();
    let (path, url) = write_report(&result, "big-report.html");
    let size = std::fs::metadata(&path).unwrap().len();
    assert_eq!(size as usize, page_text.len());

    let mut browser = Browser::launch();
    let mut page = Page::open(&mut browser, 1366, 900, true);
    let load = page.load(&url);
    assert_eq!(
        page.eval("document.documentElement.getAttribute('data-ready')"),
        "1"
    );
    // The script sits at the end of <body> and runs synchronously, so DOMContentLoaded marks
    // the moment filters and sort are ready.
    let interactive_ms = page
        .eval("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
        .as_f64()
        .unwrap();
    let timing = page.eval("(function () { var n = performance.getEntriesByType('navigation')[0]; return [n.responseEnd, n.domInteractive, n.domContentLoadedEventStart, n.domContentLoadedEventEnd, n.loadEventEnd]; })()");
    eprintln!("navigation timing (responseEnd, domInteractive, DCL start, DCL end, load end) ms: {timing}");
    assert_eq!(page.visible_findings(), 10_000);
    let t = Instant::now();
    page.select("f-sev", "critical");
    let filter = t.elapsed();
    let critical = result
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Critical)
        .count() as u64;
    assert_eq!(page.visible_findings(), critical);
    page.screenshot(&out_dir().join("big-report-1366x900.png"));
    let problems = page.problems(&url);
    assert!(problems.is_empty(), "{problems:#?}");
    eprintln!(
        "10,000 failing findings: report {size} bytes; render {render:?} (this build); \
         chromium: interactive after {interactive_ms:.0} ms (DOMContentLoaded end), load event after {load:?}, \
         one filter change {filter:?}"
    );
}
