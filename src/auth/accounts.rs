//! Accounts: users with argon2 password hashes, login sessions, API tokens, the first administrator and the
//! instance settings. Records live in the store; this module decides what is valid.

use super::{Role, Viewer};
use crate::error::{Error, Result};
use crate::store::Store;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long a login session lasts.
pub const SESSION_HOURS: i64 = 12;
/// Shortest password a user may choose.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The name of the administrator created on first start.
pub const FIRST_ADMIN: &str = "admin";

/// An account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Login name (unique).
    pub name: String,
    pub role: Role,
    /// For deputies: the name under which their proposals are filed.
    #[serde(default)]
    pub deputy: Option<String>,
    /// The argon2 hash in PHC form.
    pub password: String,
    pub disabled: bool,
    /// Set for a one-time password: the user must choose a new one before anything else.
    pub must_change: bool,
    pub created: DateTime<Utc>,
}

impl User {
    /// The viewer this account acts as.
    pub fn viewer(&self) -> Viewer {
        Viewer {
            user: Some(self.name.clone()),
            role: self.role,
            deputy: self.deputy.clone(),
        }
    }
}

/// A login session: its id is the cookie's value (signed), the CSRF token is bound to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub user: String,
    pub csrf: String,
    pub created: DateTime<Utc>,
    pub expires: DateTime<Utc>,
}

/// An API token for scripts: acts as its user, in a role no higher than the user's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    /// Public part of the token (shown in lists).
    pub id: String,
    pub user: String,
    pub role: Role,
    pub label: String,
    /// blake3 of the secret part.
    pub hash: String,
    pub created: DateTime<Utc>,
}

/// Instance settings an administrator may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Settings {
    /// Whether visitors who are not logged in may read public documents.
    pub allow_anonymous: bool,
    /// How long audit entries are kept: older ones are removed.
    #[serde(default)]
    pub audit_retention: AuditRetention,
    /// The demonstration samples were removed: the input folder's `samples/` is not ingested again.
    #[serde(default)]
    pub samples_removed: bool,
}

/// How much of the audit log is kept: entries older than `days`, and the oldest beyond `max_entries`, are
/// removed (0 in either: no limit of that kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRetention {
    pub days: u32,
    pub max_entries: u64,
}

impl Default for AuditRetention {
    /// Two years, and at most a million entries (about 1 GB).
    fn default() -> AuditRetention {
        AuditRetention {
            days: 730,
            max_entries: 1_000_000,
        }
    }
}

impl AuditRetention {
    /// The retention in words, for the admin page and the command line.
    pub fn describe(&self) -> String {
        let days = match self.days {
            0 => "不限时间".to_string(),
            d => format!("保留 {d} 天"),
        };
        let entries = match self.max_entries {
            0 => "不限条数".to_string(),
            n => format!("至多 {n} 条"),
        };
        format!("{days}，{entries}")
    }
}

/// Random bytes from the operating system.
fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf)
        .map_err(|e| Error::Invalid(format!("no random numbers from the system: {e}")))?;
    Ok(buf)
}

/// A random identifier of `n` bytes as lowercase hex.
pub fn random_hex<const N: usize>() -> Result<String> {
    Ok(random_bytes::<N>()?
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// A random password that is easy to type: 16 characters from an alphabet without look-alikes.
pub fn random_password() -> Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    Ok(random_bytes::<16>()?
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect())
}

fn hash_password(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| Error::Invalid(format!("cannot hash the password: {e}")))
}

fn password_matches(password: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), phc)
        .is_ok()
}

/// Checks a login name: 1–32 characters, letters, digits, `.`, `_`, `-` or Chinese characters.
pub fn check_name(name: &str) -> Result<()> {
    let n = name.chars().count();
    let ok_char = |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '-');
    if n == 0 || n > 32 || !name.chars().all(ok_char) {
        return Err(Error::Invalid(format!(
            "用户名须为 1–32 个字母、数字、汉字或 . _ - (invalid user name: {name:?})"
        )));
    }
    Ok(())
}

