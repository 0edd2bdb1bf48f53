//! The `user`, `audit` and `settings` commands: accounts, API tokens, the audit log and instance settings,
//! on a data folder that no server holds.

use crate::auth::Role;
use crate::auth::accounts;
use crate::auth::audit::{self, AuditAction, AuditFilter};
use crate::library::Library;
use crate::{errln, outln};
use anyhow::{Context, Result, anyhow, bail};
use clap::Subcommand;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. Without --password-stdin a one-time password is printed, to be changed at first
    /// login.
    Add {
        name: String,
        /// deputy, staff or admin.
        #[arg(long, default_value = "staff")]
        role: String,
        /// For deputies: the name under which their proposals are filed.
        #[arg(long)]
        deputy: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Disable an account: its sessions end and its tokens stop working.
    Disable { name: String },
    /// Enable a disabled account.
    Enable { name: String },
    /// Set a new password (from standard input), or print a one-time password to be changed at next login.
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change an account's role.
    Role {
        name: String,
        role: String,
        #[arg(long)]
        deputy: Option<String>,
    },
    /// Create an API token for scripts (printed once), acting in the given role (at most the user's).
    Token {
        name: String,
        #[arg(long)]
        role: Option<String>,
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List API tokens (ids, users, roles; never the secrets).
    Tokens,
    /// Revoke an API token by id.
    Revoke { id: String },
}

fn read_password() -> Result<String> {
    crate::console::read_line().context("无法从标准输入读取密码")
}

fn role(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| anyhow!("未知的角色「{s}」（可用 deputy、staff、admin、feed）"))
}

/// Runs a `user` command.
pub fn run_user(lib: &Library, cmd: &UserCommand) -> Result<()> {
    let store = lib.store();
    match cmd {
        UserCommand::Add {
            name,
            role: r,
            deputy,
            password_stdin,
        } => {
            let password = if *password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let made = accounts::add_user(
                store,
                name,
                role(r)?,
                deputy.as_deref(),
                password.as_deref(),
            )?;
            outln!("已创建用户 {} ({})", made.user.name, made.user.role);
            if let Some(p) = made.one_time_password {
                outln!("一次性密码 (one-time password, change at first login): {p}");
            }
        }
        UserCommand::List { json } => {
            let users = store.list_users()?;
            if *json {
                let rows: Vec<_> = users
                    .iter()
                    .map(|u| {
                        serde_json::json!({"name": u.name, "role": u.role, "deputy": u.deputy,
                            "disabled": u.disabled, "must_change": u.must_change, "created": u.created})
                    })
                    .collect();
                outln!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for u in users {
                    outln!(
                        "{}\t{}\t{}\t{}{}",
                        u.name,
                        u.role,
                        u.deputy.unwrap_or_default(),
                        if u.disabled { "已停用" } else { "正常" },
                        if u.must_change {
                            "（须改密码）"
                        } else {
                            ""
                        }
                    );
                }
            }
        }
        UserCommand::Disable { name } => {
            accounts::set_disabled(store, name, true)?;
            outln!("已停用 {name}");
        }
        UserCommand::Enable { name } => {
            accounts::set_disabled(store, name, false)?;
            outln!("已启用 {name}");
        }
        UserCommand::Passwd {
            name,
            password_stdin,
        } => {
            if *password_stdin {
                accounts::set_password(store, name, &read_password()?, false)?;
                outln!("已为 {name} 设置新密码");
            } else {
                let p = accounts::random_password()?;
                accounts::set_password(store, name, &p, true)?;
                outln!("一次性密码 (one-time password, change at next login): {p}");
            }
        }
        UserCommand::Role {
            name,
            role: r,
            deputy,
        } => {
            accounts::set_role(store, name, role(r)?, deputy.as_deref())?;
            outln!("{name} 的角色已改为 {r}");
        }
        UserCommand::Token {
            name,
            role: r,
            label,
        } => {
            let r = r.as_deref().map(role).transpose()?;
            let (t, secret) = accounts::create_token(store, name, r, label)?;
            outln!("令牌 {} ({}, {}):", t.id, t.user, t.role);
            outln!("{secret}");
        }
        UserCommand::Tokens => {
            for t in store.list_tokens()? {
                outln!(
                    "{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.user,
                    t.role,
                    t.created.format("%Y-%m-%d %H:%M"),
                    t.label
                );
            }
        }
        UserCommand::Revoke { id } => {
            if !accounts::revoke_token(store, id)? {
                bail!("没有编号为 {id} 的令牌");
            }
            outln!("令牌 {id} 已作废");
        }
    }
    Ok(())
}

