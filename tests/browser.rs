//! End-to-end tests in headless Chromium against a real server: search with the `/` shortcut, narrow by a
//! facet, open a document, follow article anchors and citations, upload a file and find it. Screenshots of
//! the main pages (laptop and phone widths) go to `target/screenshots/`. A second test walks the subject tree
//! down to a document, rejects one of its links and sees the decision after a reload. A third narrows the
//! proposal list by a facet, opens a proposal, sees a refused event explained and records an accepted one.
//! Another opens 资金 on generated budgets, switches to the chart, drills down three levels and downloads CSV.
//! Another pushes a generated year of budget execution and walks the execution dashboard down to a unit, dismissing
//! a pace warning on the way. The last spends a day in the office with a real `yusuan serve` process: the
//! samples marked, a folder ingested from the command line and a ZIP through the page while a script searches,
//! a document replaced and another removed, the samples removed with one click.
//!
//! Without a Chromium binary the test is skipped with a printed reason, unless `CI=true`.

mod common;

use common::*;
use headless_chrome::protocol::cdp::{Emulation, Page};
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde_json::Value;
use std::ffi::OsStr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

fn screenshots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Evaluates a JavaScript expression in the page.
fn js(tab: &Tab, expr: &str) -> Value {
    tab.evaluate(expr, false)
        .unwrap_or_else(|e| panic!("{expr}: {e}"))
        .value
        .unwrap_or(Value::Null)
}

/// Waits until a JavaScript expression is true (pages reload and navigate under us).
fn wait_js(tab: &Tab, expr: &str, what: &str) {
    let start = Instant::now();
    loop {
        // A condition on the address alone holds as soon as the next page commits, before its body is
        // parsed; waiting for the parse keeps the next lookup from racing the page.
        let guarded = format!("document.readyState !== 'loading' && ({expr})");
        if let Ok(r) = tab.evaluate(&guarded, false)
            && r.value == Some(Value::Bool(true))
        {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what} ({expr}); at {}",
            tab.get_url()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A screenshot of the whole page.
fn screenshot(tab: &Tab, name: &str) {
    let png = tab
        .call_method(Page::CaptureScreenshot {
            format: Some(Page::CaptureScreenshotFormatOption::Png),
            quality: None,
            clip: None,
            from_surface: Some(true),
            capture_beyond_viewport: Some(true),
            optimize_for_speed: None,
        })
        .unwrap()
        .data;
    use base64_decode::decode;
    std::fs::write(screenshots_dir().join(name), decode(&png)).unwrap();
}

/// A small base64 decoder (the screenshot data arrives base64-encoded).
mod base64_decode {
    pub fn decode(s: &str) -> Vec<u8> {
        let val = |c: u8| -> u32 {
            match c {
                b'A'..=b'Z' => (c - b'A') as u32,
                b'a'..=b'z' => (c - b'a' + 26) as u32,
                b'0'..=b'9' => (c - b'0' + 52) as u32,
                b'+' => 62,
                b'/' => 63,
                _ => 0,
            }
        };
        let bytes: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
        for chunk in bytes.chunks(4) {
            let pad = chunk.iter().filter(|&&b| b == b'=').count();
            let mut n = 0u32;
            for (i, &c) in chunk.iter().enumerate() {
                n |= val(c) << (18 - 6 * i);
            }
            let b = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            out.extend_from_slice(&b[..3 - pad.min(2)]);
        }
        out
    }
}

fn phone(tab: &Tab, on: bool) {
    if on {
        tab.call_method(Emulation::SetDeviceMetricsOverride {
            width: 390,
            height: 844,
            device_scale_factor: 2.0,
            mobile: true,
            scale: None,
            screen_width: None,
            screen_height: None,
            position_x: None,
            position_y: None,
            dont_set_visible_size: None,
            screen_orientation: None,
            viewport: None,
            display_feature: None,
            device_posture: None,
        })
        .unwrap();
    } else {
        tab.call_method(Emulation::ClearDeviceMetricsOverride(None))
            .unwrap();
    }
}

/// Logs in as the first administrator through the login form.
fn log_in(tab: &Tab, server: &Server) {
    log_in_at(tab, &server.base);
}

/// Logs in as the first administrator on the server at `base` (http://host:port).
fn log_in_at(tab: &Tab, base: &str) {
    log_in_as(tab, base, "admin", ADMIN_PASSWORD);
}

/// Logs in as `name` on the server at `base`.
fn log_in_as(tab: &Tab, base: &str, name: &str, password: &str) {
    tab.set_default_timeout(Duration::from_secs(30));
    open(tab, &format!("{base}/search"));
    // Not logged in: the search page sends the browser to the login form.
    assert!(tab.get_url().contains("/login?next="), "{}", tab.get_url());
    tab.wait_for_element("#name")
        .unwrap()
        .type_into(name)
        .unwrap();
    tab.wait_for_element("#password")
        .unwrap()
        .type_into(password)
        .unwrap();
    tab.wait_for_element("#login-submit")
        .unwrap()
        .click()
        .unwrap();
    tab.wait_until_navigated().unwrap();
    wait_js(tab, "!!document.getElementById('logout')", "logged in");
    assert!(tab.get_url().ends_with("/search"), "{}", tab.get_url());
}

fn open(tab: &Tab, url: &str) {
    tab.navigate_to(url)
        .unwrap()
        .wait_until_navigated()
        .unwrap();
}

/// Starts headless Chromium with a fresh profile (kept alive by the returned folder).
fn launch(chrome: PathBuf) -> (Browser, tempfile::TempDir) {
    let profile = tempfile::tempdir().unwrap();
    let args: Vec<&OsStr> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--lang=zh-CN",
    ]
    .iter()
    .map(OsStr::new)
    .collect();
    let options = LaunchOptions::default_builder()
        .path(Some(chrome))
        .headless(true)
        .sandbox(false)
        .window_size(Some((1280, 900)))
        .user_data_dir(Some(profile.path().to_path_buf()))
        .args(args)
        .idle_browser_timeout(Duration::from_secs(180))
        .build()
        .unwrap();
    let browser = Browser::new(options).unwrap();
    (browser, profile)
}

/// The Chromium binary, or None when the test is to be skipped (a missing binary fails under `CI=true`).
fn chromium_or_skip() -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CI=true but no Chromium binary was found (install Debian's `chromium`)");
        }
        eprintln!(
            "skipping the browser test: no Chromium binary (install Debian's `chromium`, or set CHROMIUM)"
        );
    }
    found
}