/// Checks a chosen password: at least `MIN_PASSWORD_CHARS` characters, not only one kind of character.
pub fn check_password(password: &str) -> Result<()> {
    let n = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=200).contains(&n) {
        return Err(Error::Invalid(format!(
            "密码须为 {MIN_PASSWORD_CHARS}–200 个字符 (password must have {MIN_PASSWORD_CHARS} to 200 characters)"
        )));
    }
    if password.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::Invalid(
            "密码不能只含数字 (password must not be digits only)".into(),
        ));
    }
    Ok(())
}

/// What `add_user` made: the account and, when none was given, the generated one-time password.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub user: User,
    pub one_time_password: Option<String>,
}

/// Creates an account. Without a password a one-time password is generated, which must be changed at the
/// first login.
pub fn add_user(
    store: &Store,
    name: &str,
    role: Role,
    deputy: Option<&str>,
    password: Option<&str>,
) -> Result<NewUser> {
    check_name(name)?;
    if role == Role::Anonymous {
        return Err(Error::Invalid(
            "账号的角色须为 feed、deputy、staff 或 admin (a user cannot be anonymous)".into(),
        ));
    }
    if store.get_user(name)?.is_some() {
        return Err(Error::Invalid(format!("用户 {name} 已存在 (user exists)")));
    }
    let deputy = deputy.map(str::trim).filter(|d| !d.is_empty());
    if role == Role::Deputy && deputy.is_none() {
        return Err(Error::Invalid(
            "人大代表账号须写明代表姓名 (a deputy account needs the deputy's name)".into(),
        ));
    }
    let (password, one_time) = match password {
        Some(p) => {
            check_password(p)?;
            (p.to_string(), None)
        }
        None => {
            let p = random_password()?;
            (p.clone(), Some(p))
        }
    };
    let user = User {
        name: name.to_string(),
        role,
        deputy: deputy.map(str::to_string),
        password: hash_password(&password)?,
        disabled: false,
        must_change: one_time.is_some(),
        created: Utc::now(),
    };
    store.put_user(&user)?;
    store.flush()?;
    Ok(NewUser {
        user,
        one_time_password: one_time,
    })
}

fn existing(store: &Store, name: &str) -> Result<User> {
    store
        .get_user(name)?
        .ok_or_else(|| Error::NotFound(format!("没有用户 {name} (no such user)")))
}

/// Sets a new password and ends the account's sessions. `one_time` marks an administrator's reset: the
/// password must be changed at the next login, and the account's API tokens stop too (whoever took the
/// account over may have made some).
pub fn set_password(store: &Store, name: &str, password: &str, one_time: bool) -> Result<()> {
    check_password(password)?;
    let mut user = existing(store, name)?;
    user.password = hash_password(password)?;
    user.must_change = one_time;
    store.put_user(&user)?;
    store.delete_sessions_of(name)?;
    if one_time {
        for token in store.list_tokens()?.into_iter().filter(|t| t.user == name) {
            store.delete_token(&token.id)?;
        }
    }
    store.flush()
}

/// Disables or re-enables an account; disabling ends its sessions and stops its tokens.
pub fn set_disabled(store: &Store, name: &str, disabled: bool) -> Result<()> {
    let mut user = existing(store, name)?;
    if disabled && user.role == Role::Admin {
        let admins = store
            .list_users()?
            .into_iter()
            .filter(|u| u.role == Role::Admin && !u.disabled && u.name != name)
            .count();
        if admins == 0 {
            return Err(Error::Invalid(
                "不能停用最后一个管理员 (cannot disable the last administrator)".into(),
            ));
        }
    }
    user.disabled = disabled;
    store.put_user(&user)?;
    if disabled {
        store.delete_sessions_of(name)?;
    }
    store.flush()
}

/// Changes an account's role (and deputy name).
pub fn set_role(store: &Store, name: &str, role: Role, deputy: Option<&str>) -> Result<()> {
    let mut user = existing(store, name)?;
    if role == Role::Anonymous {
        return Err(Error::Invalid("a user cannot be anonymous".into()));
    }
    user.role = role;
    if let Some(d) = deputy {
        user.deputy = Some(d.trim().to_string()).filter(|d| !d.is_empty());
    }
    if role == Role::Deputy && user.deputy.is_none() {
        return Err(Error::Invalid(
            "人大代表账号须写明代表姓名 (a deputy account needs the deputy's name)".into(),
        ));
    }
    store.put_user(&user)?;
    store.flush()
}

