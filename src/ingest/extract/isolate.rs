//! Limits of the isolated worker processes: address space and CPU time set in the child before it runs, so that
//! one hostile file can make only its own worker fail, never swell or stall the process that started it.

use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus};
use std::time::Duration;

/// Resource limits of one worker process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerLimits {
    /// Address space (`RLIMIT_AS`): allocations past it fail inside the worker.
    pub memory_bytes: u64,
    /// CPU time (`RLIMIT_CPU`): the kernel ends the worker past it, whatever the wall clock says.
    pub cpu: Duration,
}

impl Default for WorkerLimits {
    fn default() -> Self {
        WorkerLimits {
            memory_bytes: 1024 * 1024 * 1024,
            cpu: Duration::from_secs(60),
        }
    }
}

/// Makes `command` start its process under `limits`.
pub(super) fn apply(command: &mut Command, limits: WorkerLimits) {
    let memory = limits.memory_bytes as libc::rlim_t;
    let cpu = limits.cpu.as_secs().max(1) as libc::rlim_t;
    // SAFETY: the closure runs in the forked child before exec and only calls `setrlimit`, which is
    // async-signal-safe; it allocates nothing and touches no lock.
    unsafe {
        command.pre_exec(move || {
            set(libc::RLIMIT_AS, memory)?;
            set(libc::RLIMIT_CPU, cpu)
        });
    }
}

/// Sets one limit (soft and hard).
fn set(resource: libc::__rlimit_resource_t, value: libc::rlim_t) -> std::io::Result<()> {
    let limit = libc::rlimit {
        rlim_cur: value,
        rlim_max: value,
    };
    // SAFETY: `limit` is a valid rlimit for the duration of the call.
    if unsafe { libc::setrlimit(resource, &limit) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Says which limit ended a worker, when a signal did: SIGXCPU and SIGKILL after the CPU limit, SIGABRT or
/// SIGSEGV after a failed allocation under the memory limit.
pub(super) fn ended_by_limit(status: ExitStatus) -> Option<&'static str> {
    use std::os::unix::process::ExitStatusExt;
    match status.signal()? {
        libc::SIGXCPU | libc::SIGKILL => Some("the worker ran out of its CPU time"),
        libc::SIGABRT | libc::SIGSEGV => Some("the worker ran out of its memory"),
        _ => None,
    }
}
