//! The import plan: what applying a file would do to the portal, shown to the
//! administrator before anything is written.
//!
//! The plan is a pure function of the file and a snapshot of the portal, so the same inputs
//! always give the same plan, row for row, in file order. Applying it is the client's job;
//! the plan only promises that every row it marks `create`, `update` or `unchanged` passed
//! every check that can be made without writing.
//!
//! Empty cells never erase anything: for a new user they mean the portal's default
//! (standard user, English, no licence), for an existing user "keep what the portal has".

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::email::email_domain;
use crate::model::{Id, LicencePool, LicenceTier, NewUser, Role, User, UserChanges};
use crate::public_domains::is_public_mail_domain;

use super::headers::Column;
use super::issue::{Issue, IssueCode};
use super::reader::{CsvRow, ParsedFile};
use super::removals::{self, deletion_loss, disable_note, row_removal};
pub use super::removals::{PlanOptions, Removal, RemovalKind, RemovalLimit, Safeguard, SyncMode};

/// What the portal holds, fetched just before planning.
#[derive(Clone, Debug, PartialEq)]
pub struct PortalSnapshot {
    /// The account's users; matched to rows by address, ignoring case.
    pub users: Vec<User>,
    /// Approved domains of the account (public mail domains need no approval).
    pub approved_domains: Vec<String>,
    pub pool: LicencePool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportPlan {
    pub summary: Summary,
    /// Whole-file findings, such as more licences of a tier assigned than available.
    pub findings: Vec<Finding>,
    /// The file's header warnings (columns ignored), repeated so the plan stands alone.
    pub warnings: Vec<Issue>,
    pub rows: Vec<PlannedRow>,
    /// Every user the plan disables or deletes, apart: the rows whose `action` cell asks
    /// for it (also in `rows`), then the users missing from the file in sync mode.
    pub removals: Vec<Removal>,
    /// Whether the removals stay within the limit; applying is refused when they do not.
    pub safeguard: Safeguard,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Summary {
    pub rows: usize,
    pub create: usize,
    pub update: usize,
    pub unchanged: usize,
    pub error: usize,
    /// Users to disable: rows asking for it and, in sync mode, users missing from the file.
    pub disable: usize,
    /// Users to delete, counted the same way.
    pub delete: usize,
    /// Licences the file needs and the pool has, per tier, every tier listed.
    pub licences: Vec<LicenceDemand>,
}

/// New licences of one tier the plan assigns, against what the pool has left.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LicenceDemand {
    pub tier: LicenceTier,
    /// Rows (without other errors) that need a licence of this tier they do not hold.
    pub needed: usize,
    pub available: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Finding {
    pub code: IssueCode,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlannedRow {
    pub line: u64,
    pub email: String,
    #[serde(flatten)]
    pub action: Action,
    /// Every problem of the row; not empty exactly when the action is `error`.
    #[serde(rename = "errors")]
    pub issues: Vec<Issue>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    Create {
        user: NewUser,
        /// The tier to assign after creating the user.
        licence: Option<LicenceTier>,
    },
    Update {
        user_id: Id,
        /// Only the fields that differ from the portal.
        changes: UserChanges,
        licence: Option<LicenceChange>,
    },
    Unchanged {
        user_id: Id,
    },
    /// The row's `action` cell asks to stop the user from signing in.
    Disable {
        user_id: Id,
    },
    /// The row's `action` cell asks to delete the user (see `ImportPlan::removals` for what
    /// goes with them).
    Delete {
        user_id: Id,
    },
    Error,
}

/// Assigning a licence to an existing user, or changing the tier of the one they hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LicenceChange {
    pub from: Option<LicenceTier>,
    pub to: LicenceTier,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Create,
    Update,
    Unchanged,
    Disable,
    Delete,
    Error,
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Create { .. } => ActionKind::Create,
            Action::Update { .. } => ActionKind::Update,
            Action::Unchanged { .. } => ActionKind::Unchanged,
            Action::Disable { .. } => ActionKind::Disable,
            Action::Delete { .. } => ActionKind::Delete,
            Action::Error => ActionKind::Error,
        }
    }

    /// The licence tier this action takes from the pool, if any.
    fn licence_needed(&self) -> Option<LicenceTier> {
        match self {
            Action::Create { licence, .. } => *licence,
            Action::Update {
                licence: Some(change),
                ..
            } => Some(change.to),
            _ => None,
        }
    }
}

fn tier_name(tier: LicenceTier) -> &'static str {
    match tier {
        LicenceTier::Eco => "Eco",
        LicenceTier::Advanced => "Advanced",
        LicenceTier::Pro => "Pro",
    }
}

