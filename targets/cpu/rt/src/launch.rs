//! The grid launcher: runs every program instance of a grid over OS threads, each with
//! its own scratch arena, and reports the lowest-numbered failing instance.
//!
//! [`launch`] is the Rust entry (tessera-cpu's JIT calls it); [`tessera_rt_launch`] is
//! the C entry the exported function of an ahead-of-time object calls. Instances are
//! numbered linearly, `x + grid_x * (y + grid_y * z)`, and handed out in chunks of
//! consecutive numbers from an atomic counter. Once an instance fails, no instance with a
//! higher number starts, but every lower-numbered one still runs, so the reported
//! failure is the lowest-numbered one whatever the thread count and timing.
//!
//! Nothing here panics on any input; a panic would be a runtime bug, and is caught and
//! reported as [`Status::Internal`] rather than unwinding into C.

use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::abi::{InstanceFn, InstanceRecord, Status, TesseraError};

/// Chunks per worker thread: enough for balance when instances differ in cost, few
/// enough that the counter is not contended.
const CHUNKS_PER_THREAD: u64 = 8;

/// One launch of an instance function over a grid.
#[derive(Clone, Copy, Debug)]
pub struct Launch {
    pub instance: InstanceFn,
    /// Two slots per kernel parameter (see [`InstanceFn`]).
    pub args: *const u64,
    pub grid: [u32; 3],
    /// Worker threads, the calling thread included (0: the available cores).
    pub threads: usize,
    /// Bytes of scratch each worker's instances get (16-byte aligned).
    pub scratch_bytes: usize,
    /// [`InstanceRecord::flags`] for every instance.
    pub flags: u32,
}

/// A failed program instance: its program id and what it recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstanceFailure {
    pub program: [u32; 3],
    pub record: InstanceRecord,
}

/// Why a launch failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaunchFailure {
    /// The lowest-numbered program instance that failed.
    Instance(InstanceFailure),
    /// A grid dimension is 0, or the grid has more than `u64::MAX` instances.
    BadGrid,
    /// Not one worker could allocate its scratch arena.
    OutOfMemory,
    /// The runtime panicked (a bug), or the C caller passed no instance function.
    Internal,
}

impl LaunchFailure {
    /// The status code C sees.
    pub fn code(&self) -> i32 {
        match self {
            LaunchFailure::Instance(failure) => match i32::try_from(failure.record.code) {
                Ok(code) if code != 0 => code,
                _ => Status::Internal as i32,
            },
            LaunchFailure::BadGrid => Status::BadGrid as i32,
            LaunchFailure::OutOfMemory => Status::OutOfMemory as i32,
            LaunchFailure::Internal => Status::Internal as i32,
        }
    }
}

/// Runs every program instance of `launch.grid`.
///
/// # Safety
/// `launch.instance` must be a program-instance function and `launch.args` its argument
/// slots, valid (with every buffer they point to) for the whole launch; instances run
/// concurrently on several threads.
pub unsafe fn launch(launch: &Launch) -> Result<(), LaunchFailure> {
    catch_unwind(AssertUnwindSafe(|| run_grid(launch))).unwrap_or(Err(LaunchFailure::Internal))
}

