//! Accounts and access through the real router and a real server: the first administrator, login with
//! signed cookies, one-time passwords, CSRF on forms, login rate limiting, roles per route, API tokens
//! scoped by role, the anonymous setting, the audit log and its export, and the `yusuan user` commands.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use tower::ServiceExt;
use yusuan::auth::accounts::{self, Settings};
use yusuan::auth::audit::{self, AuditAction, AuditFilter};
use yusuan::auth::{Role, Viewer};
use yusuan::web::{self, AppState};

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
    bytes: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }
    /// The `name=value` of a Set-Cookie header for this cookie.
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with(&format!("{name}=")))
    }
}

fn send(state: &AppState, req: Request<Body>) -> Reply {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let resp = web::router(state.clone()).oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&body).to_string(),
            bytes: body.to_vec(),
        }
    })
}

/// A browser-like client: keeps the cookies the server sets.
struct Client<'a> {
    state: &'a AppState,
    cookies: Vec<(String, String)>,
}

impl<'a> Client<'a> {
    fn new(state: &'a AppState) -> Client<'a> {
        Client {
            state,
            cookies: Vec::new(),
        }
    }

    fn keep(&mut self, r: &Reply) {
        for v in r.headers.get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != k);
            if !val.is_empty() {
                self.cookies.push((k.to_string(), val.to_string()));
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn get(&mut self, uri: &str) -> Reply {
        let r = send(
            self.state,
            Request::get(uri)
                .header(header::COOKIE, self.cookie_header())
                .body(Body::empty())
                .unwrap(),
        );
        self.keep(&r);
        r
    }

    fn post_form(&mut self, uri: &str, fields: &[(&str, &str)]) -> Reply {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let r = send(
            self.state,
            Request::post(uri)
                .header(header::COOKIE, self.cookie_header())
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        );
        self.keep(&r);
        r
    }

    /// Loads the login form and submits it.
    fn log_in(&mut self, name: &str, password: &str) -> Reply {
        self.log_in_to(name, password, "/search")
    }

    /// Loads the login form and submits it with `next`.
    fn log_in_to(&mut self, name: &str, password: &str, next: &str) -> Reply {
        let form = self.get("/login?next=%2Fsearch");
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        let token = hidden(&form.body, "form_token");
        self.post_form(
            "/login",
            &[
                ("name", name),
                ("password", password),
                ("next", next),
                ("form_token", &token),
            ],
        )
    }
}

/// The value of a hidden input in a page.
fn hidden(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&key)
        .unwrap_or_else(|| panic!("no hidden {name} in {html}"))
        + key.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

fn fixture(dir: &Path) -> AppState {
    corpus(dir);
    started(dir)
}

fn with_viewer(mut req: Request<Body>, v: Viewer) -> Request<Body> {
    req.extensions_mut().insert(v);
    req
}

fn bearer_get(state: &AppState, uri: &str, token: &str) -> Reply {
    send(
        state,
        Request::get(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap(),
    )
}

fn bearer_post_json(state: &AppState, uri: &str, token: &str, json: &str) -> Reply {
    send(
        state,
        Request::post(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json.to_string()))
            .unwrap(),
    )
}

fn law_doc_id(state: &AppState) -> String {
    let r = yusuan::search::search(
        &state.lib,
        &yusuan::search::SearchRequest {
            q: "示范预算法".into(),
            unit: yusuan::model::Unit::Document,
            limit: 10,
            ..yusuan::search::SearchRequest::default()
        },
    );
    let r = r.unwrap();
    r.hits[0].doc_id.to_string()
}

#[test]
fn nothing_is_readable_without_login_by_default_and_the_setting_opens_public_reading() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    // Pages send the visitor to the login form, keeping where they wanted to go.
    let r = send(
        &state,
        Request::get("/search?q=预算").body(Body::empty()).unwrap(),
    );
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        r.header("location").starts_with("/login?next=%2Fsearch"),
        "{}",
        r.header("location")
    );
    // The API answers 401 in JSON.
    let r = send(
        &state,
        Request::get("/api/search?q=预算")
            .body(Body::empty())
            .unwrap(),
    );
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("\"unauthorized\""), "{}", r.body);
    // Health and the login page stay open.
    assert_eq!(
        send(
            &state,
            Request::get("/api/health").body(Body::empty()).unwrap()
        )
        .status,
        StatusCode::OK
    );
    assert_eq!(
        send(&state, Request::get("/login").body(Body::empty()).unwrap()).status,
        StatusCode::OK
    );

    state
        .save_settings(Settings {
            allow_anonymous: true,
            ..Default::default()
        })
        .unwrap();
    let r = send(
        &state,
        Request::get("/api/search?q=预算")
            .body(Body::empty())
            .unwrap(),
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("示范预算法"));
    // Reading is open, writing and staff pages are not.
    let r = send(&state, Request::get("/ingest").body(Body::empty()).unwrap());
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let id = law_doc_id(&state);
    let r = send(
        &state,
        Request::post(format!("/api/documents/{id}/access"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"access":"restricted"}"#))
            .unwrap(),
    );
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
}

