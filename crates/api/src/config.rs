//! Typed configuration from environment variables, with defaults that run out of the box.

use std::fmt;
use std::path::PathBuf;

/// The development secret: public (it is in this source), so accepted only by a server started
/// with `inclusion serve --dev`, which says so loudly in the log at every start.
pub const DEV_JWT_SECRET: &str = "inclusion-development-secret-change-me-0123456789";

/// Why a server without any token verification configured refuses to start.
pub const NO_IDENTITY_CONFIGURED: &str = "no way to verify tokens is configured: set INCLUSION_JWT_SECRET (an HS256 secret of at least 32 bytes) \
     and/or INCLUSION_JWT_JWKS_URL (https) or INCLUSION_JWT_JWKS_FILE (the identity provider's public keys, RS256/ES256); \
     for development only, start with `inclusion serve --dev` to use the public built-in development secret";

#[derive(Clone)]
pub struct Settings {
    /// `DATABASE_URL`; default an SQLite file under `./data`.
    pub database_url: String,
    /// `INCLUSION_DB_POOL`: connections in the pool.
    pub db_pool: u32,
    /// `INCLUSION_BIND`: address to listen on.
    pub bind: String,
    pub jwt: JwtSettings,
    /// `INCLUSION_JWT_JWKS_FILE` or `INCLUSION_JWT_JWKS_URL`: the identity provider's public
    /// keys, for RS256/ES256 tokens.
    pub jwks: Option<JwksSource>,
    /// `inclusion serve --dev`: without `INCLUSION_JWT_SECRET`, tokens are verified with the
    /// public [`DEV_JWT_SECRET`] instead of the server refusing to start.
    pub dev_mode: bool,
    /// `INCLUSION_CORS_ORIGINS`: comma-separated origins allowed to call from a browser.
    pub cors_origins: Vec<String>,
    /// `INCLUSION_LOG_FORMAT`: `json` or `pretty`.
    pub log_format: LogFormat,
    /// `INCLUSION_WORKERS`: HTTP worker threads (default: number of cores).
    pub workers: Option<usize>,
    /// `INCLUSION_MAX_BODY_BYTES`: largest accepted JSON body.
    pub max_body_bytes: usize,

    // Limits and cursor signing (the edge of the API).
    /// Requests per client (`INCLUSION_RATE_LIMIT_*`, `INCLUSION_AUTH_FAILURE_LIMIT_*`).
    pub rate_limit: RateLimitSettings,
    /// `INCLUSION_CURSOR_SECRET`: signs list cursors. Default: derived from the HS256 secret;
    /// set it for several instances behind one address when tokens come only from a JWKS.
    pub cursor_secret: Option<String>,
    /// Webhook deliveries (`INCLUSION_WEBHOOK_*`).
    pub webhooks: WebhookSettings,
    /// `INCLUSION_IMPORT_MAX_BYTES` (default 50 MB): largest accepted import body (`/imports`).
    pub import_max_bytes: usize,
}

/// How webhook deliveries are sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookSettings {
    /// `INCLUSION_WEBHOOK_DISPATCH` (`on`, default, or `off`): whether this instance sends
    /// deliveries. Any instance on the database may; each delivery is sent by one.
    pub dispatch: bool,
    /// `INCLUSION_WEBHOOK_ALLOWED_HOSTS`: comma-separated hosts (`host` or `host:port`) that
    /// deliveries may reach over plain http or at a private or loopback address. Empty by
    /// default: only https to public addresses (against server-side request forgery).
    pub allowed_hosts: Vec<String>,
    /// `INCLUSION_WEBHOOK_POLL_MS` (default 1000): how often due deliveries are looked for.
    pub poll_ms: u64,
    /// `INCLUSION_WEBHOOK_RETRY_BASE_MS` (default 1000): the first retry's delay; each next
    /// one doubles, up to an hour.
    pub retry_base_ms: u64,
    /// `INCLUSION_WEBHOOK_MAX_ATTEMPTS` (default 30, about a day): then a delivery is `failed`
    /// (and can be sent again by hand).
    pub max_attempts: u32,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self { dispatch: true, allowed_hosts: Vec::new(), poll_ms: 1000, retry_base_ms: 1000, max_attempts: 30 }
    }
}