#[test]
fn search_facet_document_anchor_citation_and_upload_in_chromium() {
    let Some(chrome) = chromium_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let server = Server::start(started(dir.path()));
    let (browser, _profile) = launch(chrome);
    let tab = browser.new_tab().unwrap();
    log_in(&tab, &server);
    tab.set_default_timeout(Duration::from_secs(30));

    // The landing page: the newest documents, deadlines, 预警, topics and tips; `/` focuses the search box, and
    // typing a query and Enter searches.
    open(&tab, &server.url("/"));
    tab.wait_for_element("#home-recent li a").unwrap();
    screenshot(&tab, "home.png");
    tab.wait_for_element("body").unwrap().click().unwrap();
    tab.press_key("/").unwrap();
    assert_eq!(js(&tab, "document.activeElement.id"), "q");
    tab.send_character("预算").unwrap();
    tab.press_key("Enter").unwrap();
    wait_js(
        &tab,
        "location.pathname === '/search' && document.querySelectorAll('.hit').length > 0",
        "results",
    );
    assert_eq!(
        js(&tab, "new URLSearchParams(location.search).get('q')"),
        "预算"
    );
    assert!(
        js(&tab, "document.querySelectorAll('.hit mark').length")
            .as_u64()
            .unwrap()
            > 0
    );
    let total_before = js(&tab, "document.querySelector('#summary b').textContent");
    screenshot(&tab, "search.png");

    // A facet narrows the results and shows up as a removable filter; the URL carries it.
    tab.find_element_by_xpath("//aside[@class='facets']//a[contains(., '已修改')]")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "!!document.getElementById('active-filters')",
        "the active filter",
    );
    assert_eq!(
        js(&tab, "new URLSearchParams(location.search).get('status')"),
        "已修改"
    );
    assert_eq!(
        js(&tab, "new URLSearchParams(location.search).get('q')"),
        "预算"
    );
    let total_after = js(&tab, "document.querySelector('#summary b').textContent");
    assert_ne!(total_before, total_after);
    assert_eq!(
        js(
            &tab,
            "[...document.querySelectorAll('.hit .tag')].filter(t => t.textContent === '有效').length"
        ),
        0
    );
    screenshot(&tab, "search-filtered.png");

    // Remove the filter again, then open an article hit: its document opens at the article's anchor.
    tab.wait_for_element("#active-filters a")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "!document.getElementById('active-filters')",
        "the filter to go",
    );
    tab.find_element_by_xpath(
        "//li[contains(@class,'hit')][.//span[text()='有效']]//a[@class='name'][contains(., '第')]",
    )
    .unwrap()
    .click()
    .unwrap();
    wait_js(
        &tab,
        "location.pathname.startsWith('/documents/') && !!document.getElementById('title')",
        "the document",
    );
    let target = js(
        &tab,
        "document.querySelector(':target') && document.querySelector(':target').id",
    );
    assert_eq!(
        Value::String(
            js(&tab, "decodeURIComponent(location.hash.slice(1))")
                .as_str()
                .unwrap()
                .into()
        ),
        target
    );
    assert!(target.as_str().unwrap().starts_with('第'), "{target}");
    assert!(
        js(&tab, "document.querySelectorAll('mark').length")
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(js(&tab, "document.querySelectorAll('#toc a').length"), 2);
    assert_eq!(
        js(&tab, "document.querySelectorAll('#versions li').length"),
        2
    );
    screenshot(&tab, "document.png");

    // Follow an article anchor: the label link of 第四十五条.
    tab.wait_for_element("a[href='#第四十五条']")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "decodeURIComponent(location.hash) === '#第四十五条'",
        "the anchor",
    );
    assert_eq!(
        js(&tab, "document.querySelector(':target').id"),
        "第四十五条"
    );

    // Its own page links the citation 本法第四十四条 to that article.
    tab.wait_for_element("#第四十五条 a.go")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "location.pathname.startsWith('/articles/')",
        "the article page",
    );
    tab.wait_for_element("a.cite").unwrap().click().unwrap();
    wait_js(
        &tab,
        "document.querySelector('h1').textContent.includes('第四十四条')",
        "the cited article",
    );
    screenshot(&tab, "article.png");

    // The old version is reachable through the timeline.
    tab.wait_for_element(".crumbs a").unwrap().click().unwrap();
    wait_js(
        &tab,
        "!!document.getElementById('versions')",
        "the document again",
    );
    tab.wait_for_element("#versions a")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "document.querySelector('#title .tag').textContent === '已修改'",
        "the older version",
    );

    // Upload a file, watch the task finish, find its text.
    let upload = write(
        dir.path(),
        "upload/2024年示范市预算执行情况报告.md",
        "# 2024年示范市预算执行情况报告\n\n全年一般公共预算收入增长，翡翠湾生态补偿资金足额拨付。\n",
    );
    open(&tab, &server.url("/ingest"));
    tab.wait_for_element("#files")
        .unwrap()
        .set_input_files(&[upload.to_str().unwrap()])
        .unwrap();
    tab.wait_for_element("#upload").unwrap().click().unwrap();
    wait_js(
        &tab,
        "location.pathname.startsWith('/tasks/') && !!document.getElementById('task-status') && document.getElementById('task-status').textContent === '已完成'",
        "the task to finish",
    );
    assert!(
        js(&tab, "document.getElementById('task-files').textContent")
            .as_str()
            .unwrap()
            .contains("已入库")
    );
    screenshot(&tab, "task.png");
    open(&tab, &server.url("/ingest"));
    screenshot(&tab, "ingest.png");
    open(&tab, &server.url(&format!("/search?q={}", enc("翡翠湾"))));
    wait_js(
        &tab,
        "document.querySelectorAll('.hit').length === 1",
        "the uploaded document in the results",
    );
    assert!(
        js(&tab, "document.querySelector('.hit .name').textContent")
            .as_str()
            .unwrap()
            .contains("2024年示范市预算执行情况报告")
    );

    // Phone width: the same pages stay readable (one column).
    phone(&tab, true);
    open(&tab, &server.url(&format!("/search?q={}", enc("预算审查"))));
    tab.wait_for_element(".hit").unwrap();
    assert!(
        js(
            &tab,
            "document.documentElement.scrollWidth <= window.innerWidth + 1"
        ) == Value::Bool(true)
    );
    screenshot(&tab, "search-phone.png");
    tab.wait_for_element(".hit a.name")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "!!document.getElementById('title')",
        "the document on a phone",
    );
    assert!(
        js(
            &tab,
            "document.documentElement.scrollWidth <= window.innerWidth + 1"
        ) == Value::Bool(true)
    );
    screenshot(&tab, "document-phone.png");
    // A law on a phone: its text starts right after the metadata card, before the table of contents.
    open(
        &tab,
        &server.url(&format!("/search?q={}&unit=document", enc("示范预算法"))),
    );
    tab.wait_for_element(".hit a.name")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "!!document.querySelector('.doc .art')",
        "a law's articles",
    );
    assert_eq!(
        js(
            &tab,
            "(() => { const top = s => document.querySelector(s).getBoundingClientRect().top; \
              return top('.doc .meta') < top('.doc .art') && top('.doc .art') < top('.doc > .side'); })()"
        ),
        Value::Bool(true)
    );
    screenshot(&tab, "law-phone.png");
    phone(&tab, false);
}

/// A corpus folder with the project's reference data (subject tree, topics) and its sample documents.
fn linked_corpus(dir: &std::path::Path) {
    let project = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for sub in ["reference", "samples"] {
        let to = dir.join("corpus").join(sub);
        std::fs::create_dir_all(&to).unwrap();
        for f in std::fs::read_dir(project.join(sub)).unwrap() {
            let f = f.unwrap().path();
            if f.is_file() {
                std::fs::copy(&f, to.join(f.file_name().unwrap())).unwrap();
            }
        }
    }
}

#[test]
fn subject_tree_drill_down_and_rejecting_a_link_in_chromium() {
    let Some(chrome) = chromium_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    linked_corpus(dir.path());
    let server = Server::start(started(dir.path()));
    let (browser, _profile) = launch(chrome);
    let tab = browser.new_tab().unwrap();
    log_in(&tab, &server);
    tab.set_default_timeout(Duration::from_secs(30));

    // The tree: classes with counts and the four budgets.
    open(&tab, &server.url("/subjects"));
    tab.wait_for_element("#rows").unwrap();
    assert_eq!(
        js(&tab, "document.querySelectorAll('#budgets a').length"),
        5
    );
    screenshot(&tab, "subjects.png");

    // Drill into 205: its children with counts and its documents.
    tab.wait_for_element("a[href='/subjects/205']")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "location.pathname === '/subjects/205' && !!document.getElementById('documents')",
        "the 205 page",
    );
    assert!(
        js(&tab, "document.querySelectorAll('#documents .hit').length")
            .as_u64()
            .unwrap()
            >= 2
    );
    screenshot(&tab, "subject-205.png");

    // Open the education bureau's final account and see its links with their evidence.
    tab.find_element_by_xpath("//ul[@id='documents']//a[contains(., '教育局2024年部门决算')]")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "location.pathname.startsWith('/documents/') && !!document.getElementById('links')",
        "the document's links",
    );
    assert!(
        js(
            &tab,
            "document.querySelector('#link-subjects .why').textContent"
        )
        .as_str()
        .unwrap()
        .contains("表中科目行")
    );
    screenshot(&tab, "document-links.png");

    // Reject one link; after the redirect and a reload it is marked, in the name of the logged-in account.
    tab.wait_for_element("button[value='reject:subject:2050203']")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "!!document.querySelector(\"li.rejected[data-key='subject:2050203']\")",
        "the rejected link",
    );
    tab.reload(true, None).unwrap();
    wait_js(
        &tab,
        "!!document.querySelector(\"li.rejected[data-key='subject:2050203'] .decision\")",
        "the rejected link after a reload",
    );
    assert!(
        js(
            &tab,
            "document.querySelector(\"li[data-key='subject:2050203'] .decision\").textContent"
        )
        .as_str()
        .unwrap()
        .starts_with("已否决 · admin")
    );
    assert_eq!(
        js(&tab, "location.hash"),
        "#links",
        "the redirect returns to the links section"
    );
    screenshot(&tab, "document-links-rejected.png");

    // A topic dossier.
    open(&tab, &server.url("/topics/npc-budget-oversight"));
    tab.wait_for_element("#timeline").unwrap();
    screenshot(&tab, "topic.png");
    open(&tab, &server.url("/topics"));
    tab.wait_for_element("#rows").unwrap();
    screenshot(&tab, "topics.png");
}