/// Arguments of `yusuan audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Only this account.
    #[arg(long)]
    pub user: Option<String>,
    /// Only this action (login, login_failed, logout, search, view, download, ingest, change, admin, denied).
    #[arg(long)]
    pub action: Option<String>,
    /// From this day (YYYY-MM-DD, UTC).
    #[arg(long)]
    pub since: Option<String>,
    /// Before this day (YYYY-MM-DD, UTC).
    #[arg(long)]
    pub until: Option<String>,
    /// csv or jsonl.
    #[arg(long, default_value = "csv")]
    pub format: String,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Parses a `YYYY-MM-DD` day as the start of that day in UTC.
pub fn day_start(s: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .with_context(|| format!("不是日期（应为 YYYY-MM-DD）：{s}"))?;
    Ok(d.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_default())
}

/// Runs `yusuan audit`: exports the audit log.
pub fn run_audit(lib: &Library, args: &AuditArgs) -> Result<()> {
    let filter = AuditFilter {
        user: args.user.clone(),
        action: args
            .action
            .as_deref()
            .map(|a| AuditAction::parse(a).ok_or_else(|| anyhow!("未知的操作类型「{a}」")))
            .transpose()?,
        since: args.since.as_deref().map(day_start).transpose()?,
        until: args.until.as_deref().map(day_start).transpose()?,
        text: None,
    };
    let mut out: Box<dyn Write> = match &args.out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("无法创建 {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(crate::console::Stdout::default())),
    };
    let n = match args.format.as_str() {
        "csv" => audit::export_csv(lib.store(), &filter, &mut out)?,
        "jsonl" | "json" => audit::export_jsonl(lib.store(), &filter, &mut out)?,
        f => bail!("未知的格式 {f}（可用 csv、jsonl）"),
    };
    out.flush()?;
    errln!("{n} 条记录");
    Ok(())
}

/// Runs `yusuan settings`.
pub fn run_settings(
    lib: &Library,
    anonymous: Option<&str>,
    audit_days: Option<u32>,
    audit_max_entries: Option<u64>,
) -> Result<()> {
    let mut s = accounts::settings(lib.store())?;
    if let Some(a) = anonymous {
        s.allow_anonymous = match a {
            "on" | "yes" | "true" => true,
            "off" | "no" | "false" => false,
            _ => bail!("--anonymous 只能是 on 或 off"),
        };
    }
    if let Some(d) = audit_days {
        s.audit_retention.days = d;
    }
    if let Some(m) = audit_max_entries {
        s.audit_retention.max_entries = m;
    }
    if anonymous.is_some() || audit_days.is_some() || audit_max_entries.is_some() {
        accounts::save_settings(lib.store(), s)?;
        let removed =
            crate::auth::audit::prune(lib.store(), s.audit_retention, chrono::Utc::now())?;
        if removed > 0 {
            outln!("已删除超出保留期限的审计记录 {removed} 条");
        }
    }
    outln!(
        "匿名访问公开文件 (anonymous read access): {}",
        if s.allow_anonymous { "on" } else { "off" }
    );
    outln!("审计日志 (audit log): {}", s.audit_retention.describe());
    Ok(())
}
