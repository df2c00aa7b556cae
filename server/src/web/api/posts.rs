//! `/api/v1/posts`: scheduled posts to one or more of the caller's accounts.

use super::accounts::platform_schema;
use super::auth::ApiCaller;
use super::enum_of;
use super::error::{ApiError, ApiErrorCode, ErrorBody};
use axum::extract::{FromRequest, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use chrono::{DateTime, Utc};
use domain::Permission;
use engine::posts::{self, CancelReason, Cursor, PostError, PostRequest, PostStatus};
use engine::AppState;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

fn status_schema() -> utoipa::openapi::Object {
    enum_of(PostStatus::all().iter().map(|status| status.as_str()))
}

fn cancel_reason_schema() -> utoipa::openapi::Object {
    let mut schema = enum_of(CancelReason::all().iter().map(|reason| reason.as_str()));
    schema.schema_type = utoipa::openapi::schema::SchemaType::from_iter([
        utoipa::openapi::Type::String,
        utoipa::openapi::Type::Null,
    ]);
    schema
        .enum_values
        .get_or_insert_with(Vec::new)
        .push(serde_json::Value::Null);
    schema
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostTarget {
    pub account_id: String,
    #[schema(schema_with = platform_schema)]
    pub platform: &'static str,
    pub username: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Post {
    pub id: String,
    pub text: String,
    pub scheduled_at: DateTime<Utc>,
    #[schema(schema_with = status_schema)]
    pub status: &'static str,
    /// Why it was cancelled: by its owner, or because its only account was disconnected.
    #[schema(schema_with = cancel_reason_schema)]
    pub cancel_reason: Option<String>,
    /// The accounts it goes to. A disconnected account is taken out of every post.
    pub targets: Vec<PostTarget>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<posts::Post> for Post {
    fn from(post: posts::Post) -> Post {
        Post {
            id: post.id,
            text: post.text,
            scheduled_at: post.scheduled_at,
            status: post.status.as_str(),
            cancel_reason: post.cancel_reason.map(|reason| reason.as_str().to_owned()),
            targets: post
                .targets
                .into_iter()
                .map(|t| PostTarget {
                    account_id: t.account_id,
                    platform: t.platform.slug(),
                    username: t.username,
                })
                .collect(),
            created_at: post.created_at,
            updated_at: post.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostList {
    pub posts: Vec<Post>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A JSON body whose errors are the API's own.
#[derive(FromRequest)]
#[from_request(via(Json), rejection(ApiError))]
pub struct Body<T>(pub T);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only posts with this status.
    #[param(schema_with = status_schema)]
    pub status: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

fn post_error(error: PostError) -> ApiError {
    match error {
        PostError::Invalid { field, message } => ApiError::invalid(format!("{field}: {message}")),
        PostError::UnknownAccount(id) => ApiError::new(
            StatusCode::NOT_FOUND,
            ApiErrorCode::AccountNotFound,
            format!("There is no account {id}."),
        ),
        PostError::IdempotencyKeyReused => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ApiErrorCode::IdempotencyKeyReused,
            PostError::IdempotencyKeyReused.to_string(),
        ),
        PostError::Database(err) => ApiError::internal(err),
    }
}

/// Schedules a post. Send an `Idempotency-Key` to make retries safe: the same key with the
/// same text and time returns the first post (200) instead of creating another.
#[utoipa::path(
    post,
    path = "/api/v1/posts",
    tag = "posts",
    security(("api_key" = [])),
    request_body = PostRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Any unique string per intended post, up to 200 characters")),
    responses(
        (status = 201, description = "Scheduled", body = Post),
        (status = 200, description = "Already scheduled with this Idempotency-Key", body = Post),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 403, description = "`forbidden`: the key's role (a viewer's) cannot schedule posts", body = ErrorBody),
        (status = 404, description = "An account id is not one of the caller's", body = ErrorBody),
        (status = 415, description = "The body is not sent as application/json", body = ErrorBody),
        (status = 422, description = "The post is not valid", body = ErrorBody),
    )
)]
pub async fn create_post(
    State(app): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    Body(body): Body<PostRequest>,
) -> Result<(StatusCode, Json<Post>), ApiError> {
    caller.require(Permission::SchedulePosts)?;
    let idempotency_key = match headers.get("idempotency-key") {
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| ApiError::invalid("Idempotency-Key: use printable ASCII."))?
                .to_owned(),
        ),
        None => None,
    };
    let new = body.into_new_post(idempotency_key);
    let (post, created) = posts::create(&app.db, &caller.workspace_id, new)
        .await
        .map_err(post_error)?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(post.into())))
}

/// The caller's posts in time order, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/posts",
    tag = "posts",
    security(("api_key" = [])),
    params(ListParams),
    responses(
        (status = 200, description = "A page of posts", body = PostList),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 422, description = "A parameter is not valid", body = ErrorBody),
    )
)]
pub async fn list_posts(
    State(app): State<AppState>,
    caller: ApiCaller,
    query: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<PostList>, ApiError> {
    let Query(params) = query?;
    let status = match params.status.as_deref() {
        None => None,
        Some(text) => Some(
            PostStatus::parse(text)
                .ok_or_else(|| ApiError::invalid("status: use `scheduled` or `cancelled`."))?,
        ),
    };
    let cursor = match params.cursor.as_deref() {
        None => None,
        Some(text) => Some(
            Cursor::decode(text)
                .ok_or_else(|| ApiError::invalid("cursor: pass `next_cursor` as it was given."))?,
        ),
    };
    let limit = params.limit.unwrap_or(50);
    if !(1..=posts::MAX_PAGE).contains(&limit) {
        return Err(ApiError::invalid(format!(
            "limit: 1 to {}.",
            posts::MAX_PAGE
        )));
    }
    let (page, next) = posts::list(
        &app.db,
        &caller.workspace_id,
        status,
        cursor.as_ref(),
        limit,
    )
    .await?;
    Ok(Json(PostList {
        posts: page.into_iter().map(Post::from).collect(),
        next_cursor: next.map(|c| c.encode()),
    }))
}

/// One of the caller's posts.
#[utoipa::path(
    get,
    path = "/api/v1/posts/{id}",
    tag = "posts",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The post's id")),
    responses(
        (status = 200, description = "The post", body = Post),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 404, description = "No such post of the caller's", body = ErrorBody),
    )
)]
pub async fn get_post(
    State(app): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<Post>, ApiError> {
    let mut conn = app.db.pool().acquire().await?;
    posts::find(&mut conn, &caller.workspace_id, &id)
        .await?
        .map(|post| Json(post.into()))
        .ok_or_else(ApiError::post_not_found)
}

/// Cancels a scheduled post. Cancelling it again changes nothing and answers the same.
#[utoipa::path(
    post,
    path = "/api/v1/posts/{id}/cancel",
    tag = "posts",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The post's id")),
    responses(
        (status = 200, description = "The post, cancelled", body = Post),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 403, description = "`forbidden`: the key's role (a viewer's) cannot cancel posts", body = ErrorBody),
        (status = 404, description = "No such post of the caller's", body = ErrorBody),
    )
)]
pub async fn cancel_post(
    State(app): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<Post>, ApiError> {
    caller.require(Permission::SchedulePosts)?;
    posts::cancel(&app.db, &caller.workspace_id, &id)
        .await?
        .map(|post| Json(post.into()))
        .ok_or_else(ApiError::post_not_found)
}