#[test]
fn proposal_list_facet_page_and_event_form_in_chromium() {
    let Some(chrome) = chromium_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("corpus")).unwrap();
    // Logged in as the administrator: every proposal, public or not, and the event form.
    let server = Server::start(started(dir.path()));
    let csv = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/samples/proposals.csv"),
    )
    .unwrap();
    let report = yusuan::proposals::import_bytes(
        &server.state.lib,
        "proposals.csv",
        yusuan::proposals::import::TableFormat::Csv,
        &csv,
    )
    .unwrap();
    assert_eq!(report.added, 12);
    let (browser, _profile) = launch(chrome);
    let tab = browser.new_tab().unwrap();
    log_in(&tab, &server);
    tab.set_default_timeout(Duration::from_secs(30));

    // The list (linked from the header), narrowed by the unit facet.
    open(&tab, &server.url("/proposals"));
    tab.wait_for_element("#proposals").unwrap();
    assert_eq!(
        js(
            &tab,
            "document.querySelectorAll(\"nav a[href='/proposals']\").length"
        ),
        1
    );
    assert_eq!(
        js(&tab, "document.querySelectorAll('#proposals .prop').length"),
        12
    );
    screenshot(&tab, "proposals.png");
    tab.find_element_by_xpath("//aside[@id='facets']//a[contains(., '市教育局')]")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "location.search.includes('unit=') && document.querySelectorAll('#proposals .prop').length === 4",
        "the list narrowed to one unit",
    );

    // A proposal: a refused event is explained on the page with the typed name kept.
    tab.find_element_by_xpath("//ol[@id='proposals']//a[contains(., '稳定增长机制')]")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "location.pathname === '/proposals/16-5-3001' && !!document.getElementById('record')",
        "the proposal page",
    );
    assert!(
        js(&tab, "document.getElementById('repeated').textContent")
            .as_str()
            .unwrap()
            .contains("3 次")
    );
    screenshot(&tab, "proposal.png");
    js(
        &tab,
        "document.getElementById('ev-kind').value = '办结'; document.getElementById('ev-actor').value = '王五'; \
         document.querySelector('#record form').submit(); true",
    );
    wait_js(
        &tab,
        "!!document.getElementById('form-error')",
        "the refusal",
    );
    assert!(
        js(&tab, "document.getElementById('form-error').textContent")
            .as_str()
            .unwrap()
            .contains("办理中")
    );
    assert_eq!(
        js(&tab, "document.getElementById('ev-actor').value"),
        "王五"
    );
    screenshot(&tab, "proposal-refused.png");

    // An accepted event: back on the timeline with the new status.
    js(
        &tab,
        "document.getElementById('ev-kind').value = '答复'; document.getElementById('ev-grade').value = 'B'; \
         document.getElementById('ev-text').value = '已纳入中期财政规划。'; document.getElementById('ev-date').value = ''; \
         document.querySelector('#record form').submit(); true",
    );
    wait_js(
        &tab,
        "location.hash === '#timeline' && document.getElementById('status').textContent === '已答复'",
        "the recorded reply",
    );

    // A co-signing deputy, in a browser of their own: 我的建议, no staff form, and feedback on the reply.
    yusuan::auth::accounts::add_user(
        server.state.lib.store(),
        "qian",
        yusuan::auth::Role::Deputy,
        Some("钱某"),
        Some("qian-password-2026"),
    )
    .unwrap();
    let (deputy_browser, _deputy_profile) = launch(chromium().unwrap());
    let dtab = deputy_browser.new_tab().unwrap();
    log_in_as(&dtab, &server.base, "qian", "qian-password-2026");
    dtab.wait_for_element("#mine").unwrap().click().unwrap();
    wait_js(
        &dtab,
        "location.search.includes('deputy=') && document.querySelectorAll('#proposals .prop').length === 5",
        "the deputy's own five proposals",
    );
    screenshot(&dtab, "deputy-mine.png");
    open(&dtab, &server.url("/proposals/16-5-3001"));
    dtab.wait_for_element("#feedback").unwrap();
    assert_eq!(js(&dtab, "!!document.getElementById('record')"), false);
    js(
        &dtab,
        "document.getElementById('fb-satisfaction').value = '不满意';          document.getElementById('fb-note').value = '答复未说明资金安排';          document.querySelector('#feedback form').submit(); true",
    );
    wait_js(
        &dtab,
        "location.hash === '#timeline' && document.getElementById('timeline').textContent.includes('代表反馈')",
        "the deputy's feedback on the timeline",
    );
    screenshot(&dtab, "deputy-feedback.png");
    // Given once per reply: the form is gone until the next reply.
    assert_eq!(js(&dtab, "!!document.getElementById('feedback')"), false);
    // The staff member sees it on their own page.
    open(&tab, &server.url("/proposals/16-5-3001"));
    tab.wait_for_element("#timeline").unwrap();
    let timeline = js(&tab, "document.getElementById('timeline').textContent");
    let timeline = timeline.as_str().unwrap();
    assert!(
        timeline.contains("代表反馈")
            && timeline.contains("钱某")
            && timeline.contains("答复未说明资金安排"),
        "{timeline}"
    );

    // The dashboard and the list on a phone.
    open(&tab, &server.url("/proposals/dashboard?today=2025-06-01"));
    tab.wait_for_element("#kpis").unwrap();
    screenshot(&tab, "proposals-dashboard.png");
    phone(&tab, true);
    open(&tab, &server.url("/proposals?today=2025-06-01"));
    tab.wait_for_element("#proposals").unwrap();
    screenshot(&tab, "proposals-phone.png");
    open(&tab, &server.url("/proposals/16-5-3001"));
    tab.wait_for_element("#record").unwrap();
    screenshot(&tab, "proposal-phone.png");
    phone(&tab, false);
}

