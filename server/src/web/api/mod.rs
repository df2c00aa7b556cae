//! The integration API under `/api/v1` for publishing tools: personal API keys as bearer tokens,
//! JSON in and out, errors as `{"error": {"code", "message"}}`. Routes are registered together with
//! their OpenAPI description, which the app serves at `/api/v1/openapi.json`.

pub mod accounts;
mod auth;
pub mod error;
pub mod posts;

use axum::routing::get;
use axum::{Json, Router};
use engine::AppState;
use error::ApiError;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Object, ObjectBuilder, OpenApi, Type};
use utoipa::{Modify, OpenApi as _};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";
const API_KEY: &str = "api_key";

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Plugboard integration API",
        description = "For the publishing tools that post through the accounts people connect to Plugboard. \
Authenticate with a personal API key from the settings page: `Authorization: Bearer pb_...`. \
Ids of another owner's accounts or posts answer 404, exactly like ids that do not exist.",
        version = "1"
    ),
    modifiers(&BearerKeys),
    tags(
        (name = "accounts", description = "Connected accounts and their access tokens"),
        (name = "posts", description = "Scheduled posts")
    )
)]
struct ApiDoc;

struct BearerKeys;

impl Modify for BearerKeys {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some("A personal API key (`pb_...`)".into());
        components.add_security_scheme(API_KEY, SecurityScheme::Http(scheme));
    }
}

/// A string schema that takes one of these values.
fn enum_of<'a>(values: impl IntoIterator<Item = &'a str>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .build()
}

fn described() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(accounts::list_accounts))
        .routes(routes!(accounts::get_account))
        .routes(routes!(accounts::access_token))
        .routes(routes!(posts::list_posts, posts::create_post))
        .routes(routes!(posts::get_post))
        .routes(routes!(posts::cancel_post))
}

/// The API's description, as served.
pub fn openapi() -> OpenApi {
    described().into_openapi()
}

/// The API's routes, its description at [`OPENAPI_PATH`], and JSON 404s for unknown API paths.
pub fn router(app: AppState) -> Router {
    let (routes, spec) = described().split_for_parts();
    let spec = std::sync::Arc::new(spec);
    routes
        .route(
            OPENAPI_PATH,
            get(move || async move { Json(spec.as_ref().clone()) }),
        )
        .route(
            "/api/v1/{*rest}",
            axum::routing::any(|| async { ApiError::path_not_found() }),
        )
        .with_state(app)
}
