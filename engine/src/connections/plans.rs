//! Plans and their limits, stored in the database so an operator can change them with SQL.

use crate::connections::accounts;
use crate::identity::workspaces::{self, WorkspaceError};
use crate::storage::db::{to_millis, Db};
use domain::{at_total_limit, PlanLimits, PlanOffer, PlanSummary, Platform};
use sqlx::AnyConnection;
use std::collections::BTreeMap;

#[derive(sqlx::FromRow)]
struct PlanRow {
    id: String,
    name: String,
    description: String,
    monthly_price_cents: i64,
    total_limit: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct PlatformLimitRow {
    plan_id: String,
    platform: String,
    max_accounts: i64,
}

pub async fn list(db: &Db) -> Result<Vec<PlanOffer>, sqlx::Error> {
    let rows: Vec<PlanRow> = sqlx::query_as(
        "SELECT id, name, description, monthly_price_cents, total_limit FROM plans ORDER BY sort_order, id",
    )
    .fetch_all(db.pool())
    .await?;
    let mut conn = db.pool().acquire().await?;
    let mut per_platform = platform_limits(&mut conn, None).await?;
    Ok(rows
        .into_iter()
        .map(|row| PlanOffer {
            limits: PlanLimits {
                total: row.total_limit.map(clamp_u32),
                per_platform: per_platform.remove(&row.id).unwrap_or_default(),
            },
            name: row.name,
            description: row.description,
            monthly_price_cents: clamp_u32(row.monthly_price_cents),
            id: row.id,
        })
        .collect())
}

/// A plan's name and limits. Takes a connection so that it can run inside a transaction.
pub async fn limits_of(
    conn: &mut AnyConnection,
    plan_id: &str,
) -> Result<(String, PlanLimits), sqlx::Error> {
    let (name, total): (String, Option<i64>) =
        sqlx::query_as("SELECT name, total_limit FROM plans WHERE id = $1")
            .bind(plan_id)
            .fetch_one(&mut *conn)
            .await?;
    let per_platform = platform_limits(conn, Some(plan_id))
        .await?
        .remove(plan_id)
        .unwrap_or_default();
    Ok((
        name,
        PlanLimits {
            total: total.map(clamp_u32),
            per_platform,
        },
    ))
}

async fn platform_limits(
    conn: &mut AnyConnection,
    plan_id: Option<&str>,
) -> Result<BTreeMap<String, BTreeMap<Platform, u32>>, sqlx::Error> {
    let rows: Vec<PlatformLimitRow> = sqlx::query_as(
        "SELECT plan_id, platform, max_accounts FROM plan_platform_limits
         WHERE $1 IS NULL OR plan_id = $1",
    )
    .bind(plan_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut limits: BTreeMap<String, BTreeMap<Platform, u32>> = BTreeMap::new();
    for row in rows {
        // A row for a platform this build does not know is ignored rather than fatal.
        let Some(platform) = Platform::from_slug(&row.platform) else {
            tracing::warn!(platform = %row.platform, "plan_platform_limits names an unknown platform");
            continue;
        };
        limits
            .entry(row.plan_id)
            .or_default()
            .insert(platform, clamp_u32(row.max_accounts));
    }
    Ok(limits)
}

/// The owner's plan with current usage, for the "at limit" notice and the billing page.
pub async fn summary_for(
    db: &Db,
    workspace_id: &str,
    plan_id: &str,
) -> Result<PlanSummary, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    let (plan_name, limits) = limits_of(&mut conn, plan_id).await?;
    let usage = accounts::usage(&mut conn, workspace_id).await?;
    Ok(PlanSummary {
        plan_id: plan_id.to_owned(),
        plan_name,
        at_limit: at_total_limit(&limits, &usage),
        limits,
        usage,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum SetPlanError {
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error("no plan `{plan}`; the plans are: {}", known.join(", "))]
    UnknownPlan { plan: String, known: Vec<String> },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Puts a workspace (its id, or its name when only one has it) on a plan.
pub async fn set_for_workspace(
    db: &Db,
    workspace: &str,
    plan_id: &str,
) -> Result<(), SetPlanError> {
    let plans = list(db).await?;
    if !plans.iter().any(|plan| plan.id == plan_id) {
        return Err(SetPlanError::UnknownPlan {
            plan: plan_id.to_owned(),
            known: plans.into_iter().map(|plan| plan.id).collect(),
        });
    }
    let workspace_id = workspaces::resolve(db, workspace).await?;
    sqlx::query("UPDATE workspaces SET plan_id = $1, updated_at = $2 WHERE id = $3")
        .bind(plan_id)
        .bind(to_millis(chrono::Utc::now()))
        .bind(&workspace_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

fn clamp_u32(value: i64) -> u32 {
    u32::try_from(value.max(0)).unwrap_or(u32::MAX)
}