#[test]
fn an_administrator_adds_a_deputy_who_logs_in_with_the_one_time_password_in_chromium() {
    let Some(chrome) = chromium_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let server = Server::start(started(dir.path()));
    let (browser, _profile) = launch(chrome);
    let tab = browser.new_tab().unwrap();
    log_in(&tab, &server);

    // The administrator creates a deputy through the form (which carries its CSRF token).
    open(&tab, &server.url("/admin"));
    tab.wait_for_element("#add-user #name")
        .unwrap()
        .type_into("liu")
        .unwrap();
    js(
        &tab,
        "(() => { document.getElementById('role').value = 'deputy'; return true; })()",
    );
    tab.wait_for_element("#deputy")
        .unwrap()
        .type_into("Liu Daibiao")
        .unwrap();
    tab.wait_for_element("#add-user button")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "!!document.getElementById('admin-message')",
        "the new account's message",
    );
    let message = js(&tab, "document.getElementById('admin-message').textContent");
    let otp = message
        .as_str()
        .unwrap()
        .split("一次性密码：")
        .nth(1)
        .unwrap()
        .chars()
        .take(16)
        .collect::<String>();
    assert_eq!(otp.len(), 16, "{message}");
    screenshot(&tab, "admin.png");

    // The audit log shows the administrator's actions.
    open(&tab, &server.url("/admin/audit"));
    tab.wait_for_element("#audit").unwrap();
    let rows = js(&tab, "document.querySelector('#audit tbody').textContent");
    assert!(rows.as_str().unwrap().contains("/admin/users"), "{rows}");
    screenshot(&tab, "audit.png");

    // Log out; the deputy logs in with the one-time password and must choose a new one first.
    tab.wait_for_element("#logout").unwrap().click().unwrap();
    wait_js(
        &tab,
        "location.pathname === '/login' && !!document.getElementById('name')",
        "the login page",
    );
    tab.wait_for_element("#name")
        .unwrap()
        .type_into("liu")
        .unwrap();
    tab.wait_for_element("#password")
        .unwrap()
        .type_into(&otp)
        .unwrap();
    tab.wait_for_element("#login-submit")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "!!document.getElementById('must-change')",
        "the password change",
    );
    for (id, text) in [
        ("#password", otp.as_str()),
        ("#new_password", "liu-new-password-2026"),
        ("#new_password2", "liu-new-password-2026"),
    ] {
        tab.wait_for_element(id).unwrap().type_into(text).unwrap();
    }
    tab.wait_for_element("#password-submit")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "location.pathname === '/login' && !!document.getElementById('name')",
        "the login page after the change",
    );
    tab.wait_for_element("#name")
        .unwrap()
        .type_into("liu")
        .unwrap();
    tab.wait_for_element("#password")
        .unwrap()
        .type_into("liu-new-password-2026")
        .unwrap();
    tab.wait_for_element("#login-submit")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "!!document.getElementById('account')",
        "the deputy logged in",
    );
    // A deputy searches, but has neither the upload nor the administration link.
    open(&tab, &server.url("/search?q=预算"));
    tab.wait_for_element(".hits").unwrap();
    assert_eq!(
        js(
            &tab,
            "document.querySelectorAll(\"nav a[href='/ingest'], nav a[href='/admin']\").length"
        ),
        0
    );
    screenshot(&tab, "deputy-search.png");
}

#[test]
fn alerts_list_facet_and_dismissing_a_finding_in_chromium() {
    let Some(chrome) = chromium_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    linked_corpus(dir.path());
    // A final-account table whose 行政运行 row does not add up.
    std::fs::write(
        dir.path()
            .join("corpus/samples/示范区财政局2024年度部门决算.csv"),
        "支出决算表\n,,,单位：万元\n科目编码,科目名称,本年支出合计,基本支出,项目支出\n\
         201,一般公共服务支出,100.00,80.00,20.00\n20106,财政事务,100.00,80.00,20.00\n\
         2010601,行政运行,110.00,80.00,20.00\n,合计,100.00,80.00,20.00\n",
    )
    .unwrap();
    let server = Server::start(started(dir.path()));
    let (browser, _profile) = launch(chrome);
    let tab = browser.new_tab().unwrap();
    log_in(&tab, &server);
    tab.set_default_timeout(Duration::from_secs(30));

    open(&tab, &server.url("/alerts"));
    tab.wait_for_element("#alerts").unwrap();
    screenshot(&tab, "alerts.png");
    // The 错误 facet narrows the list to errors.
    tab.find_element_by_xpath("//aside//a[starts-with(., '错误')]")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "location.search.includes('severity=')",
        "the severity filter",
    );
    let severities = js(
        &tab,
        "[...document.querySelectorAll('#alerts tbody .sev')].map(e => e.textContent).join(',')",
    );
    let severities = severities.as_str().unwrap();
    assert!(
        !severities.is_empty() && severities.split(',').all(|s| s == "错误"),
        "{severities}"
    );
    assert!(
        js(
            &tab,
            "document.getElementById('alerts').textContent.includes('行政运行')"
        )
        .as_bool()
        .unwrap()
    );

    // The document's findings, dismissed with a note through the form.
    tab.find_element_by_xpath("//table[@id='alerts']//a[contains(., '示范区财政局')]")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "!!document.getElementById('findings')",
        "the document's findings",
    );
    tab.wait_for_element("#findings .finding-form input[name='note']")
        .unwrap()
        .type_into("已与财政局核实")
        .unwrap();
    tab.wait_for_element("#findings .finding-form button[value='dismiss']")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "document.getElementById('findings').textContent.includes('已排除')",
        "the dismissed finding",
    );
    assert!(
        js(
            &tab,
            "document.getElementById('findings').textContent.includes('已与财政局核实')"
        )
        .as_bool()
        .unwrap()
    );
    screenshot(&tab, "document-findings.png");

    // The finding's own page, with its thread; then the number 110.00 in the table, with its thread.
    let doc_url = js(&tab, "location.pathname").as_str().unwrap().to_string();
    tab.wait_for_element("#findings a.discuss")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "location.pathname.includes('/findings/') && !!document.getElementById('comment-form')",
        "the finding's page",
    );
    assert!(
        js(&tab, "document.getElementById('discuss-meta').textContent")
            .as_str()
            .unwrap()
            .contains("已排除")
    );
    js(
        &tab,
        "document.getElementById('comment-body').value = '已核实：多列 10 万元'; \
         document.getElementById('comment-form').submit(); true",
    );
    wait_js(
        &tab,
        "location.hash.startsWith('#c') && document.getElementById('comments').textContent.includes('多列 10 万元')",
        "the comment on the finding",
    );
    screenshot(&tab, "finding.png");
    open(&tab, &server.url(&doc_url));
    js(
        &tab,
        "[...document.querySelectorAll('#tables a.cell')].find(a => a.textContent === '110.00').click(); true",
    );
    wait_js(
        &tab,
        "location.pathname.includes('/cells/') && document.getElementById('discuss-meta').textContent.includes('行政运行')",
        "the number's page",
    );
    screenshot(&tab, "cell.png");
    phone(&tab, true);
    open(&tab, &server.url("/alerts"));
    tab.wait_for_element("#alerts").unwrap();
    screenshot(&tab, "alerts-phone.png");
}

