//! Long steps say what they do and how long they took.

use std::time::Instant;

use crate::Result;

pub fn step<T>(name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    println!("==> {name}");
    let start = Instant::now();
    let out = f();
    let secs = start.elapsed().as_secs_f64();
    match &out {
        Ok(_) => println!("    {name}: done in {secs:.1}s"),
        Err(_) => println!("    {name}: FAILED after {secs:.1}s"),
    }
    out
}