/// The C entry point: runs `instance` over the grid and fills `err` (if not NULL) with
/// the failure, its source location looked up in `locs` (`n_locs` pairs of line and
/// column, indexed by IR instruction). Returns 0 or a [`Status`] code.
///
/// # Safety
/// As [`launch`]; `locs` must hold `2 * n_locs` values (or be NULL), `err` must be NULL
/// or valid for a write.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // A flat C signature the generated code calls directly.
pub unsafe extern "C" fn tessera_rt_launch(
    instance: Option<InstanceFn>,
    args: *const u64,
    grid_x: u32,
    grid_y: u32,
    grid_z: u32,
    threads: u32,
    scratch_bytes: u64,
    flags: u32,
    locs: *const u32,
    n_locs: u32,
    err: *mut TesseraError,
) -> i32 {
    let outcome = match (instance, usize::try_from(scratch_bytes)) {
        (None, _) => Err(LaunchFailure::Internal),
        (Some(_), Err(_)) => Err(LaunchFailure::OutOfMemory),
        (Some(instance), Ok(scratch_bytes)) => {
            let grid = [grid_x, grid_y, grid_z];
            let threads = usize::try_from(threads).unwrap_or(usize::MAX);
            // SAFETY: the caller's contract.
            unsafe { launch(&Launch { instance, args, grid, threads, scratch_bytes, flags }) }
        }
    };
    let report = match outcome {
        Ok(()) => TesseraError::default(),
        // SAFETY: the caller's contract on `locs`.
        Err(failure) => unsafe { describe(&failure, locs, n_locs) },
    };
    if !err.is_null() {
        // SAFETY: the caller's contract on `err`.
        unsafe { err.write(report) };
    }
    report.code
}

/// A static, NUL-terminated description of a status code (C: `tessera_rt_strerror`).
#[no_mangle]
pub extern "C" fn tessera_rt_strerror(code: i32) -> *const c_char {
    Status::from_code(code).map_or(c"unknown tessera status code", Status::message).as_ptr()
}

/// The program id of instance number `linear`.
fn program_of(linear: u64, grid: [u32; 3]) -> [u32; 3] {
    let [gx, gy, _] = grid.map(u64::from);
    // Each quotient is below its grid dimension, so the narrowing is exact.
    [(linear % gx) as u32, ((linear / gx) % gy) as u32, (linear / (gx * gy)) as u32]
}

/// `failure` as C sees it.
///
/// # Safety
/// `locs` is NULL or holds `2 * n_locs` values.
unsafe fn describe(failure: &LaunchFailure, locs: *const u32, n_locs: u32) -> TesseraError {
    let mut report = TesseraError { code: failure.code(), ..TesseraError::default() };
    let LaunchFailure::Instance(InstanceFailure { program, record }) = *failure else {
        return report;
    };
    let table: &[u32] = if locs.is_null() {
        &[]
    } else {
        // SAFETY: the caller's contract.
        unsafe { std::slice::from_raw_parts(locs, 2 * n_locs as usize) }
    };
    let at = 2 * record.inst as usize;
    if let (Some(&line), Some(&col)) = (table.get(at), table.get(at + 1)) {
        (report.line, report.col) = (line, col);
    }
    report.buffer = record.buffer;
    report.index = record.index;
    report.program = program;
    report.inst = record.inst;
    report
}

/// What the workers share.
struct Shared<'a> {
    launch: &'a Launch,
    total: u64,
    chunk_len: u64,
    /// The next chunk to hand out.
    next_chunk: AtomicU64,
    /// The lowest failing instance number so far (`u64::MAX`: none).
    first_failure: AtomicU64,
}

// SAFETY: `Launch::args` is only read by instance functions, which may run concurrently
// by the contract of `launch`.
unsafe impl Sync for Shared<'_> {}

/// How one worker ended.
enum Outcome {
    Done,
    /// Its lowest failing instance (workers stop at their first failure).
    Failed(u64, InstanceRecord),
    /// It could not allocate its scratch arena and ran nothing.
    NoScratch,
}

fn run_grid(launch: &Launch) -> Result<(), LaunchFailure> {
    let [gx, gy, gz] = launch.grid.map(u64::from);
    let total = gx.checked_mul(gy).and_then(|n| n.checked_mul(gz));
    let Some(total) = total.filter(|&n| n > 0) else {
        return Err(LaunchFailure::BadGrid);
    };
    let threads = match launch.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let threads = u64::try_from(threads).unwrap_or(u64::MAX).min(total);
    let chunk_len = total.div_ceil(threads.saturating_mul(CHUNKS_PER_THREAD)).max(1);
    let shared = Shared {
        launch,
        total,
        chunk_len,
        next_chunk: AtomicU64::new(0),
        first_failure: AtomicU64::new(u64::MAX),
    };
    let outcomes = if threads <= 1 {
        vec![work(&shared)]
    } else {
        std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..threads)
                .map_while(|_| {
                    let builder = std::thread::Builder::new().name("tessera-rt".into());
                    builder.spawn_scoped(scope, || work(&shared)).ok()
                })
                .collect();
            let mut outcomes = vec![work(&shared)];
            for helper in helpers {
                outcomes.push(helper.join().unwrap_or(Outcome::NoScratch));
            }
            outcomes
        })
    };
    summarize(&outcomes, launch.grid)
}