#[test]
fn money_table_chart_drill_down_and_download_in_chromium() {
    let Some(chrome) = chromium_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    linked_corpus(dir.path());
    // Generated department budgets and final accounts of 20 units over two years: each document's 支出表 as a
    // CSV file named after the document.
    let out = dir.path().join("corpus/budgets");
    std::fs::create_dir_all(&out).unwrap();
    for g in yusuan::budget::generate::generate(yusuan::budget::generate::Plan {
        units: 20,
        first_year: 2023,
        last_year: 2024,
        seed: 5,
    }) {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_path(out.join(format!("{}.csv", g.title)))
            .unwrap();
        for row in &g.tables[0].rows {
            w.write_record(row.iter().map(|c| c.text.as_str())).unwrap();
        }
        w.flush().unwrap();
    }
    let server = Server::start(started(dir.path()));
    let (browser, _profile) = launch(chrome);
    let tab = browser.new_tab().unwrap();
    log_in(&tab, &server);
    tab.set_default_timeout(Duration::from_secs(30));

    open(&tab, &server.url("/money"));
    tab.wait_for_element("#money-table").unwrap();
    assert!(
        js(&tab, "document.getElementById('money-title').textContent")
            .as_str()
            .unwrap()
            .starts_with("2024年决算支出表")
    );
    assert!(
        js(
            &tab,
            "document.querySelectorAll('#money-table tbody tr').length"
        )
        .as_u64()
        .unwrap()
            >= 5
    );
    assert!(
        js(
            &tab,
            "document.querySelector('#money-table thead').textContent.includes('2023年')"
        )
        .as_bool()
        .unwrap()
    );
    screenshot(&tab, "money.png");

    // Switch to the chart: ECharts draws a canvas, the choice is in the URL, the table stays below.
    tab.wait_for_element("#show-chart")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "location.search.includes('view=chart') && !!document.querySelector('#chart canvas')",
        "the chart",
    );
    assert!(
        js(&tab, "!!document.getElementById('money-table')")
            .as_bool()
            .unwrap()
    );
    assert!(
        js(&tab, "document.querySelector('#chart canvas').height > 100")
            .as_bool()
            .unwrap()
    );
    screenshot(&tab, "money-chart.png");

    // Down three levels through the table's links: 类 → 款 → 项 → units, the chart kept on the way.
    for (digits, level) in [(3, "款"), (5, "项"), (7, "单位")] {
        tab.wait_for_element("#money-table tbody th a")
            .unwrap()
            .click()
            .unwrap();
        wait_js(
            &tab,
            &format!(
                "(new URLSearchParams(location.search).get('code') || '').length === {digits} && !!document.querySelector('#chart canvas')"
            ),
            level,
        );
        assert_eq!(
            js(&tab, "new URLSearchParams(location.search).get('view')"),
            "chart"
        );
        assert_eq!(
            js(&tab, "document.querySelectorAll('#crumbs a').length"),
            (digits / 2 + 1) as u64
        );
        assert!(
            js(&tab, "document.getElementById('money-title').textContent")
                .as_str()
                .unwrap()
                .ends_with(&format!("按{level}")),
            "{level}"
        );
    }
    assert!(
        js(
            &tab,
            "document.querySelector('#money-table thead th').textContent === '单位'"
        )
        .as_bool()
        .unwrap()
    );
    screenshot(&tab, "money-units-chart.png");

    // The CSV download of the shown table.
    let href = js(&tab, "document.getElementById('download-csv').href");
    assert!(href.as_str().unwrap().contains("format=csv"), "{href}");
    // The page's policy allows no fetch from scripts: the link is followed with an API token instead.
    let csv = client_with(&admin_token(&server.state))
        .get(href.as_str().unwrap())
        .send()
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let text = csv.text().unwrap();
    assert!(
        text.starts_with('\u{feff}') && text.contains("合计") && text.contains("增长率"),
        "{text}"
    );

    // 对比分析 from the units under the 项: units × years, the 完成率 of the final accounts against their
    // budgets, the chart, then the axes swapped (years along a line chart).
    let units = js(
        &tab,
        "document.querySelectorAll('#money-table tbody tr').length",
    );
    tab.wait_for_element("#to-compare")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "location.pathname === '/money/compare' && !!document.getElementById('compare-table')",
        "the comparison",
    );
    assert_eq!(
        js(&tab, "new URLSearchParams(location.search).get('rows')"),
        "unit"
    );
    assert!(
        js(
            &tab,
            "document.querySelector('#compare-table thead').textContent"
        )
        .as_str()
        .unwrap()
        .contains("2024年")
    );
    assert_eq!(
        js(
            &tab,
            "document.querySelectorAll('#compare-table tbody tr').length"
        ),
        units,
        "the units under the 项, now over the years"
    );
    screenshot(&tab, "compare.png");
    tab.find_element_by_xpath("//div[@id='measures']/a[text()='完成率']")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "new URLSearchParams(location.search).get('measure') === 'rate' && !!document.getElementById('compare-table')",
        "the 完成率",
    );
    assert!(
        js(
            &tab,
            "[...document.querySelectorAll('#compare-table tbody td')].some(td => /^\\d+\\.\\d%$/.test(td.textContent))"
        )
        .as_bool()
        .unwrap(),
        "rates in percent"
    );
    tab.wait_for_element("#show-chart")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "location.search.includes('view=chart') && !!document.querySelector('#chart canvas')",
        "the comparison chart",
    );
    screenshot(&tab, "compare-rate-chart.png");
    tab.wait_for_element("#swap").unwrap().click().unwrap();
    wait_js(
        &tab,
        "new URLSearchParams(location.search).get('rows') === 'year' && !!document.querySelector('#chart canvas')",
        "the axes swapped",
    );
    assert_eq!(
        js(
            &tab,
            "JSON.parse(document.getElementById('compare-data').textContent).kind"
        ),
        "line"
    );
    screenshot(&tab, "compare-years-chart.png");

    // A phone: chart and table fit the width.
    phone(&tab, true);
    open(&tab, &server.url("/money?view=chart"));
    wait_js(
        &tab,
        "!!document.querySelector('#chart canvas')",
        "the chart on a phone",
    );
    assert_eq!(
        js(
            &tab,
            "document.documentElement.scrollWidth <= window.innerWidth + 1"
        ),
        Value::Bool(true)
    );
    screenshot(&tab, "money-chart-phone.png");
    open(&tab, &server.url("/money"));
    tab.wait_for_element("#money-table").unwrap();
    assert_eq!(
        js(
            &tab,
            "document.documentElement.scrollWidth <= window.innerWidth + 1"
        ),
        Value::Bool(true)
    );
    screenshot(&tab, "money-phone.png");
    open(
        &tab,
        &server.url("/money/compare?rows=unit&code=2080505&view=chart"),
    );
    wait_js(
        &tab,
        "!!document.querySelector('#chart canvas')",
        "the comparison on a phone",
    );
    assert_eq!(
        js(
            &tab,
            "document.documentElement.scrollWidth <= window.innerWidth + 1"
        ),
        Value::Bool(true)
    );
    screenshot(&tab, "compare-phone.png");
    phone(&tab, false);
}

