//! Login rate limiting: failed attempts per account name and per client address within a window; over the
//! limit, further attempts are refused until the oldest failure leaves the window.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts recent failures per key.
#[derive(Debug)]
pub struct LoginLimiter {
    window: Duration,
    per_name: usize,
    per_address: usize,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Default for LoginLimiter {
    /// Five failures per name, twenty per address, in fifteen minutes.
    fn default() -> LoginLimiter {
        LoginLimiter::new(Duration::from_secs(15 * 60), 5, 20)
    }
}

impl LoginLimiter {
    pub fn new(window: Duration, per_name: usize, per_address: usize) -> LoginLimiter {
        LoginLimiter {
            window,
            per_name,
            per_address,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(name: &str, address: &str) -> [String; 2] {
        [format!("n:{name}"), format!("a:{address}")]
    }

    /// `Err(wait)` if this name or address must wait before trying again.
    pub fn check(&self, name: &str, address: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let [kn, ka] = Self::keys(name, address);
        let mut wait = Duration::ZERO;
        for (key, limit) in [(kn, self.per_name), (ka, self.per_address)] {
            if let Some(times) = map.get_mut(&key) {
                times.retain(|t| now.duration_since(*t) < self.window);
                if times.len() >= limit
                    && let Some(oldest) = times.first()
                {
                    wait = wait.max(self.window - now.duration_since(*oldest));
                }
            }
        }
        if wait > Duration::ZERO {
            Err(wait)
        } else {
            Ok(())
        }
    }

    /// Notes a failed attempt.
    pub fn fail(&self, name: &str, address: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, v| v.last().is_some_and(|t| now.duration_since(*t) < window));
        }
        for key in Self::keys(name, address) {
            map.entry(key).or_default().push(now);
        }
    }

    /// Clears the name's failures after a successful login.
    pub fn succeed(&self, name: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("n:{name}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_and_per_name() {
        let l = LoginLimiter::new(Duration::from_secs(60), 3, 10);
        for _ in 0..3 {
            assert!(l.check("wang", "1.2.3.4").is_ok());
            l.fail("wang", "1.2.3.4");
        }
        let wait = l.check("wang", "1.2.3.4").unwrap_err();
        assert!(wait > Duration::from_secs(50) && wait <= Duration::from_secs(60));
        // Another name from the same address is still allowed (address limit is 10).
        assert!(l.check("li", "1.2.3.4").is_ok());
        l.succeed("wang");
        assert!(l.check("wang", "1.2.3.4").is_ok());
    }

    #[test]
    fn the_window_expires() {
        let l = LoginLimiter::new(Duration::from_millis(30), 1, 10);
        l.fail("a", "x");
        assert!(l.check("a", "x").is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert!(l.check("a", "x").is_ok());
    }
}