#[test]
fn login_sets_a_signed_httponly_strict_cookie_and_logout_ends_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let mut c = Client::new(&state);
    let r = c.log_in("admin", ADMIN_PASSWORD);
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.header("location"), "/search");
    let set = r.cookie("yusuan_session").expect("session cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"),
        "{set}"
    );
    let page = c.get("/search?q=预算");
    assert_eq!(page.status, StatusCode::OK);
    // The header shows the account, an upload link for staff and the administration link.
    assert!(
        page.body.contains("id=\"account\"") && page.body.contains("href=\"/admin\""),
        "{}",
        page.body
    );

    // A forged or altered cookie is not a session.
    let (_, value) = c
        .cookies
        .iter()
        .find(|(k, _)| k == "yusuan_session")
        .unwrap()
        .clone();
    let (sid, mac) = value.rsplit_once('.').unwrap();
    let mut other = sid.to_string();
    other.replace_range(0..1, if sid.starts_with('a') { "b" } else { "a" });
    for forged in [
        format!("{other}.{mac}"),
        sid.to_string(),
        format!("{sid}.{}", "0".repeat(64)),
    ] {
        let r = send(
            &state,
            Request::get("/api/search?q=预算")
                .header(header::COOKIE, format!("yusuan_session={forged}"))
                .body(Body::empty())
                .unwrap(),
        );
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "forged {forged}");
    }

    // Logout needs the form's CSRF token like every other form.
    let r = c.post_form("/logout", &[]);
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let token = hidden(&page.body, "csrf");
    let r = c.post_form("/logout", &[("csrf", &token)]);
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // The old cookie no longer works even if replayed.
    let r = send(
        &state,
        Request::get("/api/search?q=预算")
            .header(header::COOKIE, format!("yusuan_session={value}"))
            .body(Body::empty())
            .unwrap(),
    );
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[test]
fn a_login_form_from_elsewhere_and_wrong_passwords_are_refused_and_rate_limited() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    // Without the cookie that the login form sets, a posted login is refused.
    let mut c = Client::new(&state);
    let r = c.post_form(
        "/login",
        &[
            ("name", "admin"),
            ("password", ADMIN_PASSWORD),
            ("form_token", "x"),
        ],
    );
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.cookie("yusuan_session").is_none());

    for _ in 0..5 {
        let r = Client::new(&state).log_in("admin", "wrong password 123");
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.body.contains("用户名或密码不正确"));
    }
    // The sixth attempt is refused even with the right password.
    let r = Client::new(&state).log_in("admin", ADMIN_PASSWORD);
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.body.contains("登录失败次数过多"));
    assert!(r.cookie("yusuan_session").is_none());
    // Another account is not locked by the failures of this one.
    accounts::add_user(
        state.lib.store(),
        "li",
        Role::Staff,
        None,
        Some("另一个工作人员的密码"),
    )
    .unwrap();
    let r = Client::new(&state).log_in("li", "另一个工作人员的密码");
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    let failed = audit::recent(
        state.lib.store(),
        &AuditFilter {
            action: Some(AuditAction::LoginFailed),
            ..Default::default()
        },
        100,
    )
    .unwrap();
    assert_eq!(failed.len(), 6, "{failed:?}");
    assert!(failed.iter().all(|e| e.user.as_deref() == Some("admin")));
}

#[test]
fn every_post_form_carries_the_csrf_token_and_a_post_without_it_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let mut c = Client::new(&state);
    c.log_in("admin", ADMIN_PASSWORD);
    let id = law_doc_id(&state);
    let page = c.get(&format!("/documents/{id}"));
    assert_eq!(page.status, StatusCode::OK);
    // Each POST form of the pages gets the hidden token.
    for uri in [
        format!("/documents/{id}"),
        "/account".into(),
        "/admin".into(),
        "/search".into(),
    ] {
        let p = c.get(&uri);
        let forms = p.body.matches("method=\"post\"").count();
        assert!(forms >= 1, "{uri} has a logout form at least");
        assert_eq!(p.body.matches("name=\"csrf\"").count(), forms, "{uri}");
    }
    let token = hidden(&page.body, "csrf");
    let before = state.lib.store().list_users().unwrap().len();
    let r = c.post_form("/admin/users", &[("name", "wang"), ("role", "staff")]);
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = c.post_form(
        "/admin/users",
        &[
            ("name", "wang"),
            ("role", "staff"),
            ("csrf", "not-the-token"),
        ],
    );
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(state.lib.store().list_users().unwrap().len(), before);
    let r = c.post_form(
        "/admin/users",
        &[("name", "wang"), ("role", "staff"), ("csrf", &token)],
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("一次性密码"));
    assert_eq!(state.lib.store().list_users().unwrap().len(), before + 1);
    // The upload form carries the token in its action URL (its body is a file).
    let ingest = c.get("/ingest");
    assert!(
        ingest
            .body
            .contains(&format!("action=\"/ingest?csrf={token}\"")),
        "{}",
        ingest.body
    );
    // The token is bound to the session: another session's token is refused.
    let mut other = Client::new(&state);
    other.log_in("admin", ADMIN_PASSWORD);
    let r = other.post_form(
        "/admin/users",
        &[("name", "zhao"), ("role", "staff"), ("csrf", &token)],
    );
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let denied = audit::recent(
        state.lib.store(),
        &AuditFilter {
            action: Some(AuditAction::Denied),
            ..Default::default()
        },
        100,
    )
    .unwrap();
    assert!(
        denied.iter().filter(|e| e.detail == "CSRF").count() >= 3,
        "{denied:?}"
    );
}

