//! Running commands: in the foreground with a clear error, or as a background server in its
//! own process group so that the whole tree (node, esbuild, workerd) stops together.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Result;

pub fn run(cmd: &mut Command) -> Result {
    let shown = format!("{cmd:?}");
    let status = cmd.status().map_err(|e| format!("could not start {shown}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{shown} exited with {status}")) }
}

pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn exists(program: &str) -> bool {
    output(Command::new(program).arg("--version")).is_some()
}

/// A child in its own process group; dropping it stops the group.
pub struct Group {
    child: Child,
    /// Once stopped, the group id may be reused by unrelated processes: never signal it again.
    stopped: bool,
}

impl Group {
    pub fn spawn(cmd: &mut Command) -> Result<Group> {
        use std::os::unix::process::CommandExt;
        let shown = format!("{cmd:?}");
        let child =
            cmd.process_group(0).spawn().map_err(|e| format!("could not start {shown}: {e}"))?;
        Ok(Group { child, stopped: false })
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// SIGTERM to the group, then SIGKILL to whatever is left after a grace period.
    pub fn stop(&mut self) {
        if std::mem::replace(&mut self.stopped, true) {
            return;
        }
        let pgid = self.child.id() as i32;
        // SAFETY: kill(2) with a negative pid signals a process group; no memory is involved.
        unsafe { libc::kill(-pgid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            // Reap the leader, or its zombie would keep the group alive.
            let _ = self.child.try_wait();
            // SAFETY: signal 0 only asks whether any process of the group is left.
            let alive = unsafe { libc::kill(-pgid, 0) } == 0;
            if !alive || Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // SAFETY: as above; a group that is already gone makes this a no-op.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn newer(a: &Path, b: &Path) -> bool {
    let m = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (m(a), m(b)) {
        (Some(a), Some(b)) => a > b,
        (Some(_), None) => true,
        _ => false,
    }
}