#[test]
fn execution_dashboard_drill_down_and_a_pace_warning_in_chromium() {
    let Some(chrome) = chromium_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    linked_corpus(dir.path());
    let state = started(dir.path());
    // Nine months of a generated province of 80 budget units, pushed as the finance system would.
    let g = yusuan::budget::execution::generate::Generated::new(
        yusuan::budget::execution::generate::ExecPlan {
            units: 80,
            year: 2025,
            seed: 3,
            planted: 0.05,
        },
    );
    for m in 1..=9u8 {
        let bytes = yusuan::budget::execution::generate::csv(&g.month(m));
        let outcome = yusuan::budget::execution::submit(
            &state.lib,
            yusuan::budget::execution::Submission {
                id: format!("2025-{m:02}"),
                seq: m as u64,
                source: "市财政局预算执行系统".into(),
                by: "test".into(),
                format: yusuan::budget::execution::parse::Format::Csv,
                unit: yusuan::budget::recognise::MoneyUnit::Wanyuan,
                bytes: &bytes,
            },
        )
        .unwrap();
        assert!(matches!(
            outcome,
            yusuan::budget::execution::Outcome::Applied(_)
        ));
    }
    let server = Server::start(state);
    let (browser, _profile) = launch(chrome);
    let tab = browser.new_tab().unwrap();
    log_in(&tab, &server);
    tab.set_default_timeout(Duration::from_secs(30));

    open(&tab, &server.url("/money"));
    tab.wait_for_element("#to-execution")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "location.pathname === '/money/execution' && !!document.querySelector('#chart canvas')",
        "the execution dashboard",
    );
    let summary = js(
        &tab,
        "document.getElementById('execution-summary').textContent",
    );
    assert!(
        summary
            .as_str()
            .unwrap()
            .starts_with("2025年截至9月：时间进度 75.0%"),
        "{summary}"
    );
    assert!(
        js(
            &tab,
            "document.querySelectorAll('#by-table tbody tr').length"
        )
        .as_u64()
        .unwrap()
            >= 20
    );
    assert!(
        js(
            &tab,
            "document.querySelectorAll('#behind-table tbody tr').length"
        )
        .as_u64()
        .unwrap()
            == 10
    );
    screenshot(&tab, "execution.png");
    phone(&tab, true);
    open(&tab, &server.url("/money/execution"));
    tab.wait_for_element("#by-table").unwrap();
    screenshot(&tab, "execution-phone.png");
    phone(&tab, false);

    // An earlier month from the month chips; then a department, its units, and one unit's 类.
    open(&tab, &server.url("/money/execution"));
    tab.wait_for_element("#months a").unwrap().click().unwrap();
    wait_js(
        &tab,
        "new URLSearchParams(location.search).get('month') === '1'",
        "January",
    );
    tab.wait_for_element("#by-table tbody th a")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "!!new URLSearchParams(location.search).get('department') && document.querySelector('#by-table thead th').textContent === '预算单位'",
        "a department's units",
    );
    tab.wait_for_element("#by-table tbody th a")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "!!new URLSearchParams(location.search).get('unit')",
        "a unit",
    );
    assert_eq!(
        js(&tab, "new URLSearchParams(location.search).get('month')"),
        "1"
    );
    for (digits, what) in [(3, "a 类"), (5, "its 款")] {
        tab.wait_for_element("#subject-table tbody th a")
            .unwrap()
            .click()
            .unwrap();
        wait_js(
            &tab,
            &format!(
                "(new URLSearchParams(location.search).get('code') || '').length === {digits}"
            ),
            what,
        );
    }
    assert!(
        js(&tab, "document.querySelectorAll('#crumbs a').length")
            .as_u64()
            .unwrap()
            == 6,
        "全部部门 › department › unit › 全部科目 › 类 › 款"
    );

    // The whole province as of September: dismiss the first pace warning with a note; it stays dismissed.
    open(&tab, &server.url("/money/execution"));
    let before = js(
        &tab,
        "document.querySelectorAll('#findings-list li').length",
    )
    .as_u64()
    .unwrap();
    assert!(before > 0, "planted problems give warnings");
    tab.wait_for_element("#findings-list li input[name=note]")
        .unwrap()
        .type_into("学校基建工程按合同节点付款")
        .unwrap();
    tab.wait_for_element("#findings-list li button[value=dismiss]")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "location.hash === '#findings' && document.querySelector('#findings-list li').textContent.includes('已排除')",
        "the dismissed warning",
    );
    assert!(
        js(
            &tab,
            "document.querySelector('#findings-list li').textContent.includes('学校基建工程按合同节点付款')"
        )
        .as_bool()
        .unwrap()
    );
    screenshot(&tab, "execution-findings.png");
}

/// A day in the office: the server runs; a folder is ingested from the command line and a ZIP through the
/// web page while searches go on; a document is replaced and another removed from their pages; the landing
/// page shows what happened. Screenshots at laptop and phone widths.
#[test]
fn a_day_in_the_office_with_the_server_running_in_chromium() {
    let Some(chrome) = chromium_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus(dir.path());
    write(
        &corpus,
        "samples/示例市预算审查监督条例.md",
        "# 示例市预算审查监督条例\n\n【示例文档】\n\n第一条 为了加强预算审查监督，制定本条例。\n",
    );
    let data = dir.path().join("index");
    let server = serve_process(&data, &corpus);
    // Searches of a script run all day long, with a token made on the command line.
    yusuan_ok(
        &data,
        &corpus,
        &["user", "add", "script", "--role", "staff"],
    );
    let token = yusuan_ok(&data, &corpus, &["user", "token", "script"])
        .lines()
        .nth(1)
        .unwrap()
        .trim()
        .to_string();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let searching = {
        let (stop, base, token) = (stop.clone(), server.base.clone(), token.clone());
        std::thread::spawn(move || {
            let http = reqwest::blocking::Client::new();
            let mut statuses = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let r = http
                    .get(format!("{base}/api/search?q={}", enc("预算 审查")))
                    .bearer_auth(&token)
                    .send()
                    .unwrap();
                statuses.push(r.status().as_u16());
                std::thread::sleep(Duration::from_millis(20));
            }
            statuses
        })
    };

    let (browser, _profile) = launch(chrome);
    let tab = browser.new_tab().unwrap();
    log_in_at(&tab, &server.base);
    // The first start brought the demonstration samples, marked as such.
    open(&tab, &format!("{}/", server.base));
    wait_js(
        &tab,
        "!!document.getElementById('samples-notice') || (location.reload(), false)",
        "the samples notice",
    );
    screenshot(&tab, "office-samples.png");

    // Morning: a folder of new rules from the command line, while the server serves.
    write(
        dir.path(),
        "新到文件/示范绩效管理办法.md",
        "# 示范绩效管理办法\n\n第一条 预算绩效目标应当与预算同步编制、同步审核。\n\n第二条 绩效评价结果应当作为安排预算的重要依据。\n",
    );
    write(
        dir.path(),
        "新到文件/示范债务管理办法.md",
        "# 示范债务管理办法\n\n第一条 政府债务实行限额管理。\n",
    );
    let out = yusuan_ok(
        &data,
        &corpus,
        &["ingest", dir.path().join("新到文件").to_str().unwrap()],
    );
    assert!(out.contains("新增 2"), "{out}");

    // A ZIP of a hearing's papers through the web page.
    let zip = {
        use std::io::Write;
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default();
            for (name, text) in [
                (
                    "听证材料/关于翡翠湾项目绩效的说明.txt",
                    "关于翡翠湾项目绩效的说明\n\n翡翠湾项目绩效目标全部完成。\n",
                ),
                (
                    "听证材料/附件/翡翠湾项目资金明细说明.txt",
                    "翡翠湾项目资金明细说明\n\n资金拨付及时。\n",
                ),
            ] {
                w.start_file(name, opts).unwrap();
                w.write_all(text.as_bytes()).unwrap();
            }
            w.finish().unwrap();
        }
        buf.into_inner()
    };
    let zip_path = dir.path().join("听证材料.zip");
    std::fs::write(&zip_path, zip).unwrap();
    open(&tab, &format!("{}/ingest", server.base));
    tab.wait_for_element("#files")
        .unwrap()
        .set_input_files(&[zip_path.to_str().unwrap()])
        .unwrap();
    tab.wait_for_element("#upload").unwrap().click().unwrap();
    wait_js(
        &tab,
        "location.pathname.startsWith('/tasks/') && !!document.getElementById('task-status') && document.getElementById('task-status').textContent === '已完成'",
        "the ZIP's task to finish",
    );
    let files = js(&tab, "document.getElementById('task-files').textContent");
    let files = files.as_str().unwrap();
    assert!(
        files.contains("听证材料.zip/听证材料/附件/翡翠湾项目资金明细说明.txt"),
        "{files}"
    );
    assert_eq!(files.matches("已入库").count(), 2, "{files}");
    // Real papers are in: the task page offers to remove the samples.
    wait_js(
        &tab,
        "!!document.getElementById('remove-samples')",
        "the offer to remove the samples",
    );
    screenshot(&tab, "office-zip-task.png");

    // A revised rule replaces the one that came in the morning, from its page.
    let revised = write(
        dir.path(),
        "修订/示范绩效管理办法（修订）.md",
        "# 示范绩效管理办法\n\n第一条 预算绩效目标应当与预算同步编制、同步审核、同步批复。\n",
    );
    open(
        &tab,
        &format!("{}/search?q={}&unit=document", server.base, enc("同步审核")),
    );
    tab.wait_for_element(".hit .name").unwrap().click().unwrap();
    wait_js(
        &tab,
        "!!document.getElementById('replace-form')",
        "the document page",
    );
    js(&tab, "document.getElementById('replace').open = true");
    tab.wait_for_element("#replace-form input[type=file]")
        .unwrap()
        .set_input_files(&[revised.to_str().unwrap()])
        .unwrap();
    js(
        &tab,
        "document.querySelector('#replace-form [name=confirm]').value = '替换'; document.getElementById('replace-form').requestSubmit(); true",
    );
    wait_js(
        &tab,
        "!!document.getElementById('replace-note') && document.getElementById('replace-note').textContent.includes('已替换原文档')",
        "the replacement to finish",
    );
    screenshot(&tab, "office-replaced.png");

    // The debt rule was filed by mistake: removed from its page.
    open(
        &tab,
        &format!("{}/search?q={}&unit=document", server.base, enc("限额管理")),
    );
    tab.wait_for_element(".hit .name").unwrap().click().unwrap();
    wait_js(
        &tab,
        "!!document.getElementById('remove-form')",
        "the document page",
    );
    js(
        &tab,
        "document.getElementById('remove').open = true; document.querySelector('#remove-form [name=confirm]').value = '删除'; document.getElementById('remove-form').requestSubmit(); true",
    );
    wait_js(
        &tab,
        "location.pathname === '/'",
        "back on the landing page",
    );

    // The landing page: the ZIP's papers and the revised rule among the newest; the removed rule gone.
    let recent = js(&tab, "document.getElementById('home-recent').textContent");
    let recent = recent.as_str().unwrap();
    assert!(recent.contains("翡翠湾项目资金明细说明"), "{recent}");
    assert!(recent.contains("示范绩效管理办法"), "{recent}");
    assert!(!recent.contains("示范债务管理办法"), "{recent}");
    // The samples go with one click (and the browser's confirmation).
    js(
        &tab,
        "window.confirm = () => true; document.getElementById('remove-samples').click(); true",
    );
    wait_js(
        &tab,
        "location.pathname === '/' && document.readyState === 'complete' && !document.getElementById('samples-notice')",
        "the samples removed",
    );
    let recent = js(&tab, "document.getElementById('home-recent').textContent");
    assert!(!recent.as_str().unwrap().contains("示例市"), "{recent}");
    screenshot(&tab, "office-home.png");
    phone(&tab, true);
    open(&tab, &format!("{}/", server.base));
    screenshot(&tab, "office-home-phone.png");
    phone(&tab, false);

    // The searches of the day all succeeded, and the command line sees what the web did.
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let statuses = searching.join().unwrap();
    assert!(statuses.len() > 10, "{}", statuses.len());
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let found = yusuan_ok(&data, &corpus, &["search", "同步批复"]);
    assert!(found.contains("示范绩效管理办法"), "{found}");
    assert!(yusuan_ok(&data, &corpus, &["search", "限额管理"]).contains("共 0 条结果"));
}