/// Checks a login. `None` for an unknown name, a wrong password or a disabled account (the caller does not
/// learn which). An unknown name costs one hash like a known one, so timing does not tell them apart.
pub fn verify_login(store: &Store, name: &str, password: &str) -> Result<Option<User>> {
    let Some(user) = store.get_user(name)? else {
        // A fixed hash of a random password: same work as a real check.
        static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let dummy = DUMMY
            .get_or_init(|| hash_password("no such user, no such password").unwrap_or_default());
        let _ = password_matches(password, dummy);
        return Ok(None);
    };
    if !password_matches(password, &user.password) || user.disabled {
        return Ok(None);
    }
    Ok(Some(user))
}

/// The secret key that signs session cookies, made on first use and kept in the store.
pub fn cookie_key(store: &Store) -> Result<[u8; 32]> {
    if let Some(k) = store.get_secret()? {
        return Ok(k);
    }
    let k = random_bytes::<32>()?;
    store.put_secret(&k)?;
    store.flush()?;
    Ok(k)
}

/// The cookie value for a session id: `id.mac`, the MAC being blake3 keyed with the instance key.
pub fn sign(key: &[u8; 32], id: &str) -> String {
    format!("{id}.{}", blake3::keyed_hash(key, id.as_bytes()).to_hex())
}

/// The session id of a signed cookie value, if the signature is right.
pub fn verify_signature(key: &[u8; 32], value: &str) -> Option<String> {
    let (id, mac) = value.rsplit_once('.')?;
    let given = blake3::Hash::from_hex(mac).ok()?;
    // blake3::Hash compares in constant time.
    (blake3::keyed_hash(key, id.as_bytes()) == given).then(|| id.to_string())
}

/// Opens a session for a user who has just logged in.
pub fn open_session(store: &Store, user: &User) -> Result<Session> {
    let now = Utc::now();
    let s = Session {
        id: random_hex::<24>()?,
        user: user.name.clone(),
        csrf: random_hex::<24>()?,
        created: now,
        expires: now + Duration::hours(SESSION_HOURS),
    };
    store.put_session(&s)?;
    store.flush()?;
    Ok(s)
}

/// The live session with this id and its (enabled) user.
pub fn session(store: &Store, id: &str) -> Result<Option<(Session, User)>> {
    let Some(s) = store.get_session(id)? else {
        return Ok(None);
    };
    if s.expires <= Utc::now() {
        store.delete_session(id)?;
        return Ok(None);
    }
    match store.get_user(&s.user)? {
        Some(u) if !u.disabled => Ok(Some((s, u))),
        _ => Ok(None),
    }
}

/// Ends a session.
pub fn close_session(store: &Store, id: &str) -> Result<()> {
    store.delete_session(id)?;
    store.flush()
}

/// Prefix of every API token, so that a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "ysk_";

/// Creates an API token for a user, acting in `role` (at most the user's own role). Returns the record and
/// the token itself, which is shown once and never stored.
pub fn create_token(
    store: &Store,
    user: &str,
    role: Option<Role>,
    label: &str,
) -> Result<(ApiToken, String)> {
    let u = existing(store, user)?;
    let role = role.unwrap_or(u.role);
    if role > u.role || role == Role::Anonymous {
        return Err(Error::Invalid(format!(
            "令牌的角色不能高于用户的角色 {} (token role above the user's)",
            u.role
        )));
    }
    if role == Role::Feed && u.role != Role::Feed && u.role < Role::Staff {
        return Err(Error::Invalid(
            "只有工作人员和管理员可以创建数据推送令牌".into(),
        ));
    }
    let id = random_hex::<6>()?;
    let secret = random_hex::<24>()?;
    let t = ApiToken {
        id: id.clone(),
        user: user.to_string(),
        role,
        label: label.trim().chars().take(80).collect(),
        hash: blake3::hash(secret.as_bytes()).to_hex().to_string(),
        created: Utc::now(),
    };
    store.put_token(&t)?;
    store.flush()?;
    Ok((t, format!("{TOKEN_PREFIX}{id}_{secret}")))
}

