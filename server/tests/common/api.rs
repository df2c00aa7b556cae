//! A publishing tool's view of the integration API, for tests: every answer is checked against
//! the OpenAPI description the app serves (the status must be documented for the path and
//! method, and the body must match its schema), so the description cannot drift from the code.

use super::{TestApp, TestResponse};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::Value;

/// The OpenAPI description, as served.
pub async fn served_spec(app: &TestApp) -> Value {
    let response = app.get(plugboard::web::api::OPENAPI_PATH, None).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    response.json()
}

/// The spec's path template that a concrete path matches (`/api/v1/posts/abc` → `/api/v1/posts/{id}`).
pub fn template_of<'s>(spec: &'s Value, path: &str) -> Option<&'s str> {
    let path = path.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').collect();
    let mut matches: Vec<&str> = spec["paths"]
        .as_object()?
        .keys()
        .map(String::as_str)
        .filter(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(part, segment)| part.starts_with('{') || part == segment)
        })
        .collect();
    // A literal segment beats a parameter.
    matches.sort_by_key(|template| template.matches('{').count());
    matches.first().copied()
}

/// Asserts the answer is one the description documents, with a body of its schema.
pub fn assert_documented(spec: &Value, method: &Method, path: &str, response: &TestResponse) {
    let template = template_of(spec, path)
        .unwrap_or_else(|| panic!("{path} is not in the OpenAPI description"));
    let operation = &spec["paths"][template][method.as_str().to_ascii_lowercase()];
    assert!(
        operation.is_object(),
        "{method} {template} is not in the OpenAPI description"
    );
    let documented = &operation["responses"][response.status.as_str()];
    assert!(
        documented.is_object(),
        "{method} {template} answered {} which the description does not list: {}",
        response.status,
        response.body
    );
    let Some(schema) = documented.pointer("/content/application~1json/schema") else {
        return;
    };
    let mut schema = schema.clone();
    schema["components"] = spec["components"].clone();
    let validator =
        jsonschema::draft202012::new(&schema).expect("the description's schemas compile");
    let body = response.json();
    let errors: Vec<String> = validator
        .iter_errors(&body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {template} {}: the body does not match its schema: {errors:?}\n{}",
        response.status,
        response.body
    );
}

/// A client holding one API key.
pub struct ApiClient<'a> {
    pub app: &'a TestApp,
    pub key: String,
    spec: Value,
}

impl<'a> ApiClient<'a> {
    pub async fn new(app: &'a TestApp, key: &str) -> ApiClient<'a> {
        ApiClient {
            app,
            key: key.to_owned(),
            spec: served_spec(app).await,
        }
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let mut request = Request::builder()
            .method(method.clone())
            .uri(path)
            .header(header::HOST, "localhost:3000")
            .header(header::AUTHORIZATION, format!("Bearer {}", self.key));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = match body {
            Some(body) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .unwrap();
        let response = self.app.send(request).await;
        assert_documented(&self.spec, &method, path, &response);
        response
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(Method::GET, path, None, &[]).await
    }

    pub async fn post(&self, path: &str, body: Option<Value>) -> TestResponse {
        self.request(Method::POST, path, body, &[]).await
    }

    /// The ids of the caller's accounts.
    pub async fn account_ids(&self) -> Vec<String> {
        let response = self.get("/api/v1/accounts").await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        response.json()["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Schedules a post an hour from now; returns its id.
    pub async fn schedule(&self, text: &str, accounts: &[&str]) -> String {
        let at = chrono::Utc::now() + chrono::Duration::hours(1);
        let response = self
            .post(
                "/api/v1/posts",
                Some(
                    serde_json::json!({"text": text, "scheduled_at": at, "account_ids": accounts}),
                ),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
        response.json()["id"].as_str().unwrap().to_owned()
    }

    pub async fn post_of(&self, id: &str) -> Value {
        let response = self.get(&format!("/api/v1/posts/{id}")).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        response.json()
    }
}

impl TestApp {
    /// Creates an API key on the settings page, as the person would, and reads it off the page.
    pub async fn create_api_key(&self, cookie: &str, name: &str) -> String {
        let created = self
            .submit(
                "/dashboard/settings",
                "create_api_key",
                &[("name", name)],
                Some(cookie),
            )
            .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
        assert_eq!(created.location(), "/dashboard/settings");
        let overview = self.call("settings_overview", Some(cookie)).await;
        assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
        overview.json()["new_key"]
            .as_str()
            .expect("the new key is shown once")
            .to_owned()
    }
}
