//! Removing users from a file: rows whose `action` cell says `disable` or `delete`, and,
//! in sync mode, the account's users the file does not list.
//!
//! Removals are the one thing an import does that cannot be undone from the same file, so
//! the plan lists them apart and guards them: the administrator running the import and the
//! last active administrator are never removed, a deletion says what goes with the user,
//! and a plan that would remove more than a share of the account (10% unless the
//! administrator says otherwise) is refused as a whole until they confirm the number.

use serde::{Deserialize, Serialize};

use crate::model::{Id, LicenceTier, Role, User};

use super::issue::{Issue, IssueCode};
use super::plan::{Action, Finding};
use super::reader::CsvRow;
use super::values::RowAction;

/// What sync mode does to the account's users that the file does not list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// Users missing from the file are left alone (an import only adds and updates).
    #[default]
    Off,
    /// Users missing from the file are disabled.
    DisableMissing,
    /// Users missing from the file are deleted.
    DeleteMissing,
}

/// The most removals an import may plan before the safeguard refuses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum RemovalLimit {
    /// At most this many users.
    Count(usize),
    /// At most this share of the account's users, in percent.
    Percent(u8),
}

impl Default for RemovalLimit {
    fn default() -> Self {
        RemovalLimit::Percent(Self::DEFAULT_PERCENT)
    }
}

impl RemovalLimit {
    pub const DEFAULT_PERCENT: u8 = 10;

    /// The number of removals allowed in an account of `users` users.
    pub fn allowed(self, users: usize) -> usize {
        match self {
            RemovalLimit::Count(count) => count,
            RemovalLimit::Percent(percent) => users * usize::from(percent.min(100)) / 100,
        }
    }
}

/// `25` (users) or `10%` (of the account), as `--max-removals` takes it.
impl std::str::FromStr for RemovalLimit {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let advice = "write a number of users (25) or a share of the account (10%)";
        if let Some(percent) = text.strip_suffix('%') {
            return match percent.trim().parse::<u8>() {
                Ok(percent) if percent <= 100 => Ok(RemovalLimit::Percent(percent)),
                _ => Err(format!(
                    "{text:?} is not a percentage from 0% to 100%; {advice}"
                )),
            };
        }
        text.parse::<usize>()
            .map(RemovalLimit::Count)
            .map_err(|_| format!("{text:?} is not a limit; {advice}"))
    }
}

impl std::fmt::Display for RemovalLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RemovalLimit::Count(count) => write!(f, "{count}"),
            RemovalLimit::Percent(percent) => write!(f, "{percent}%"),
        }
    }
}

/// How a plan treats removals; the default plans as an import without removals did,
/// except for rows whose `action` cell asks for one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanOptions {
    pub sync: SyncMode,
    pub max_removals: RemovalLimit,
    /// The administrator running the import: never removed.
    pub caller: Option<Id>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RemovalKind {
    Disable,
    Delete,
}

impl RemovalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RemovalKind::Disable => "disable",
            RemovalKind::Delete => "delete",
        }
    }
}

impl RowAction {
    /// The removal a row asks for, if any.
    pub fn removal(self) -> Option<RemovalKind> {
        match self {
            RowAction::Keep => None,
            RowAction::Disable => Some(RemovalKind::Disable),
            RowAction::Delete => Some(RemovalKind::Delete),
        }
    }
}

/// One user the plan disables or deletes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Removal {
    /// The row whose `action` cell asks for it; `None` for a user missing from the file
    /// in sync mode.
    pub line: Option<u64>,
    pub user_id: Id,
    pub email: String,
    pub kind: RemovalKind,
    /// What goes with the user, said before anything is applied.
    pub loss: String,
}

/// The removal safeguard's verdict.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Safeguard {
    /// Users the plan removes.
    pub removals: usize,
    /// Users the account has.
    pub users: usize,
    /// Removals allowed by the limit.
    pub allowed: usize,
    /// True when the plan removes more than allowed: applying it is refused until the
    /// limit is raised or the number confirmed.
    pub exceeded: bool,
}

impl Safeguard {
    pub(crate) fn new(removals: usize, users: usize, limit: RemovalLimit) -> Self {
        let allowed = limit.allowed(users);
        Safeguard {
            removals,
            users,
            allowed,
            exceeded: removals > allowed,
        }
    }

    /// Why the plan is refused, with the way to allow it.
    pub fn refusal(&self) -> Option<String> {
        if !self.exceeded {
            return None;
        }
        Some(format!(
            "this import would disable or delete {} of the account's {} users ({}), more than \
             the {} allowed; check the file and the sync options, then allow {} removals to \
             go ahead",
            self.removals,
            self.users,
            percent(self.removals, self.users),
            self.allowed,
            self.removals
        ))
    }
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "all".to_owned();
    }
    format!("{}%", (part * 100).div_ceil(whole))
}