#[test]
fn a_one_time_password_must_be_changed_before_anything_else() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let made = accounts::add_user(state.lib.store(), "zhou", Role::Staff, None, None).unwrap();
    let otp = made.one_time_password.unwrap();
    let mut c = Client::new(&state);
    let r = c.log_in("zhou", &otp);
    assert_eq!(r.header("location"), "/account");
    let r = c.get("/search?q=预算");
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("location"), "/account");
    let page = c.get("/account");
    assert!(page.body.contains("id=\"must-change\""));
    let token = hidden(&page.body, "csrf");
    // Mismatched or too short passwords are refused with a message.
    let r = c.post_form(
        "/account/password",
        &[
            ("csrf", &token),
            ("password", &otp),
            ("new_password", "短密码"),
            ("new_password2", "短密码"),
        ],
    );
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("密码须为"), "{}", r.body);
    let r = c.post_form(
        "/account/password",
        &[
            ("csrf", &token),
            ("password", &otp),
            ("new_password", "周的新密码很安全而且够长"),
            ("new_password2", "周的新密码很安全而且够长"),
        ],
    );
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // While the one-time password limited what the account could do, the audit log named its own role.
    let entries = audit::recent(state.lib.store(), &AuditFilter::default(), 1000).unwrap();
    let by_zhou: Vec<_> = entries
        .iter()
        .filter(|e| e.user.as_deref() == Some("zhou") && e.target.starts_with("/account"))
        .collect();
    assert!(by_zhou.len() >= 2, "{entries:?}");
    assert!(by_zhou.iter().all(|e| e.role == Role::Staff), "{by_zhou:?}");
    // The old password no longer works, the new one does and opens the search.
    assert_eq!(
        Client::new(&state).log_in("zhou", &otp).status,
        StatusCode::UNAUTHORIZED
    );
    let mut c2 = Client::new(&state);
    assert_eq!(
        c2.log_in("zhou", "周的新密码很安全而且够长").status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(c2.get("/search?q=预算").status, StatusCode::OK);
}

#[test]
fn roles_decide_what_each_account_may_do() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let id = law_doc_id(&state);
    let deputy = Viewer {
        user: Some("dep".into()),
        role: Role::Deputy,
        deputy: Some("王丽".into()),
    };
    let staff = staff();
    let get = |uri: &str, v: &Viewer| {
        send(
            &state,
            with_viewer(Request::get(uri).body(Body::empty()).unwrap(), v.clone()),
        )
    };
    // A deputy reads, but may not ingest, decide links or administer.
    assert_eq!(get("/search?q=预算", &deputy).status, StatusCode::OK);
    assert_eq!(
        get(&format!("/documents/{id}"), &deputy).status,
        StatusCode::OK
    );
    assert_eq!(get("/ingest", &deputy).status, StatusCode::FORBIDDEN);
    assert_eq!(get("/admin", &deputy).status, StatusCode::FORBIDDEN);
    assert_eq!(get("/admin/audit", &staff).status, StatusCode::FORBIDDEN);
    assert_eq!(get("/ingest", &staff).status, StatusCode::OK);
    let decide = |v: &Viewer| {
        send(
            &state,
            with_viewer(
                Request::post(format!("/api/documents/{id}/access"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(r#"{"access":"restricted"}"#))
                    .unwrap(),
                v.clone(),
            ),
        )
    };
    let r = decide(&deputy);
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("\"forbidden\""));
    assert_eq!(decide(&staff).status, StatusCode::OK);
    // The deputy's page shows neither the upload nor the administration link.
    let page = get("/search?q=预算", &deputy);
    assert!(!page.body.contains("href=\"/ingest\"") && !page.body.contains("href=\"/admin\""));
}

#[test]
fn api_tokens_act_in_their_role_and_stop_when_revoked_or_the_user_is_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let store = state.lib.store();
    let id = law_doc_id(&state);
    accounts::add_user(
        store,
        "chen",
        Role::Staff,
        None,
        Some("陈的密码足够长了一二三"),
    )
    .unwrap();
    let (_, staff_token) = accounts::create_token(store, "chen", None, "导入脚本").unwrap();
    let (read_rec, read_token) =
        accounts::create_token(store, "chen", Some(Role::Deputy), "只读").unwrap();
    // A token cannot be above its user.
    assert!(accounts::create_token(store, "chen", Some(Role::Admin), "").is_err());
    let body = r#"{"access":"restricted"}"#;
    let uri = format!("/api/documents/{id}/access");
    assert_eq!(
        bearer_get(&state, "/api/search?q=预算", &read_token).status,
        StatusCode::OK
    );
    assert_eq!(
        bearer_post_json(&state, &uri, &read_token, body).status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        bearer_post_json(&state, &uri, &staff_token, body).status,
        StatusCode::OK
    );
    assert_eq!(
        bearer_get(&state, "/api/admin/audit", &staff_token).status,
        StatusCode::FORBIDDEN
    );
    // A token is not a session: no CSRF token needed, and a wrong token is 401, never anonymous.
    let wrong = format!("{}x", &staff_token[..staff_token.len() - 1]);
    assert_eq!(
        bearer_get(&state, "/api/search?q=预算", &wrong).status,
        StatusCode::UNAUTHORIZED
    );
    assert!(accounts::revoke_token(store, &read_rec.id).unwrap());
    assert_eq!(
        bearer_get(&state, "/api/search?q=预算", &read_token).status,
        StatusCode::UNAUTHORIZED
    );
    accounts::set_disabled(store, "chen", true).unwrap();
    assert_eq!(
        bearer_get(&state, "/api/search?q=预算", &staff_token).status,
        StatusCode::UNAUTHORIZED
    );
    // The audit log names the token's user for what it did.
    let changes = audit::recent(
        store,
        &AuditFilter {
            user: Some("chen".into()),
            action: Some(AuditAction::Change),
            ..Default::default()
        },
        10,
    )
    .unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(changes[0].detail.contains("restricted"), "{:?}", changes[0]);
    assert_eq!(changes[0].target, uri);
}