/// Per-client request rates (GCRA: a steady rate with a burst allowance); `0` disables a limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// `INCLUSION_RATE_LIMIT_PER_SECOND` (default 200): steady requests per second per client
    /// (the token's subject, or the peer address without a valid token).
    pub per_second: u32,
    /// `INCLUSION_RATE_LIMIT_BURST` (default 1000): requests a client may send at once.
    pub burst: u32,
    /// `INCLUSION_AUTH_FAILURE_LIMIT_PER_MINUTE` (default 60): requests per minute per peer
    /// address that carry an invalid or forged token.
    pub auth_failures_per_minute: u32,
    /// `INCLUSION_AUTH_FAILURE_BURST` (default 30).
    pub auth_failure_burst: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self { per_second: 200, burst: 1000, auth_failures_per_minute: 60, auth_failure_burst: 30 }
    }
}

#[derive(Clone)]
pub struct JwtSettings {
    /// `INCLUSION_JWT_SECRET` (HS256); empty when not configured (HS256 tokens are then refused,
    /// unless in development mode).
    pub secret: String,
    /// `INCLUSION_JWT_ISSUER`.
    pub issuer: String,
    /// `INCLUSION_JWT_AUDIENCE`.
    pub audience: String,
}

impl JwtSettings {
    pub fn uses_dev_secret(&self) -> bool {
        self.secret == DEV_JWT_SECRET
    }
}

/// Where the identity provider publishes its keys (a JSON Web Key Set, RFC 7517).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwksSource {
    /// `INCLUSION_JWT_JWKS_FILE`: re-read periodically and when a token names an unknown key.
    File(PathBuf),
    /// `INCLUSION_JWT_JWKS_URL`: fetched at start, periodically and when a token names an
    /// unknown key.
    Url(String),
}

impl JwksSource {
    /// A key set URL must be `https://`: keys fetched in the clear could be replaced by anyone
    /// on the path. Plain `http://` is allowed only to the loopback interface (a local identity
    /// provider, tests).
    pub fn url(url: &str) -> anyhow::Result<Self> {
        let loopback = ["http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/", "http://[::1]:", "http://[::1]/"];
        if url.starts_with("https://") || loopback.iter().any(|p| url.starts_with(p)) {
            Ok(Self::Url(url.to_owned()))
        } else {
            anyhow::bail!("INCLUSION_JWT_JWKS_URL must be an https:// URL, got `{url}`")
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &redact_url(&self.database_url))
            .field("db_pool", &self.db_pool)
            .field("bind", &self.bind)
            .field("jwt", &self.jwt)
            .field("jwks", &self.jwks)
            .field("dev_mode", &self.dev_mode)
            .field("cors_origins", &self.cors_origins)
            .field("log_format", &self.log_format)
            .field("workers", &self.workers)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("rate_limit", &self.rate_limit)
            .field("cursor_secret", &self.cursor_secret.as_ref().map(|_| "[redacted]"))
            .field("webhooks", &self.webhooks)
            .field("import_max_bytes", &self.import_max_bytes)
            .finish()
    }
}

impl fmt::Debug for JwtSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtSettings").field("secret", &"[redacted]").field("issuer", &self.issuer).field("audience", &self.audience).finish()
    }
}