/// The viewer a bearer token acts as, if the token is valid and its user enabled.
pub fn token_viewer(store: &Store, token: &str) -> Result<Option<Viewer>> {
    let Some((id, secret)) = token
        .strip_prefix(TOKEN_PREFIX)
        .and_then(|t| t.split_once('_'))
    else {
        return Ok(None);
    };
    let Some(t) = store.get_token(id)? else {
        return Ok(None);
    };
    let Ok(stored) = blake3::Hash::from_hex(&t.hash) else {
        return Ok(None);
    };
    if blake3::hash(secret.as_bytes()) != stored {
        return Ok(None);
    }
    match store.get_user(&t.user)? {
        Some(u) if !u.disabled => {
            let mut v = u.viewer();
            v.role = t.role.min(u.role);
            Ok(Some(v))
        }
        _ => Ok(None),
    }
}

/// Revokes a token by its id.
pub fn revoke_token(store: &Store, id: &str) -> Result<bool> {
    let had = store.delete_token(id)?;
    store.flush()?;
    Ok(had)
}

/// The instance settings (defaults until an administrator changes them).
pub fn settings(store: &Store) -> Result<Settings> {
    Ok(store.get_settings()?.unwrap_or_default())
}

/// Saves the instance settings.
pub fn save_settings(store: &Store, s: Settings) -> Result<()> {
    store.put_settings(&s)?;
    store.flush()
}

/// What first start did about the administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirstAdmin {
    /// Accounts exist already.
    Exists,
    /// Created with the password given by the environment.
    FromEnvironment,
    /// Created with this one-time password (to be shown once, changed at first login).
    OneTime(String),
}

/// Creates the first administrator if there is no account yet: with `password` if given, else with a
/// one-time password.
pub fn ensure_first_admin(store: &Store, password: Option<&str>) -> Result<FirstAdmin> {
    if store.count_users()? > 0 {
        return Ok(FirstAdmin::Exists);
    }
    let made = add_user(store, FIRST_ADMIN, Role::Admin, None, password)?;
    Ok(match made.one_time_password {
        Some(p) => FirstAdmin::OneTime(p),
        None => FirstAdmin::FromEnvironment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_bind_the_id_to_the_key() {
        let k1 = [1u8; 32];
        let k2 = [2u8; 32];
        let v = sign(&k1, "abc");
        assert_eq!(verify_signature(&k1, &v).as_deref(), Some("abc"));
        assert_eq!(verify_signature(&k2, &v), None);
        let forged = v.replacen("abc", "abd", 1);
        assert_eq!(verify_signature(&k1, &forged), None);
        assert_eq!(verify_signature(&k1, "abc"), None);
        assert_eq!(verify_signature(&k1, "abc.zz"), None);
    }

    #[test]
    fn names_and_passwords_are_checked() {
        assert!(check_name("wang.li").is_ok());
        assert!(check_name("王丽").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name("<script>").is_err());
        assert!(check_password("short").is_err());
        assert!(check_password("1234567890").is_err());
        assert!(check_password("预算监督知识库密码一二").is_ok());
    }

    #[test]
    fn random_passwords_differ_and_have_full_length() {
        let a = random_password().unwrap();
        let b = random_password().unwrap();
        assert_eq!(a.chars().count(), 16);
        assert_ne!(a, b);
    }

    #[test]
    fn an_administrators_reset_stops_the_accounts_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        add_user(
            &store,
            "wangli",
            Role::Staff,
            None,
            Some("预算监督知识库密码一二"),
        )
        .unwrap();
        add_user(
            &store,
            "zhaomin",
            Role::Staff,
            None,
            Some("预算监督知识库密码三四"),
        )
        .unwrap();
        let (_, own) = create_token(&store, "wangli", None, "脚本").unwrap();
        let (_, other) = create_token(&store, "zhaomin", None, "脚本").unwrap();
        // The user's own change keeps the scripts working.
        set_password(&store, "wangli", "预算监督知识库新密码一", false).unwrap();
        assert!(token_viewer(&store, &own).unwrap().is_some());
        set_password(&store, "wangli", "预算监督知识库重置密码", true).unwrap();
        assert!(token_viewer(&store, &own).unwrap().is_none());
        assert!(token_viewer(&store, &other).unwrap().is_some());
    }
}