#[test]
fn audit_entries_past_the_retention_are_removed_and_the_admin_page_shows_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let store = state.lib.store();
    let now = chrono::Utc::now();
    let entry = |days_ago: i64, target: &str| audit::AuditEntry {
        seq: 0,
        time: now - chrono::Duration::days(days_ago),
        user: Some("wang".into()),
        role: Role::Staff,
        action: AuditAction::Search,
        target: target.into(),
        detail: String::new(),
        status: 200,
        ip: None,
    };
    for i in 0..6 {
        audit::record(store, entry(400 + i, "/search?q=旧记录")).unwrap();
    }
    for i in 0..4 {
        audit::record(store, entry(3 - i, "/search?q=新记录")).unwrap();
    }
    let kept = |text: &str| {
        audit::recent(
            store,
            &AuditFilter {
                text: Some(text.into()),
                ..AuditFilter::default()
            },
            1000,
        )
        .unwrap()
        .len()
    };
    assert_eq!((kept("旧记录"), kept("新记录")), (6, 4));
    // An administrator keeps 30 days: the older entries go at once.
    let mut c = Client::new(&state);
    c.log_in("admin", ADMIN_PASSWORD);
    let page = c.get("/admin");
    assert!(page.body.contains("id=\"disk-usage\""), "{}", page.body);
    assert!(page.body.contains("数据目录"), "{}", page.body);
    assert!(page.body.contains("可用空间"), "{}", page.body);
    assert!(page.body.contains("保留 730 天"), "{}", page.body);
    let token = hidden(&page.body, "csrf");
    let r = c.post_form(
        "/admin/settings",
        &[
            ("csrf", &token),
            ("audit_days", "30"),
            ("audit_max_entries", "0"),
        ],
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("保留 30 天"), "{}", r.body);
    assert_eq!(state.settings().audit_retention.days, 30);
    assert_eq!((kept("旧记录"), kept("新记录")), (0, 4));
    // A cap on entries keeps the newest.
    let mut settings = state.settings();
    settings.audit_retention.max_entries = 3;
    state.save_settings(settings).unwrap();
    assert_eq!(store.count_audit().unwrap(), 3);
    let newest = audit::recent(store, &AuditFilter::default(), 10).unwrap();
    assert!(
        newest
            .iter()
            .all(|e| e.time > now - chrono::Duration::days(2)),
        "{newest:?}"
    );
    // A bad number is refused with a message and changes nothing.
    let page = c.get("/admin");
    let token = hidden(&page.body, "csrf");
    let r = c.post_form("/admin/settings", &[("csrf", &token), ("audit_days", "-1")]);
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(state.settings().audit_retention.days, 30);
}

#[test]
fn audit_retention_is_applied_as_entries_are_written_and_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let lib = yusuan::library::Library::open(config(dir.path())).unwrap();
    let store = lib.store();
    let mut settings = accounts::settings(store).unwrap();
    settings.audit_retention.max_entries = 50;
    accounts::save_settings(store, settings).unwrap();
    for i in 0..2100 {
        audit::record(
            store,
            audit::AuditEntry {
                seq: 0,
                time: chrono::Utc::now(),
                user: None,
                role: Role::Anonymous,
                action: AuditAction::Search,
                target: format!("/search?q={i}"),
                detail: String::new(),
                status: 200,
                ip: None,
            },
        )
        .unwrap();
    }
    // Cut to 50 at each thousandth entry, so never more than 1050 are kept.
    let n = store.count_audit().unwrap();
    assert!(n <= 1050, "{n}");
    lib.close().unwrap();
    drop(lib);
    let out = Command::new(env!("CARGO_BIN_EXE_yusuan"))
        .arg("--index")
        .arg(dir.path().join("index"))
        .args(["settings", "--audit-max-entries", "10"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("至多 10 条"), "{text}");
    let out = Command::new(env!("CARGO_BIN_EXE_yusuan"))
        .arg("--index")
        .arg(dir.path().join("index"))
        .args(["status", "--json"])
        .output()
        .unwrap();
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["audit_entries"], 10, "{status}");
    assert!(status["data_bytes"].as_u64().unwrap() > 0, "{status}");
}