/// The launch's result from its workers' outcomes.
fn summarize(outcomes: &[Outcome], grid: [u32; 3]) -> Result<(), LaunchFailure> {
    let first = outcomes
        .iter()
        .filter_map(|outcome| match outcome {
            Outcome::Failed(linear, record) => Some((*linear, *record)),
            Outcome::Done | Outcome::NoScratch => None,
        })
        .min_by_key(|(linear, _)| *linear);
    if let Some((linear, record)) = first {
        let program = program_of(linear, grid);
        return Err(LaunchFailure::Instance(InstanceFailure { program, record }));
    }
    if outcomes.iter().all(|outcome| matches!(outcome, Outcome::NoScratch)) {
        return Err(LaunchFailure::OutOfMemory);
    }
    Ok(())
}

/// One worker: claims chunks until the grid is done or an instance below the next chunk
/// has failed.
fn work(shared: &Shared<'_>) -> Outcome {
    let launch = shared.launch;
    let words = launch.scratch_bytes.div_ceil(16).max(1);
    let mut scratch: Vec<u128> = Vec::new();
    if scratch.try_reserve_exact(words).is_err() {
        return Outcome::NoScratch;
    }
    scratch.resize(words, 0);
    let mut record = InstanceRecord { flags: launch.flags, ..InstanceRecord::default() };
    loop {
        let chunk = shared.next_chunk.fetch_add(1, Ordering::Relaxed);
        let start = chunk.saturating_mul(shared.chunk_len);
        let end = start.saturating_add(shared.chunk_len).min(shared.total);
        for linear in start..end {
            if linear >= shared.first_failure.load(Ordering::Relaxed) {
                return Outcome::Done;
            }
            let pid = program_of(linear, launch.grid);
            // SAFETY: the contract of `launch`; `scratch` holds at least `scratch_bytes`
            // bytes, 16-aligned (it is made of `u128`s), and only this thread uses it.
            let code = unsafe {
                (launch.instance)(
                    launch.args,
                    launch.grid.as_ptr(),
                    pid.as_ptr(),
                    scratch.as_mut_ptr().cast::<u8>(),
                    &mut record,
                )
            };
            if code != 0 {
                shared.first_failure.fetch_min(linear, Ordering::Relaxed);
                return Outcome::Failed(linear, record);
            }
        }
        if end >= shared.total {
            return Outcome::Done;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;
    use std::sync::atomic::AtomicU32;

    fn linear_of(grid: *const u32, pid: *const u32) -> u64 {
        // SAFETY: the launcher passes three `u32`s each.
        let (grid, pid) = unsafe { (*grid.cast::<[u32; 3]>(), *pid.cast::<[u32; 3]>()) };
        let [gx, gy, _] = grid.map(u64::from);
        u64::from(pid[0]) + gx * (u64::from(pid[1]) + gy * u64::from(pid[2]))
    }

    /// Counts its runs in the `AtomicU32` array of argument 0, at its linear number, and
    /// checks its scratch is aligned and writable.
    unsafe extern "C" fn count(
        args: *const u64,
        grid: *const u32,
        pid: *const u32,
        scratch: *mut u8,
        _record: *mut InstanceRecord,
    ) -> i32 {
        if !(scratch as usize).is_multiple_of(16) {
            return 99;
        }
        // SAFETY: the tests launch with at least 64 bytes of scratch.
        unsafe { scratch.write_bytes(0xa5, 64) };
        let linear = linear_of(grid, pid) as usize;
        // SAFETY: argument 0 is the counter array, one per instance.
        let counters = unsafe { *args } as *const AtomicU32;
        unsafe { (*counters.add(linear)).fetch_add(1, Ordering::Relaxed) };
        0
    }

    /// Fails (load out of bounds at instruction 2, index = its number) on every instance
    /// numbered 3 mod 7 from 10 on.
    unsafe extern "C" fn fail_some(
        _args: *const u64,
        grid: *const u32,
        pid: *const u32,
        _scratch: *mut u8,
        record: *mut InstanceRecord,
    ) -> i32 {
        let linear = linear_of(grid, pid);
        if linear >= 10 && linear % 7 == 3 {
            // SAFETY: the launcher passes its record.
            unsafe {
                (*record).code = 1;
                (*record).inst = 2;
                (*record).buffer = 1;
                (*record).index = linear as i64;
            }
            return 1;
        }
        0
    }

    #[test]
    fn every_instance_runs_once_on_any_thread_count() {
        let grid = [5, 3, 2];
        for threads in [1, 2, 3, 0, 64] {
            let counters: Vec<AtomicU32> = (0..30).map(|_| AtomicU32::new(0)).collect();
            let args = [counters.as_ptr() as u64, 30];
            let launch = Launch {
                instance: count,
                args: args.as_ptr(),
                grid,
                threads,
                scratch_bytes: 64,
                flags: 0,
            };
            assert_eq!(unsafe { super::launch(&launch) }, Ok(()));
            let runs: Vec<u32> = counters.iter().map(|c| c.load(Ordering::Relaxed)).collect();
            assert_eq!(runs, vec![1; 30], "threads {threads}");
        }
    }

    #[test]
    fn the_lowest_failing_instance_is_reported_whatever_the_threads() {
        let locs: [u32; 6] = [1, 1, 2, 5, 7, 13];
        for threads in [1, 2, 3, 8] {
            let mut report = TesseraError { code: -7, ..TesseraError::default() };
            let code = unsafe {
                tessera_rt_launch(
                    Some(fail_some),
                    std::ptr::null(),
                    4,
                    50,
                    1,
                    threads,
                    0,
                    0,
                    locs.as_ptr(),
                    3,
                    &mut report,
                )
            };
            assert_eq!(code, 1);
            let want = TesseraError {
                code: 1,
                line: 7,
                col: 13,
                buffer: 1,
                index: 10,
                program: [2, 2, 0],
                inst: 2,
            };
            assert_eq!(report, want, "threads {threads}");
        }
    }

    #[test]
    fn launch_errors_fill_the_report_and_null_is_allowed() {
        let mut report = TesseraError::default();
        let code = unsafe {
            tessera_rt_launch(
                Some(count),
                std::ptr::null(),
                4,
                0,
                1,
                1,
                0,
                0,
                std::ptr::null(),
                0,
                &mut report,
            )
        };
        assert_eq!((code, report.code), (Status::BadGrid as i32, Status::BadGrid as i32));
        let null = std::ptr::null_mut();
        let code = unsafe {
            tessera_rt_launch(None, std::ptr::null(), 1, 1, 1, 1, 0, 0, std::ptr::null(), 0, null)
        };
        assert_eq!(code, Status::Internal as i32);
        // Locations out of the table's range are left 0.
        let code = unsafe {
            tessera_rt_launch(
                Some(fail_some),
                std::ptr::null(),
                20,
                1,
                1,
                1,
                0,
                0,
                std::ptr::null(),
                0,
                &mut report,
            )
        };
        assert_eq!((code, report.line, report.col, report.program), (1, 0, 0, [10, 0, 0]));
    }

    #[test]
    fn strerror_describes_every_code() {
        for status in Status::ALL {
            let text = unsafe { CStr::from_ptr(tessera_rt_strerror(status as i32)) };
            assert_eq!(text, status.message());
        }
        let unknown = unsafe { CStr::from_ptr(tessera_rt_strerror(1234)) };
        assert_eq!(unknown, c"unknown tessera status code");
    }
}