fn plural(count: usize, one: &str, many: &str) -> String {
    if count == 1 {
        format!("{count} {one}")
    } else {
        format!("{count} {many}")
    }
}

/// Compares the file with the portal and decides what to do with each row, without sync
/// and with the default removal limit.
pub fn build_plan(file: &ParsedFile<'_>, portal: &PortalSnapshot) -> ImportPlan {
    build_plan_with(file, portal, &PlanOptions::default())
}

/// Compares the file with the portal and decides what to do with each row and, in sync
/// mode, with each user the file does not list.
pub fn build_plan_with(
    file: &ParsedFile<'_>,
    portal: &PortalSnapshot,
    options: &PlanOptions,
) -> ImportPlan {
    let users: HashMap<String, &User> = portal
        .users
        .iter()
        .map(|user| (user.email.to_lowercase(), user))
        .collect();
    let approved: HashSet<String> = portal
        .approved_domains
        .iter()
        .map(|domain| canonical_domain(domain))
        .collect();

    let mut rows = Vec::with_capacity(file.rows.len());
    let mut existing: Vec<Option<&User>> = Vec::with_capacity(file.rows.len());
    for row in &file.rows {
        let user = if row.email_is_valid {
            users.get(&row.email.to_ascii_lowercase()).copied()
        } else {
            None
        };
        rows.push(plan_row(row, user, &approved, options.caller));
        existing.push(user);
    }

    let mut findings = Vec::new();
    let listed: HashSet<String> = file
        .rows
        .iter()
        .filter(|row| row.email_is_valid)
        .map(|row| row.email.to_lowercase())
        .collect();
    if options.sync != SyncMode::Off {
        warn_unmatched_rows(file, &mut findings);
    }
    let mut missing = removals::missing_users(&listed, &portal.users, options, &mut findings);
    keep_an_administrator(
        &mut rows,
        &existing,
        &mut missing,
        &portal.users,
        &mut findings,
    );
    let licences = allocate_licences(&mut rows, &portal.pool, &mut findings);
    report_unapproved_domains(&rows, &mut findings);
    if let Some(sheet) = &file.sheet {
        for issue in rows.iter_mut().flat_map(|row| row.issues.iter_mut()) {
            sheet.locate(issue);
        }
    }

    let mut removals: Vec<Removal> = rows
        .iter()
        .zip(&existing)
        .filter_map(|(row, user)| {
            let user = (*user)?;
            let (kind, loss) = match row.action {
                Action::Disable { .. } => (RemovalKind::Disable, disable_note(user)),
                Action::Delete { .. } => (RemovalKind::Delete, deletion_loss(user)),
                _ => return None,
            };
            Some(Removal {
                line: Some(row.line),
                user_id: user.id,
                email: user.email.clone(),
                kind,
                loss,
            })
        })
        .collect();
    removals.extend(missing);
    let safeguard = Safeguard::new(removals.len(), portal.users.len(), options.max_removals);
    if let Some(refusal) = safeguard.refusal() {
        findings.push(Finding {
            code: IssueCode::TooManyRemovals,
            message: refusal,
        });
    }

    let mut summary = Summary {
        rows: rows.len(),
        licences,
        ..Summary::default()
    };
    for row in &rows {
        match row.action.kind() {
            ActionKind::Create => summary.create += 1,
            ActionKind::Update => summary.update += 1,
            ActionKind::Unchanged => summary.unchanged += 1,
            ActionKind::Error => summary.error += 1,
            // Counted below with the users missing from the file.
            ActionKind::Disable | ActionKind::Delete => {}
        }
    }
    for removal in &removals {
        match removal.kind {
            RemovalKind::Disable => summary.disable += 1,
            RemovalKind::Delete => summary.delete += 1,
        }
    }
    ImportPlan {
        summary,
        findings,
        warnings: file.warnings.clone(),
        rows,
        removals,
        safeguard,
    }
}

/// In sync mode a row without a valid address matches nobody, so the user it was meant
/// for counts as missing and would be removed: said before anything is applied.
fn warn_unmatched_rows(file: &ParsedFile<'_>, findings: &mut Vec<Finding>) {
    let unmatched: Vec<u64> = file
        .rows
        .iter()
        .filter(|row| !row.email_is_valid)
        .map(|row| row.line)
        .collect();
    if let Some(first) = unmatched.first() {
        findings.push(Finding {
            code: IssueCode::InvalidEmail,
            message: format!(
                "{} no valid address (from line {first}), so they match no user; a user \
                 they stand for counts as missing from the file and would be removed by the \
                 sync: fix the addresses first",
                plural(unmatched.len(), "row has", "rows have")
            ),
        });
    }
}

