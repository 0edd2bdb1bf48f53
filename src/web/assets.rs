//! Static files compiled into the binary: Apache ECharts (vendored from the npm package `echarts`, Apache-2.0,
//! its licence and notice beside it in `templates/vendor/`) at `/static/echarts.min.js`, so that nothing is
//! fetched from the internet at run time.

use super::AppState;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The version of the vendored ECharts; pages ask for `ECHARTS_URL`, so that a new version is a new URL.
pub const ECHARTS_VERSION: &str = "6.1.0";

/// Where pages load ECharts from.
pub const ECHARTS_URL: &str = "/static/echarts.min.js?v=6.1.0";

const ECHARTS: &[u8] = include_bytes!("../../templates/vendor/echarts.min.js");

/// The static routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/static/echarts.min.js", get(echarts))
}

/// `GET /static/echarts.min.js`: cached for a year (the URL changes with the version).
async fn echarts() -> Response {
    let mut resp = ECHARTS.into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    resp
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_url_names_the_version_of_the_vendored_file() {
        assert!(super::ECHARTS_URL.ends_with(super::ECHARTS_VERSION));
        let text = String::from_utf8_lossy(super::ECHARTS);
        let version = format!("t.version=\"{}\"", super::ECHARTS_VERSION);
        assert!(
            text.contains(&version),
            "the file is ECharts {}",
            super::ECHARTS_VERSION
        );
        assert!(
            text[..2000].contains("Apache"),
            "the licence header is kept"
        );
    }
}
