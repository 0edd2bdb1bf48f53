//! Accounts and access: roles, the viewer of a request and the scope of what they may see.

/// Users, passwords, sessions, API tokens and instance settings.
pub mod accounts;
/// The audit log.
pub mod audit;
/// Login rate limiting.
pub mod limiter;

use crate::model::Scope;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What an account may do. Ordered: each role may do everything the roles before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A sending system (数据推送): may push execution batches and read nothing, not even what a visitor may.
    Feed,
    /// Not logged in: public documents only, and only if the instance allows it.
    Anonymous,
    /// A deputy (人大代表): public documents and their own proposals.
    Deputy,
    /// Committee staff (工作人员): everything; ingest, edit links and proposal events.
    Staff,
    /// Administrator (管理员): users and settings as well.
    Admin,
}

impl Role {
    pub const ALL: &'static [Role] = &[
        Role::Feed,
        Role::Anonymous,
        Role::Deputy,
        Role::Staff,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Feed => "feed",
            Role::Anonymous => "anonymous",
            Role::Deputy => "deputy",
            Role::Staff => "staff",
            Role::Admin => "admin",
        }
    }

    /// The Chinese label shown to users.
    pub fn label(self) -> &'static str {
        match self {
            Role::Feed => "数据推送",
            Role::Anonymous => "访客",
            Role::Deputy => "人大代表",
            Role::Staff => "工作人员",
            Role::Admin => "管理员",
        }
    }

    /// Parses `feed`, `deputy`, `staff`, `admin` (or the Chinese labels).
    pub fn parse(s: &str) -> Option<Role> {
        let s = s.trim();
        Role::ALL
            .iter()
            .copied()
            .find(|r| r.as_str().eq_ignore_ascii_case(s) || r.label() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is making a request: an account (or nobody) and the role it acts in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// The account name; `None` when not logged in.
    pub user: Option<String>,
    pub role: Role,
    /// For deputies: the name under which their proposals are filed (领衔/联名代表).
    pub deputy: Option<String>,
}

impl Viewer {
    /// Nobody logged in.
    pub fn anonymous() -> Viewer {
        Viewer {
            user: None,
            role: Role::Anonymous,
            deputy: None,
        }
    }

    /// A local operator (the command line): acts as staff with full scope.
    pub fn operator() -> Viewer {
        Viewer {
            user: Some("(命令行)".into()),
            role: Role::Staff,
            deputy: None,
        }
    }

    /// What this viewer may see.
    pub fn scope(&self) -> Scope {
        if self.role >= Role::Staff {
            Scope::All
        } else {
            Scope::Public {
                deputy: self.deputy.clone(),
            }
        }
    }

    /// Whether the viewer acts at least in `role`.
    pub fn can(&self, role: Role) -> bool {
        self.role >= role
    }

    /// The name recorded for the viewer's actions (audit log, link decisions, proposal events).
    pub fn actor(&self) -> String {
        self.user.clone().unwrap_or_else(|| "(匿名)".into())
    }
}