/// What a deletion takes with it, as the administrator should read it before applying.
pub fn deletion_loss(user: &User) -> String {
    let licence = match user.licence.as_ref().map(|held| held.tier) {
        Some(tier) => format!(
            "; their {} licence goes back to the pool and its message log is deleted",
            tier_name(tier)
        ),
        None => String::new(),
    };
    let role = if user.role == Role::Administrator {
        "; they lose the administrator role"
    } else {
        ""
    };
    format!(
        "{} is removed from the account for good: they can no longer sign in or send, and \
         their sign-ins and settings are deleted{licence}{role} (the administrators' log keeps \
         the record)",
        user.email
    )
}

/// What disabling does, for the plan's list of removals.
pub fn disable_note(user: &User) -> String {
    format!(
        "{} can no longer sign in; their licence, logs and settings are kept and they can be \
         enabled again",
        user.email
    )
}

fn tier_name(tier: LicenceTier) -> &'static str {
    match tier {
        LicenceTier::Eco => "Eco",
        LicenceTier::Advanced => "Advanced",
        LicenceTier::Pro => "Pro",
    }
}

/// The action of a row whose `action` cell asks for a removal, or the issue refusing it.
pub(crate) fn row_removal(
    row: &CsvRow<'_>,
    kind: RemovalKind,
    user: Option<&User>,
    caller: Option<Id>,
) -> Result<Action, Issue> {
    let Some(user) = user else {
        return Err(Issue::new(
            row.line,
            Some(super::Column::Action.as_str()),
            IssueCode::UnknownUser,
            format!(
                "no user of the account has the address {}, so there is nobody to {}; check \
                 the address, or empty the action cell",
                row.email,
                kind.as_str()
            ),
        ));
    };
    if Some(user.id) == caller {
        return Err(caller_issue(row.line, kind));
    }
    Ok(match kind {
        RemovalKind::Disable if !user.active => Action::Unchanged { user_id: user.id },
        RemovalKind::Disable => Action::Disable { user_id: user.id },
        RemovalKind::Delete => Action::Delete { user_id: user.id },
    })
}

fn caller_issue(line: u64, kind: RemovalKind) -> Issue {
    Issue::new(
        line,
        Some(super::Column::Action.as_str()),
        IssueCode::RemovesCaller,
        format!(
            "this is you: an import never {}s the administrator running it; empty the action \
             cell, or ask another administrator",
            kind.as_str()
        ),
    )
}

/// The account's users the file does not list, to disable or delete in sync mode. The
/// caller is never among them; disabled users are only listed for deletion.
pub(crate) fn missing_users(
    listed: &std::collections::HashSet<String>,
    users: &[User],
    options: &PlanOptions,
    findings: &mut Vec<Finding>,
) -> Vec<Removal> {
    let kind = match options.sync {
        SyncMode::Off => return Vec::new(),
        SyncMode::DisableMissing => RemovalKind::Disable,
        SyncMode::DeleteMissing => RemovalKind::Delete,
    };
    let mut removals = Vec::new();
    for user in users {
        if listed.contains(&user.email.to_lowercase()) {
            continue;
        }
        if Some(user.id) == options.caller {
            findings.push(Finding {
                code: IssueCode::RemovesCaller,
                message: format!(
                    "you ({}) are not in the file; the sync leaves you as you are",
                    user.email
                ),
            });
            continue;
        }
        if kind == RemovalKind::Disable && !user.active {
            continue;
        }
        removals.push(Removal {
            line: None,
            user_id: user.id,
            email: user.email.clone(),
            kind,
            loss: match kind {
                RemovalKind::Disable => disable_note(user),
                RemovalKind::Delete => deletion_loss(user),
            },
        });
    }
    removals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_as_counts_or_percentages() {
        assert_eq!("25".parse(), Ok(RemovalLimit::Count(25)));
        assert_eq!(" 10% ".parse(), Ok(RemovalLimit::Percent(10)));
        assert!("101%".parse::<RemovalLimit>().is_err());
        assert!("ten".parse::<RemovalLimit>().is_err());
        assert_eq!(RemovalLimit::Percent(10).allowed(95), 9);
        assert_eq!(RemovalLimit::Percent(10).allowed(100), 10);
        assert_eq!(RemovalLimit::Count(3).allowed(1), 3);
        assert_eq!(RemovalLimit::default().to_string(), "10%");
    }

    #[test]
    fn the_safeguard_refuses_more_than_allowed() {
        let within = Safeguard::new(10, 100, RemovalLimit::default());
        assert!(!within.exceeded);
        assert_eq!(within.refusal(), None);
        let beyond = Safeguard::new(11, 100, RemovalLimit::default());
        assert!(beyond.exceeded);
        let refusal = beyond.refusal().unwrap();
        assert!(
            refusal.contains("11 of the account's 100 users (11%)"),
            "{refusal}"
        );
        assert!(refusal.contains("allow 11 removals"), "{refusal}");
        assert!(
            !refusal.contains("--"),
            "names no front end's option: {refusal}"
        );
    }
}