/// Domains as the approved list and [`email_domain`] spell them: lower-case ASCII.
fn canonical_domain(domain: &str) -> String {
    let domain = domain.trim();
    if domain.is_ascii() {
        return domain.to_ascii_lowercase();
    }
    match idna::domain_to_ascii_cow(domain.as_bytes(), idna::AsciiDenyList::EMPTY) {
        Ok(ascii) => ascii.into_owned(),
        Err(_) => domain.to_lowercase(),
    }
}

fn plan_row(
    row: &CsvRow<'_>,
    existing: Option<&User>,
    approved: &HashSet<String>,
    caller: Option<Id>,
) -> PlannedRow {
    let mut issues = row.issues.clone();
    if let (Some(kind), true) = (row.action.removal(), issues.is_empty()) {
        let action = match row_removal(row, kind, existing, caller) {
            Ok(action) => action,
            Err(issue) => {
                issues.push(issue);
                Action::Error
            }
        };
        return PlannedRow {
            line: row.line,
            email: row.email.to_string(),
            action,
            issues,
        };
    }
    let action = match existing {
        // Existing users passed the domain check when they were added.
        Some(user) => compare_with_portal(row, user),
        None => {
            if row.email_is_valid {
                let domain = email_domain(&row.email);
                if !approved.contains(domain) && !is_public_mail_domain(domain) {
                    issues.push(Issue::new(
                        row.line,
                        Some(Column::Email.as_str()),
                        IssueCode::DomainNotApproved,
                        format!(
                            "the domain {domain} is not approved for your account; approve it \
                             in Domains before importing, or use an address at an approved \
                             domain"
                        ),
                    ));
                }
            }
            Action::Create {
                user: NewUser {
                    email: row.email.to_string(),
                    first_name: row.first_name.to_string(),
                    last_name: row.last_name.to_string(),
                    language: row.language,
                    role: row.role,
                },
                licence: row.licence,
            }
        }
    };
    PlannedRow {
        line: row.line,
        email: row.email.to_string(),
        action: if issues.is_empty() {
            action
        } else {
            Action::Error
        },
        issues,
    }
}

fn compare_with_portal(row: &CsvRow<'_>, user: &User) -> Action {
    let changed_text =
        |cell: &str, current: &str| (!cell.is_empty() && cell != current).then(|| cell.to_owned());
    let changes = UserChanges {
        first_name: changed_text(&row.first_name, &user.first_name),
        last_name: changed_text(&row.last_name, &user.last_name),
        language: row.language.filter(|language| *language != user.language),
        role: row.role.filter(|role| *role != user.role),
        active: None,
    };
    let current_tier = user.licence.as_ref().map(|held| held.tier);
    let licence = row
        .licence
        .filter(|tier| Some(*tier) != current_tier)
        .map(|to| LicenceChange {
            from: current_tier,
            to,
        });
    if changes.is_empty() && licence.is_none() {
        Action::Unchanged { user_id: user.id }
    } else {
        Action::Update {
            user_id: user.id,
            changes,
            licence,
        }
    }
}