#[test]
fn the_audit_log_records_searches_views_changes_and_logins_and_admins_export_it() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let id = law_doc_id(&state);
    let mut c = Client::new(&state);
    c.log_in("admin", ADMIN_PASSWORD);
    c.get("/search?q=初步审查");
    c.get(&format!("/documents/{id}"));
    let page = c.get("/admin");
    let token = hidden(&page.body, "csrf");
    c.post_form("/admin/settings", &[("csrf", &token), ("anonymous", "on")]);
    assert!(state.settings().allow_anonymous);
    let all = audit::recent(state.lib.store(), &AuditFilter::default(), 100).unwrap();
    let find = |a: AuditAction| {
        all.iter()
            .filter(move |e| e.action == a)
            .collect::<Vec<_>>()
    };
    assert_eq!(find(AuditAction::Login).len(), 1);
    let search = find(AuditAction::Search);
    assert!(
        search
            .iter()
            .any(|e| e.detail.contains("q=初步审查") && e.user.as_deref() == Some("admin")),
        "{search:?}"
    );
    assert!(
        find(AuditAction::View)
            .iter()
            .any(|e| e.target == format!("/documents/{id}"))
    );
    let admin = find(AuditAction::Admin);
    assert!(
        admin
            .iter()
            .any(|e| e.target == "/admin/settings" && e.detail.contains("anonymous=on")),
        "{admin:?}"
    );
    // Newest first.
    assert!(all.windows(2).all(|w| w[0].seq > w[1].seq));

    // The page filters; the export has every matching line, oldest first, with a header.
    let r = c.get("/admin/audit?action=search");
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("q=初步审查"));
    let csv = c.get("/admin/audit/export?format=csv&user=admin");
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-disposition").contains("audit.csv"));
    let lines: Vec<&str> = csv.body.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("序号,时间,用户"));
    assert!(lines.iter().any(|l| l.contains("/documents/")));
    let jsonl = c.get("/admin/audit/export?format=jsonl&action=login");
    let entries: Vec<serde_json::Value> = jsonl
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["user"], "admin");
    assert_eq!(
        c.get("/admin/audit/export?format=xml").status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        c.get("/admin/audit?since=yesterday").status,
        StatusCode::BAD_REQUEST
    );
}

#[test]
fn the_audit_log_and_accounts_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let state = fixture(dir.path());
        let mut c = Client::new(&state);
        c.log_in("admin", ADMIN_PASSWORD);
        c.get("/search?q=重启之前的检索");
        accounts::add_user(
            state.lib.store(),
            "wu",
            Role::Deputy,
            Some("吴代表"),
            Some("吴代表的登录密码够长了"),
        )
        .unwrap();
        state.lib.close().unwrap();
    }
    let state = web::start(config(dir.path())).unwrap();
    let all = audit::recent(state.lib.store(), &AuditFilter::default(), 1000).unwrap();
    assert!(all.iter().any(|e| e.detail.contains("重启之前的检索")));
    let u = state.lib.store().get_user("wu").unwrap().unwrap();
    assert_eq!(u.deputy.as_deref(), Some("吴代表"));
    // The cookie key is kept, so a deputy logs in and reads.
    let mut c = Client::new(&state);
    assert_eq!(
        c.log_in("wu", "吴代表的登录密码够长了").status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        c.get("/api/me").body,
        r#"{"deputy":"吴代表","role":"deputy","user":"wu"}"#
    );
}