#[test]
fn comments_inbox_and_a_consultation_between_staff_and_a_deputy_in_chromium() {
    let Some(chrome) = chromium_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let server = Server::start(started(dir.path()));
    let store = server.state.lib.store();
    let add = |name: &str, role, deputy: Option<&str>, password: &str| {
        yusuan::auth::accounts::add_user(store, name, role, deputy, Some(password)).unwrap();
    };
    add(
        "wang",
        yusuan::auth::Role::Staff,
        None,
        "wang-password-2026",
    );
    add(
        "qian",
        yusuan::auth::Role::Deputy,
        Some("钱某"),
        "qian-password-2026",
    );
    let law = store
        .doc_ids()
        .unwrap()
        .into_iter()
        .filter_map(|id| store.get_meta(&id).unwrap())
        .filter(|d| d.title == "中华人民共和国示范预算法")
        .max_by_key(|d| d.version_date)
        .unwrap()
        .id;
    let law_url = server.url(&format!("/documents/{}", enc(law.as_str())));

    // The staff member comments on the law and names the deputy.
    let (staff_browser, _staff_profile) = launch(chrome);
    let tab = staff_browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(30));
    log_in_as(&tab, &server.base, "wang", "wang-password-2026");
    open(&tab, &law_url);
    tab.wait_for_element("#comment-form").unwrap();
    js(
        &tab,
        "document.getElementById('comment-body').value = '请 @qian 看一下《示范预算法》第四十六条，细化到项的要求。'; \
         document.getElementById('comment-form').submit(); true",
    );
    wait_js(
        &tab,
        "location.hash.startsWith('#c') && !!document.querySelector('#comments .mention')",
        "the posted comment",
    );
    assert_eq!(
        js(
            &tab,
            "document.querySelector('#comments .cite').getAttribute('href').startsWith('/articles/')"
        ),
        true
    );

    // The deputy, in a browser of their own, sees the unread count, the inbox, and answers.
    let (deputy_browser, _deputy_profile) = launch(chromium().unwrap());
    let dtab = deputy_browser.new_tab().unwrap();
    dtab.set_default_timeout(Duration::from_secs(30));
    log_in_as(&dtab, &server.base, "qian", "qian-password-2026");
    assert_eq!(
        js(&dtab, "document.getElementById('unread').textContent"),
        "1"
    );
    dtab.wait_for_element("#inbox").unwrap().click().unwrap();
    wait_js(
        &dtab,
        "location.pathname === '/inbox' && document.querySelectorAll('.notice.unread').length === 1",
        "the inbox with one unread notice",
    );
    assert!(
        js(&dtab, "document.querySelector('.notice').textContent")
            .as_str()
            .unwrap()
            .contains("wang 提到了你")
    );
    screenshot(&dtab, "inbox.png");
    js(
        &dtab,
        "document.querySelector('.notice-open').click(); true",
    );
    wait_js(
        &dtab,
        "location.pathname.startsWith('/documents/') && location.hash.startsWith('#c') && !document.getElementById('unread')",
        "the comment opened and the notice read",
    );
    js(
        &dtab,
        "var f = document.querySelector('#comments .comment form[action=\"/comments\"]'); \
         f.querySelector('textarea').value = '收到。建议同时核对科目编码。'; f.submit(); true",
    );
    wait_js(
        &dtab,
        "!!document.querySelector('#comments .comment.depth-1') && document.querySelector('#comments .comment.depth-1').textContent.includes('回复 wang')",
        "the reply under the comment",
    );
    screenshot(&dtab, "comments.png");

    // The staff member is told of the reply.
    open(&tab, &server.url("/inbox"));
    wait_js(
        &tab,
        "document.getElementById('unread') && document.getElementById('unread').textContent === '1' && document.querySelector('.notice.unread').textContent.includes('qian 回复了你')",
        "the reply in the staff member's inbox",
    );

    // The deputy asks a question; the staff member answers with a cited article.
    open(&dtab, &server.url("/consultations"));
    dtab.wait_for_element("#ask-form").unwrap();
    js(
        &dtab,
        "document.getElementById('ask-title').value = '预算草案要细化到哪一级'; \
         document.getElementById('ask-body').value = '初步审查时，一般公共预算支出应当细化到哪一级？'; \
         document.getElementById('ask-form').submit(); true",
    );
    wait_js(
        &dtab,
        "location.pathname.startsWith('/consultations/') && document.getElementById('consultation-title').textContent === '预算草案要细化到哪一级'",
        "the question's own page",
    );
    let ask_path = js(&dtab, "location.pathname").as_str().unwrap().to_string();
    open(&tab, &server.url("/consultations"));
    wait_js(
        &tab,
        "document.querySelector('#consultations tbody tr') && document.querySelector('#consultations tbody tr').textContent.includes('待答复')",
        "the question waiting in the staff member's list",
    );
    open(&tab, &server.url(&ask_path));
    tab.wait_for_element("#comment-form").unwrap();
    js(
        &tab,
        "document.getElementById('comment-body').value = '依照《示范预算法》第四十六条，本级一般公共预算支出按功能分类编列到项。'; \
         document.getElementById('comment-form').submit(); true",
    );
    wait_js(
        &tab,
        "document.querySelectorAll('#comments .comment').length === 2",
        "the answer",
    );
    open(&dtab, &server.url("/inbox"));
    wait_js(
        &dtab,
        "document.querySelector('.notice.unread') && document.querySelector('.notice.unread').textContent.includes('咨询')",
        "the answer in the deputy's inbox",
    );
    js(
        &dtab,
        "document.querySelector('.notice.unread .notice-open').click(); true",
    );
    wait_js(
        &dtab,
        &format!(
            "location.pathname === '{ask_path}' && !!document.querySelector('#comments .cite')"
        ),
        "the answer with its cited article linked",
    );
    screenshot(&dtab, "consultation.png");
    // Staff-only controls are not on the deputy's page; the deputy may close their own question.
    assert_eq!(
        js(&dtab, "!!document.getElementById('close-consultation')"),
        true
    );

    // The staff member marks the article that answers a question; the deputy, asking it in other words,
    // sees it answered above the results.
    open(
        &tab,
        &server.url(&format!("/search?q={}", enc("预算草案应当细化到什么程度"))),
    );
    tab.wait_for_element(".answer-form").unwrap();
    js(
        &tab,
        "var h = Array.from(document.querySelectorAll('.hit')).find(function (h) { return h.querySelector('.name').textContent.includes('第四十六条'); }); \
         h.querySelector('.answer-form button').click(); true",
    );
    wait_js(
        &tab,
        "Array.from(document.querySelectorAll('.hit')).some(function (h) { return h.textContent.includes('已标为答案') && h.querySelector('.name').textContent.includes('第四十六条'); })",
        "the hit marked as the answer",
    );
    screenshot(&tab, "search-answer-marked.png");
    open(
        &dtab,
        &server.url(&format!("/search?q={}", enc("预算草案要细化到什么程度？"))),
    );
    wait_js(
        &dtab,
        "!!document.getElementById('answered-before') && document.getElementById('answered-before').textContent.includes('第四十六条') && !document.querySelector('.answer-form')",
        "the answered question above the deputy's results",
    );
    screenshot(&dtab, "search-answered-before.png");
}

