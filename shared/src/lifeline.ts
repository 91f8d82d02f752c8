// A child of the local launcher stops when its launcher is gone, however the
// launcher went (SIGKILL included): the launcher holds the write end of a pipe
// on the child's stdin and never writes to it, so the child sees that pipe
// end exactly when the launcher's process ends (operations review §3: a
// killed launcher left its cluster running, reparented to init, on the port).
// A node or gateway started by hand or by a service manager does not get
// POWERSTORE_LIFELINE and ignores stdin.
//
// A second sign, independent of the pipe: a child whose launcher died is
// handed to init (or a subreaper), so its parent pid changes.

export const LIFELINE_ENV = 'POWERSTORE_LIFELINE';
const PARENT_CHECK_MS = 1000;

/** Calls `stop` once, when the launcher's pipe on stdin ends. */
export function stopWithLauncher(stop: () => void): void {
  if (process.env[LIFELINE_ENV] !== '1') return;
  let called = false;
  const once = (): void => {
    if (called) return;
    called = true;
    stop();
  };
  process.stdin.on('data', () => {}); // nothing comes; reading is how the end is seen
  process.stdin.once('end', once);
  process.stdin.once('error', once);
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) once();
  }, PARENT_CHECK_MS).unref();
}