fn yusuan(data: &Path, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_yusuan"));
    cmd.arg("--index")
        .arg(data)
        .arg("--corpus")
        .arg(data.join("no-corpus"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(s) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn user_commands_add_list_disable_passwd_and_export_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("index");
    let (ok, out, err) = yusuan(&data, &["user", "add", "sun", "--role", "staff"], None);
    assert!(ok, "{err}");
    let otp = out
        .lines()
        .find_map(|l| l.split(": ").nth(1))
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(otp.chars().count(), 16, "{out}");
    let (ok, _, err) = yusuan(
        &data,
        &[
            "user",
            "add",
            "dep1",
            "--role",
            "deputy",
            "--deputy",
            "刘代表",
            "--password-stdin",
        ],
        Some("刘代表的长密码一二三\n"),
    );
    assert!(ok, "{err}");
    // Refusals are clear.
    let (ok, _, err) = yusuan(&data, &["user", "add", "sun", "--role", "staff"], None);
    assert!(!ok && err.contains("已存在"), "{err}");
    let (ok, _, err) = yusuan(&data, &["user", "add", "x", "--role", "deputy"], None);
    assert!(!ok && err.contains("代表姓名"), "{err}");
    let (ok, _, err) = yusuan(&data, &["user", "add", "y", "--role", "king"], None);
    assert!(!ok && err.contains("未知的角色"), "{err}");
    let (ok, out, _) = yusuan(&data, &["user", "list", "--json"], None);
    assert!(ok);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(list.to_string().contains("刘代表"));
    assert!(!out.contains("argon2"), "password hashes are never listed");
    let (ok, _, _) = yusuan(
        &data,
        &["user", "passwd", "sun", "--password-stdin"],
        Some("孙的新密码足够长一二三\n"),
    );
    assert!(ok);
    let (ok, _, _) = yusuan(&data, &["user", "disable", "dep1"], None);
    assert!(ok);
    let (ok, out, _) = yusuan(&data, &["settings", "--anonymous", "on"], None);
    assert!(ok && out.contains("on"));

    // The server opened on this folder sees the same accounts.
    let mut config = yusuan::config::Config::new(&data, dir.path().join("no-corpus"));
    config.admin_password = None;
    let state = web::start(config).unwrap();
    assert!(state.settings().allow_anonymous);
    let mut c = Client::new(&state);
    assert_eq!(c.log_in("sun", &otp).status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        Client::new(&state)
            .log_in("dep1", "刘代表的长密码一二三")
            .status,
        StatusCode::UNAUTHORIZED
    );
    let mut c = Client::new(&state);
    assert_eq!(
        c.log_in("sun", "孙的新密码足够长一二三").status,
        StatusCode::SEE_OTHER
    );
    c.get("/search?q=命令行导出");
    // Accounts existed already: no first administrator was made.
    assert!(state.lib.store().get_user("admin").unwrap().is_none());
    state.lib.close().unwrap();
    drop(c);
    drop(state);
}

#[test]
fn first_start_without_a_password_prints_a_one_time_password_for_admin() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("index");
    let mut child = Command::new(env!("CARGO_BIN_EXE_yusuan"))
        .arg("--index")
        .arg(&data)
        .arg("--corpus")
        .arg(dir.path().join("none"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env_remove("YUSUAN_ADMIN_PASSWORD")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let mut password = None;
    let mut url = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(p) = line.split("一次性密码：").nth(1) {
            password = Some(p.trim().to_string());
        }
        if let Some(u) = line.strip_prefix("yusuan: http://") {
            url = Some(u.trim().to_string());
            break;
        }
    }
    let password = password.expect("a one-time password is printed");
    let addr = url.expect("the server prints its address");
    // Log in over real HTTP: the one-time password works once and leads to the password change.
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = http.get(format!("http://{addr}login")).send().unwrap();
    let cookie = form.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let token = hidden(&form.text().unwrap(), "form_token");
    let r = http
        .post(format!("http://{addr}login"))
        .header(reqwest::header::COOKIE, cookie)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(format!(
            "name=admin&password={}&form_token={}",
            enc(&password),
            enc(&token)
        ))
        .send()
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[reqwest::header::LOCATION], "/account");
    child.kill().unwrap();
    child.wait().unwrap();
    // The password is stored hashed with argon2, never in clear.
    let lib =
        yusuan::library::Library::open(yusuan::config::Config::new(&data, dir.path().join("none")))
            .unwrap();
    let admin = lib.store().get_user("admin").unwrap().unwrap();
    assert!(admin.password.starts_with("$argon2id$"));
    assert!(!admin.password.contains(&password));
    assert!(admin.must_change);
}

#[test]
fn command_line_changes_and_web_uploads_are_in_the_audit_log_with_what_they_touched() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus(dir.path());
    let data = dir.path().join("index");
    let out = run_yusuan(&data, &["ingest", corpus.join("laws").to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run_yusuan(&data, &["user", "add", "zhao", "--role", "staff"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A read is not logged; a failed change is, with its error.
    run_yusuan(&data, &["search", "预算"]);
    let failed = run_yusuan(&data, &["remove", "no-such-document"]);
    let out = run_yusuan(&data, &["audit", "--format", "jsonl"]);
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let targets: Vec<&str> = lines
        .iter()
        .map(|e| e["target"].as_str().unwrap())
        .collect();
    assert!(
        targets
            .iter()
            .any(|t| t.contains(" ingest ") && t.ends_with("laws")),
        "{targets:?}"
    );
    assert!(
        targets
            .iter()
            .any(|t| t.ends_with(" user add zhao --role staff")),
        "{targets:?}"
    );
    assert!(!targets.iter().any(|t| t.contains("search")), "{targets:?}");
    let ingest = lines
        .iter()
        .find(|e| e["target"].as_str().unwrap().contains(" ingest "))
        .unwrap();
    assert_eq!(ingest["action"], "ingest");
    assert!(
        ingest["user"].as_str().unwrap().starts_with("(命令行"),
        "{ingest}"
    );
    assert!(
        !failed.status.success(),
        "removing an unknown document fails"
    );
    let removal = lines
        .iter()
        .find(|e| {
            e["target"]
                .as_str()
                .unwrap()
                .ends_with(" remove no-such-document")
        })
        .unwrap();
    assert_eq!(removal["status"], 500, "{removal}");

    // A web upload's line names its files.
    let state = web::start(config(dir.path())).unwrap();
    wait_idle(&state);
    let boundary = "XyZ";
    let body = multipart(
        boundary,
        &[("files", "审计样例.txt", "第一条 审计。".as_bytes())],
    );
    let req = Request::post("/api/ingest")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    let r = send_as(&state, req, staff());
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    let entries = yusuan::auth::audit::recent(state.lib.store(), &Default::default(), 10).unwrap();
    let upload = entries.iter().find(|e| e.target == "/api/ingest").unwrap();
    assert!(upload.detail.contains("审计样例.txt"), "{upload:?}");
}

#[test]
fn after_login_next_stays_on_this_site_and_cookies_are_secure_behind_https() {
    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path());
    let mut config = config(dir.path());
    config.public_url = Some("https://yusuan.example.gov.cn".into());
    let state = web::start(config).unwrap();
    wait_idle(&state);
    for next in [
        "/\t/evil.example/",
        "/\n/evil.example/",
        "/a\r\nSet-Cookie: x=1",
        "/a\u{0}b",
        "//evil.example/",
        "/\\evil.example/",
        "https://evil.example/",
    ] {
        let r = Client::new(&state).log_in_to("admin", ADMIN_PASSWORD, next);
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{next:?}: {}", r.body);
        assert_eq!(r.header("location"), "/", "{next:?}");
        let set = r.cookie("yusuan_session").expect("session cookie");
        assert!(set.contains("; Secure"), "{set}");
    }
    let r = Client::new(&state).log_in_to("admin", ADMIN_PASSWORD, "/search?q=预算");
    assert_eq!(r.header("location"), "/search?q=%E9%A2%84%E7%AE%97");
}

#[test]
fn cookies_follow_a_trusted_forwarded_proto_and_ignore_it_otherwise() {
    /// The login cookie set in answer to the login form fetched with this `X-Forwarded-Proto`, if any.
    fn login_cookie(state: &AppState, proto: Option<&str>) -> String {
        let mut req = Request::get("/login");
        if let Some(p) = proto {
            req = req.header("x-forwarded-proto", p);
        }
        let r = send(state, req.body(Body::empty()).unwrap());
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.cookie("yusuan_login").expect("login cookie")
    }
    let trusted = tempfile::tempdir().unwrap();
    let mut trusting = config(trusted.path());
    trusting.trust_forwarded_proto = true;
    let state = web::start(trusting).unwrap();
    assert!(login_cookie(&state, Some("https")).contains("; Secure"));
    assert!(login_cookie(&state, Some("HTTPS, http")).contains("; Secure"));
    assert!(!login_cookie(&state, Some("http")).contains("Secure"));
    assert!(!login_cookie(&state, None).contains("Secure"));
    // The session cookie of a login through the proxy is Secure too.
    let form = send(
        &state,
        Request::get("/login")
            .header("x-forwarded-proto", "https")
            .body(Body::empty())
            .unwrap(),
    );
    let login = form.cookie("yusuan_login").unwrap();
    let body = format!(
        "name=admin&password={}&next=%2F&form_token={}",
        enc(ADMIN_PASSWORD),
        hidden(&form.body, "form_token")
    );
    let r = send(
        &state,
        Request::post("/login")
            .header("x-forwarded-proto", "https")
            .header(header::COOKIE, login.split(';').next().unwrap())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap(),
    );
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.cookie("yusuan_session").unwrap().contains("; Secure"));
    state.lib.close().unwrap();
    drop(state);
    // Without the setting a client's own header changes nothing.
    let untrusted = tempfile::tempdir().unwrap();
    let state = web::start(config(untrusted.path())).unwrap();
    assert!(!login_cookie(&state, Some("https")).contains("Secure"));
}

#[test]
fn originals_download_byte_for_byte_as_sandboxed_attachments() {
    let dir = tempfile::tempdir().unwrap();
    let c = corpus(dir.path());
    let html = "<html><head><meta charset=\"gbk\"><title>预算公开页面</title></head><body>\
                <h1>预算公开页面</h1><form method=\"post\" action=\"/x\"><input name=\"a\"></form>\
                <p>一般公共预算支出</p></body></html>";
    let (gbk, _, _) = encoding_rs::GBK.encode(html);
    std::fs::create_dir_all(c.join("pages")).unwrap();
    std::fs::write(c.join("pages/预算公开页面.html"), &gbk).unwrap();
    let state = started(dir.path());
    let id = state
        .lib
        .store()
        .doc_ids()
        .unwrap()
        .into_iter()
        .find(|id| state.lib.store().get_meta(id).unwrap().unwrap().title == "预算公开页面")
        .unwrap();
    let mut c = Client::new(&state);
    c.log_in("admin", ADMIN_PASSWORD);
    let r = c.get(&format!("/documents/{}/original", enc(id.as_str())));
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.bytes, gbk.to_vec(), "the file as stored, byte for byte");
    assert!(r.header("content-disposition").starts_with("attachment"));
    assert_eq!(r.header("content-security-policy"), "sandbox");
    assert_eq!(r.header("x-content-type-options"), "nosniff");
}

#[test]
fn a_formula_typed_as_a_user_name_reaches_the_audit_csv_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let formula = "=HYPERLINK(\"http://evil.example\",\"点击\")";
    let r = Client::new(&state).log_in(formula, "wrong password 123");
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let mut c = Client::new(&state);
    c.log_in("admin", ADMIN_PASSWORD);
    let csv = c.get("/admin/audit/export?format=csv");
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.bytes.starts_with("\u{feff}".as_bytes()));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(csv.body.trim_start_matches('\u{feff}').as_bytes());
    let cells: Vec<String> = reader
        .records()
        .flat_map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
        .collect();
    assert!(
        cells.iter().any(|c| c == &format!("'{formula}")),
        "{cells:?}"
    );
    let formulas = ['=', '+', '-', '@', '\t', '\r'];
    assert!(cells.iter().all(|c| !c.starts_with(formulas)), "{cells:?}");
}