#[test]
fn a_working_collection_built_by_staff_and_shared_with_a_deputy_in_chromium() {
    let Some(chrome) = chromium_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let server = Server::start(started(dir.path()));
    let store = server.state.lib.store();
    for (name, role, deputy, password) in [
        (
            "wang",
            yusuan::auth::Role::Staff,
            None,
            "wang-password-2026",
        ),
        (
            "qian",
            yusuan::auth::Role::Deputy,
            Some("钱某"),
            "qian-password-2026",
        ),
    ] {
        yusuan::auth::accounts::add_user(store, name, role, deputy, Some(password)).unwrap();
    }
    let law = store
        .doc_ids()
        .unwrap()
        .into_iter()
        .filter_map(|id| store.get_meta(&id).unwrap())
        .filter(|d| d.title == "中华人民共和国示范预算法")
        .max_by_key(|d| d.version_date)
        .unwrap()
        .id;
    let article = store
        .articles_of(&law)
        .unwrap()
        .into_iter()
        .find(|a| a.label == "第四十六条")
        .unwrap()
        .id;

    // The staff member collects the article into a new collection, from the article's page.
    let (staff_browser, _staff_profile) = launch(chrome);
    let tab = staff_browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(30));
    log_in_as(&tab, &server.base, "wang", "wang-password-2026");
    open(
        &tab,
        &server.url(&format!("/articles/{}", enc(article.as_str()))),
    );
    tab.wait_for_element("#collect").unwrap().click().unwrap();
    wait_js(
        &tab,
        "location.pathname === '/workpapers/collect' && !!document.getElementById('collect-form')",
        "the collect page",
    );
    assert_eq!(
        js(&tab, "document.getElementById('collect-paper').value"),
        "new"
    );
    js(
        &tab,
        "document.getElementById('collect-new').value = '2025年预算草案初审'; \
         document.getElementById('collect-note').value = '重点：支出按功能分类编列到项'; \
         document.getElementById('collect-form').submit(); true",
    );
    wait_js(
        &tab,
        "/^\\/workpapers\\/\\d+$/.test(location.pathname) && document.querySelectorAll('#items .wp-item').length === 1",
        "the new collection with the article",
    );
    let paper_path = js(&tab, "location.pathname").as_str().unwrap().to_string();

    // Then a search, into the same collection, and the same search saved for alerts.
    open(&tab, &server.url(&format!("/search?q={}", enc("预算草案"))));
    tab.wait_for_element("#collect-search")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "location.pathname === '/workpapers/collect' && document.getElementById('collect-paper').value !== 'new'",
        "the collect page offering the collection",
    );
    js(
        &tab,
        "document.getElementById('collect-form').submit(); true",
    );
    wait_js(
        &tab,
        "document.querySelectorAll('#items .wp-item').length === 2",
        "the search collected",
    );
    open(&tab, &server.url(&format!("/search?q={}", enc("预算草案"))));
    tab.wait_for_element("#save-search")
        .unwrap()
        .click()
        .unwrap();
    wait_js(
        &tab,
        "location.pathname === '/workpapers' && document.querySelectorAll('#saved-searches li').length === 1",
        "the saved search listed",
    );

    // Shared with the deputy to edit.
    open(&tab, &server.url(&paper_path));
    js(
        &tab,
        "document.getElementById('share-to').value = 'qian'; \
         document.getElementById('share-access').value = 'edit'; \
         document.getElementById('share-form').submit(); true",
    );
    wait_js(
        &tab,
        "!!document.getElementById('shares') && document.getElementById('shares').textContent.includes('qian')",
        "the share listed",
    );
    screenshot(&tab, "workpaper.png");

    // The deputy hears of it, opens it, and puts the search first.
    let (deputy_browser, _deputy_profile) = launch(chromium().unwrap());
    let dtab = deputy_browser.new_tab().unwrap();
    dtab.set_default_timeout(Duration::from_secs(30));
    log_in_as(&dtab, &server.base, "qian", "qian-password-2026");
    dtab.wait_for_element("#inbox").unwrap().click().unwrap();
    wait_js(
        &dtab,
        "location.pathname === '/inbox' && document.querySelector('.notice').textContent.includes('共享了工作底稿')",
        "the share notice",
    );
    js(
        &dtab,
        "document.querySelector('.notice-open').click(); true",
    );
    wait_js(
        &dtab,
        &format!(
            "location.pathname === '{paper_path}' && document.querySelectorAll('#items .wp-item').length === 2"
        ),
        "the shared collection",
    );
    assert!(
        js(
            &dtab,
            "document.querySelector('#items .wp-note').textContent"
        )
        .as_str()
        .unwrap()
        .contains("编列到项")
    );
    assert_eq!(
        js(&dtab, "!!document.getElementById('share-form')"),
        false,
        "only the owner shares"
    );
    js(
        &dtab,
        "document.querySelectorAll('#items .wp-item')[1].querySelector('button[value=up]').click(); true",
    );
    wait_js(
        &dtab,
        "document.querySelector('#items .wp-item .tag').textContent === '检索'",
        "the search moved first",
    );
    // The Word file the page links to downloads for the deputy (the page's policy allows no fetch from
    // scripts: the link is followed with the deputy's API token).
    let href = js(&dtab, "document.getElementById('export-docx').href");
    let token = yusuan::auth::accounts::create_token(store, "qian", None, "tests")
        .unwrap()
        .1;
    let docx = client_with(&token)
        .get(href.as_str().unwrap())
        .send()
        .unwrap();
    assert_eq!(docx.status(), 200);
    assert_eq!(
        docx.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let bytes = docx.bytes().unwrap();
    let text = yusuan::ingest::extract::extract(
        std::path::Path::new("底稿.docx"),
        &bytes,
        &yusuan::ingest::extract::ExtractOptions::default(),
    )
    .unwrap()
    .text;
    assert!(
        text.contains("2025年预算草案初审") && text.contains("重点：支出按功能分类编列到项"),
        "{text}"
    );
    screenshot(&dtab, "workpaper-deputy.png");
}