/// Hides a password in a database URL (`postgres://user:secret@host` → `postgres://user:***@host`).
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme + 3], &userinfo[..colon], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Settings {
    /// Reads the environment. Invalid numbers are an error, not a silent default.
    pub fn from_env() -> anyhow::Result<Self> {
        let parse_num = |name: &str, default: u64| -> anyhow::Result<u64> {
            env(name).map_or(Ok(default), |v| v.parse().map_err(|_| anyhow::anyhow!("{name} must be a number, got `{v}`")))
        };
        let log_format = match env("INCLUSION_LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                anyhow::bail!("INCLUSION_LOG_FORMAT must be `json` or `pretty`, got `{other}`")
            }
        };
        let secret = env("INCLUSION_JWT_SECRET").unwrap_or_default();
        let jwks = match (env("INCLUSION_JWT_JWKS_FILE"), env("INCLUSION_JWT_JWKS_URL")) {
            (Some(_), Some(_)) => anyhow::bail!("set only one of INCLUSION_JWT_JWKS_FILE and INCLUSION_JWT_JWKS_URL"),
            (Some(file), None) => Some(JwksSource::File(file.into())),
            (None, Some(url)) => Some(JwksSource::url(&url)?),
            (None, None) => None,
        };
        Ok(Self {
            database_url: env("DATABASE_URL").unwrap_or_else(|| "sqlite://data/inclusion.db?mode=rwc".to_owned()),
            db_pool: u32::try_from(parse_num("INCLUSION_DB_POOL", 8)?)?,
            bind: env("INCLUSION_BIND").unwrap_or_else(|| "127.0.0.1:8080".to_owned()),
            jwt: JwtSettings {
                secret,
                issuer: env("INCLUSION_JWT_ISSUER").unwrap_or_else(|| "inclusion-dev".to_owned()),
                audience: env("INCLUSION_JWT_AUDIENCE").unwrap_or_else(|| "inclusion-api".to_owned()),
            },
            jwks,
            // Only the command line turns development mode on (`inclusion serve --dev`).
            dev_mode: false,
            cors_origins: env("INCLUSION_CORS_ORIGINS")
                .map(|v| v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default(),
            log_format,
            workers: env("INCLUSION_WORKERS").map(|v| v.parse()).transpose().map_err(|_| anyhow::anyhow!("INCLUSION_WORKERS must be a number"))?,
            max_body_bytes: usize::try_from(parse_num("INCLUSION_MAX_BODY_BYTES", 256 * 1024)?)?,
            rate_limit: {
                let d = RateLimitSettings::default();
                let num = |name: &str, default: u32| -> anyhow::Result<u32> { Ok(u32::try_from(parse_num(name, u64::from(default))?)?) };
                RateLimitSettings {
                    per_second: num("INCLUSION_RATE_LIMIT_PER_SECOND", d.per_second)?,
                    burst: num("INCLUSION_RATE_LIMIT_BURST", d.burst)?,
                    auth_failures_per_minute: num("INCLUSION_AUTH_FAILURE_LIMIT_PER_MINUTE", d.auth_failures_per_minute)?,
                    auth_failure_burst: num("INCLUSION_AUTH_FAILURE_BURST", d.auth_failure_burst)?,
                }
            },
            cursor_secret: env("INCLUSION_CURSOR_SECRET"),
            webhooks: {
                let d = WebhookSettings::default();
                WebhookSettings {
                    dispatch: match env("INCLUSION_WEBHOOK_DISPATCH").as_deref() {
                        None | Some("on") => true,
                        Some("off") => false,
                        Some(other) => anyhow::bail!("INCLUSION_WEBHOOK_DISPATCH must be `on` or `off`, got `{other}`"),
                    },
                    allowed_hosts: env("INCLUSION_WEBHOOK_ALLOWED_HOSTS")
                        .map(|v| v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
                        .unwrap_or_default(),
                    poll_ms: parse_num("INCLUSION_WEBHOOK_POLL_MS", d.poll_ms)?.max(10),
                    retry_base_ms: parse_num("INCLUSION_WEBHOOK_RETRY_BASE_MS", d.retry_base_ms)?,
                    max_attempts: u32::try_from(parse_num("INCLUSION_WEBHOOK_MAX_ATTEMPTS", u64::from(d.max_attempts))?)?.max(1),
                }
            },
            import_max_bytes: usize::try_from(parse_num("INCLUSION_IMPORT_MAX_BYTES", 50 * 1024 * 1024)?)?,
        })
    }

    /// The HS256 secret tokens are verified with: the configured one, or in development mode
    /// the public development secret; `None` when HS256 tokens are not accepted.
    pub fn hs256_secret(&self) -> Option<&str> {
        if !self.jwt.secret.is_empty() {
            Some(&self.jwt.secret)
        } else if self.dev_mode {
            Some(DEV_JWT_SECRET)
        } else {
            None
        }
    }

    /// Refuses a configuration in which anyone could mint tokens the server accepts, or in
    /// which no token could be verified at all: outside development mode there must be a
    /// secret of our own or an identity provider's key set.
    pub fn check_identity(&self) -> anyhow::Result<()> {
        let secret = &self.jwt.secret;
        // RFC 7518 §3.2: an HS256 key has at least 256 bits.
        if !secret.is_empty() && secret.len() < 32 {
            anyhow::bail!("INCLUSION_JWT_SECRET must be at least 32 bytes long");
        }
        if self.dev_mode {
            return Ok(());
        }
        if self.jwt.uses_dev_secret() {
            anyhow::bail!(
                "INCLUSION_JWT_SECRET is the public development secret, with which anyone can mint tokens: set a secret of your own, or start with `inclusion serve --dev`"
            );
        }
        if secret.is_empty() && self.jwks.is_none() {
            anyhow::bail!(NO_IDENTITY_CONFIGURED);
        }
        Ok(())
    }

    /// Creates the directory of a default SQLite file, so that a fresh clone just runs.
    pub fn prepare_sqlite_dir(&self) -> std::io::Result<()> {
        if let Some(path) = self.database_url.strip_prefix("sqlite://") {
            let file = path.split('?').next().unwrap_or(path);
            if let Some(dir) = std::path::Path::new(file).parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact_url("postgres://app:s3cret@db:5432/x"), "postgres://app:***@db:5432/x");
        assert_eq!(redact_url("sqlite://data/x.db?mode=rwc"), "sqlite://data/x.db?mode=rwc");
    }
}