#[test]
fn visitors_see_counts_and_file_names_only_when_anonymous_reading_is_on() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let id = law_doc_id(&state);
    let health = send(
        &state,
        Request::get("/api/health").body(Body::empty()).unwrap(),
    );
    assert_eq!(health.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&health.body).unwrap();
    assert_eq!(v["status"], "ok");
    assert!(
        v.get("documents").is_none() && v.get("articles").is_none(),
        "{v}"
    );
    let token = admin_token(&state);
    let v: serde_json::Value =
        serde_json::from_str(&bearer_get(&state, "/api/health", &token).body).unwrap();
    assert_eq!(v["documents"], 4, "{v}");

    state
        .save_settings(Settings {
            allow_anonymous: true,
            ..Default::default()
        })
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(
        &send(
            &state,
            Request::get("/api/health").body(Body::empty()).unwrap(),
        )
        .body,
    )
    .unwrap();
    assert_eq!(v["documents"], 4, "{v}");
    let doc = send(
        &state,
        Request::get(format!("/api/documents/{}", enc(&id)))
            .body(Body::empty())
            .unwrap(),
    );
    let v: serde_json::Value = serde_json::from_str(&doc.body).unwrap();
    let source = v["source"].as_str().unwrap();
    assert!(source.ends_with(".md") && !source.contains('/'), "{source}");
    // Staff still see where the file lies.
    let v: serde_json::Value = serde_json::from_str(
        &bearer_get(&state, &format!("/api/documents/{}", enc(&id)), &token).body,
    )
    .unwrap();
    assert!(
        v["source"].as_str().unwrap().contains("/corpus/laws/"),
        "{v}"
    );
}

