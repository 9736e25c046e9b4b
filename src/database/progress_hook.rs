//! A process-wide hook through which long library work (building a scratch
//! database: `check` cold, `stamp`, `adopt`) reports its progress, so that
//! the CLI can draw a progress bar without every function in between
//! passing an observer along. Without a hook, nothing is reported.

use std::sync::Mutex;

/// What the scratch builder reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Building a scratch database by applying this many migrations.
    Started(usize),
    /// One more migration applied.
    Step,
    /// Done (also after a failure).
    Finished,
}

type Hook = Box<dyn Fn(Event) + Send>;

static HOOK: Mutex<Option<Hook>> = Mutex::new(None);

/// Installs the hook (replacing any other).
pub fn set(hook: impl Fn(Event) + Send + 'static) {
    if let Ok(mut slot) = HOOK.lock() {
        *slot = Some(Box::new(hook));
    }
}

/// Reports `event` to the hook, if one is installed.
pub fn emit(event: Event) {
    if let Ok(slot) = HOOK.lock() {
        if let Some(hook) = slot.as_ref() {
            hook(event);
        }
    }
}