/// The portal refuses to demote its last active administrator; a file that would do so is
/// caught here so that the administrator sees it before applying.
fn keep_an_administrator(
    rows: &mut [PlannedRow],
    existing: &[Option<&User>],
    missing: &mut Vec<Removal>,
    users: &[User],
    findings: &mut Vec<Finding>,
) {
    let is_active_admin = |user: &User| user.active && user.role == Role::Administrator;
    let mut remaining = users.iter().filter(|user| is_active_admin(user)).count();
    let mut demotions = Vec::new();
    for (index, (row, user)) in rows.iter().zip(existing).enumerate() {
        match (&row.action, user) {
            (Action::Disable { .. } | Action::Delete { .. }, Some(user))
                if is_active_admin(user) =>
            {
                demotions.push(index)
            }
            (Action::Update { changes, .. }, Some(user)) => match changes.role {
                Some(Role::User) if is_active_admin(user) => demotions.push(index),
                Some(Role::Administrator) if user.active => remaining += 1,
                _ => {}
            },
            (Action::Create { user: new_user, .. }, _)
                if new_user.role == Some(Role::Administrator) =>
            {
                remaining += 1
            }
            _ => {}
        }
    }
    let admin_ids: HashSet<Id> = users
        .iter()
        .filter(|user| is_active_admin(user))
        .map(|user| user.id)
        .collect();
    let missing_admins = missing
        .iter()
        .filter(|removal| admin_ids.contains(&removal.user_id))
        .count();
    if demotions.len() + missing_admins == 0 || remaining > demotions.len() + missing_admins {
        return;
    }
    if missing_admins > 0 {
        missing.retain(|removal| !admin_ids.contains(&removal.user_id));
        findings.push(Finding {
            code: IssueCode::LastAdministrator,
            message: format!(
                "the sync would remove {} and no active administrator would remain; they are \
                 kept",
                plural(missing_admins, "administrator", "administrators")
            ),
        });
    }
    for index in &demotions {
        if let Some(row) = rows.get_mut(*index) {
            row.action = Action::Error;
            row.issues.push(Issue::new(
                row.line,
                Some(Column::Role.as_str()),
                IssueCode::LastAdministrator,
                "this would leave the account without an active administrator; keep this \
                 user as an active administrator, or make another user administrator in the \
                 file",
            ));
        }
    }
    if !demotions.is_empty() {
        findings.push(Finding {
            code: IssueCode::LastAdministrator,
            message: format!(
                "the file removes the administrator role from {} and no active \
                 administrator would remain; those rows are refused",
                plural(demotions.len(), "user", "users")
            ),
        });
    }
}

/// Gives licences to rows in file order while the pool lasts; the rows after that are
/// refused, because applying them would fail. Licences freed by tier changes in the same
/// file are not counted: the order in which rows are applied is not guaranteed.
fn allocate_licences(
    rows: &mut [PlannedRow],
    pool: &LicencePool,
    findings: &mut Vec<Finding>,
) -> Vec<LicenceDemand> {
    let mut demands = Vec::with_capacity(LicenceTier::ALL.len());
    for &tier in LicenceTier::ALL {
        let available = pool.tier(tier).map_or(0, |count| count.available);
        let usable = usize::try_from(available).unwrap_or(0);
        let wanting: Vec<usize> = rows
            .iter()
            .enumerate()
            .filter(|(_, row)| row.action.licence_needed() == Some(tier))
            .map(|(index, _)| index)
            .collect();
        demands.push(LicenceDemand {
            tier,
            needed: wanting.len(),
            available,
        });
        if wanting.len() <= usable {
            continue;
        }
        let name = tier_name(tier);
        let short = wanting.len() - usable;
        let message = format!(
            "the file assigns {} and {} available; buy {short} more or leave the licence cell \
             empty on {}",
            plural(
                wanting.len(),
                &format!("{name} licence"),
                &format!("{name} licences")
            ),
            plural(usable, "is", "are"),
            plural(short, "row", "rows")
        );
        let mut refused_lines = Vec::with_capacity(short);
        for index in wanting.iter().skip(usable) {
            if let Some(row) = rows.get_mut(*index) {
                row.action = Action::Error;
                refused_lines.push(row.line);
                row.issues.push(Issue::new(
                    row.line,
                    Some(Column::Licence.as_str()),
                    IssueCode::LicencesExhausted,
                    format!("no {name} licence is left for this user: {message}"),
                ));
            }
        }
        findings.push(Finding {
            code: IssueCode::LicencesExhausted,
            message: format!(
                "{message}; {} refused (from line {})",
                plural(short, "row is", "rows are"),
                refused_lines.first().copied().unwrap_or_default()
            ),
        });
    }
    demands
}

/// One finding per file listing the unapproved domains, most used first, so that the
/// administrator can approve them in one go.
fn report_unapproved_domains(rows: &[PlannedRow], findings: &mut Vec<Finding>) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for row in rows {
        if row
            .issues
            .iter()
            .any(|issue| issue.code == IssueCode::DomainNotApproved)
        {
            *counts.entry(email_domain(&row.email)).or_default() += 1;
        }
    }
    if counts.is_empty() {
        return;
    }
    let mut domains: Vec<(&str, usize)> = counts.into_iter().collect();
    domains.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let total: usize = domains.iter().map(|(_, count)| count).sum();
    let listed = domains
        .iter()
        .map(|(domain, count)| format!("{domain} ({count})"))
        .collect::<Vec<_>>()
        .join(", ");
    findings.push(Finding {
        code: IssueCode::DomainNotApproved,
        message: format!(
            "{} use domains that are not approved: {listed}; approve them in Domains, then \
             plan the import again",
            plural(total, "row", "rows")
        ),
    });
}