#[test]
fn a_change_is_in_the_audit_log_before_it_is_made_and_its_line_gets_the_outcome_after() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture(dir.path());
    let store = state.lib.store();
    let entry = audit::AuditEntry {
        seq: 0,
        time: chrono::Utc::now(),
        user: Some("wang".into()),
        role: Role::Staff,
        action: AuditAction::Change,
        target: "/proposals/new".into(),
        detail: "title=关于加强预算绩效管理的建议".into(),
        status: 0,
        ip: None,
    };
    let before = store.count_audit().unwrap();
    let seq = audit::begin(store, entry.clone()).unwrap();
    let newest = audit::recent(store, &AuditFilter::default(), 1).unwrap();
    assert_eq!(newest[0].seq, seq);
    assert_eq!(newest[0].status, 0);
    assert!(
        newest[0].detail.ends_with(audit::RESULT_UNRECORDED),
        "{:?}",
        newest[0]
    );
    let mut done = entry;
    done.status = 303;
    audit::finish(store, seq, done).unwrap();
    let newest = audit::recent(store, &AuditFilter::default(), 1).unwrap();
    assert_eq!((newest[0].seq, newest[0].status), (seq, 303));
    assert_eq!(newest[0].detail, "title=关于加强预算绩效管理的建议");
    assert_eq!(store.count_audit().unwrap(), before + 1);

    // Through the web: one line per change, with its answer's status.
    let mut c = Client::new(&state);
    c.log_in("admin", ADMIN_PASSWORD);
    let page = c.get("/admin");
    let token = hidden(&page.body, "csrf");
    let r = c.post_form(
        "/admin/settings",
        &[
            ("csrf", &token),
            ("audit_days", "365"),
            ("audit_max_entries", "0"),
        ],
    );
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let lines = audit::recent(
        store,
        &AuditFilter {
            text: Some("/admin/settings".into()),
            ..AuditFilter::default()
        },
        10,
    )
    .unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0].status, 200, "{lines:?}");
    assert!(!lines[0].detail.contains(audit::RESULT_UNRECORDED));
}
