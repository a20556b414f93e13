//! CPU time and resident memory of workerd and of this process, from `/proc`.

use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Usage {
    /// User plus system CPU seconds since the process started.
    pub cpu_secs: f64,
    pub rss_bytes: u64,
}

impl Usage {
    /// CPU seconds spent since `earlier`.
    pub fn cpu_since(&self, earlier: &Usage) -> f64 {
        self.cpu_secs - earlier.cpu_secs
    }
}

/// The pids of the workerd processes in process group `group`: under `wrangler dev` there
/// are two, the dev proxy in front and the worker itself; both carry every socket.
pub fn workerd(group: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            comm.trim() == "workerd" && stat(*pid).is_some_and(|s| s.pgrp == group)
        })
        .collect()
}

/// The summed usage of `pids`.
pub fn usage(pids: &[u32]) -> Usage {
    pids.iter().filter_map(|pid| stat(*pid)).fold(Usage::default(), |acc, s| Usage {
        cpu_secs: acc.cpu_secs + s.usage.cpu_secs,
        rss_bytes: acc.rss_bytes + s.usage.rss_bytes,
    })
}

/// Whether `pid` (one of [`workerd`]'s) is the dev proxy `wrangler dev` puts in front of the
/// worker. The proxy exists only in development, so its share is reported apart.
pub fn is_dev_proxy(pid: u32) -> bool {
    !integration::is_worker_process(pid)
}

/// This process's usage: the load generator's own cost.
pub fn own() -> Usage {
    stat(std::process::id()).map(|s| s.usage).unwrap_or_default()
}

struct Stat {
    pgrp: u32,
    usage: Usage,
}

fn stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    let fields: Vec<&str> = text[text.rfind(')')? + 1..].split_whitespace().collect();
    // Fields 5 (pgrp), 14 (utime), 15 (stime) and 24 (rss) of proc(5), counted from 3 here.
    let num = |i: usize| fields.get(i - 3)?.parse::<u64>().ok();
    // SAFETY: sysconf only reads configuration values.
    let (tick, page) =
        unsafe { (libc::sysconf(libc::_SC_CLK_TCK), libc::sysconf(libc::_SC_PAGESIZE)) };
    let ticks = (num(14)? + num(15)?) as f64 / tick.max(1) as f64;
    Some(Stat {
        pgrp: u32::try_from(num(5)?).ok()?,
        usage: Usage {
            cpu_secs: cpu_clock(pid).unwrap_or(ticks),
            rss_bytes: num(24)? * u64::try_from(page).unwrap_or(4096),
        },
    })
}

/// The CPU time of `pid`, every thread's (those gone too), to the nanosecond: `/proc`'s
/// counts in clock ticks (10 ms here) made a figure of a few hundred requests a handful of
/// ticks, which is all a difference of two could tell.
fn cpu_clock(pid: u32) -> Option<f64> {
    let mut clock: libc::clockid_t = 0;
    let mut at = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: both calls write only the values passed; the clock names a process we may read.
    unsafe {
        if libc::clock_getcpuclockid(libc::pid_t::try_from(pid).ok()?, &mut clock) != 0
            || libc::clock_gettime(clock, &mut at) != 0
        {
            return None;
        }
    }
    Some(at.tv_sec as f64 + at.tv_nsec as f64 / 1e9)
}

/// Raises this process's open-file limit to its hard limit; workerd, started from here,
/// inherits it. Returns the limit in force.
pub fn raise_file_limit() -> u64 {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit write or read only the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        lim.rlim_cur = lim.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
    }
    lim.rlim_cur
}

/// The loopback TCP ports `pid` listens on (IPv4), read from `/proc`: its sockets' inodes
/// matched against the kernel's table of listening sockets.
pub fn listening_ports(pid: u32) -> Vec<u16> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return Vec::new() };
    let inodes: std::collections::HashSet<String> = fds
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|target| {
            let t = target.to_string_lossy().into_owned();
            Some(t.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned())
        })
        .collect();
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            // local_address is HEXIP:HEXPORT, st 0A is LISTEN, inode is the tenth field.
            let (local, state, inode) = (f.get(1)?, f.get(3)?, f.get(9)?);
            (*state == "0A" && inodes.contains(*inode)).then_some(())?;
            u16::from_str_radix(local.split(':').nth(1)?, 16).ok()
        })
        .collect()
}
