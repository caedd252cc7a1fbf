/**
 * Typed errors. Library code throws these; each tool maps them to its own
 * documented exit codes at its edge (see `lib/cli.ts`).
 *
 * @module
 */

/**
 * `text` on one line: each line break, with the blanks around it, becomes
 * one space. Messages quote what people typed (names, patterns, options),
 * which may hold newlines; an error is always one line on stderr.
 */
export function oneLine(text: string): string {
  return text.replace(/\s*[\n\r\u2028\u2029]\s*/g, " ");
}

/** Base class of every error this toolkit throws on purpose. */
export class TmuxToolError extends Error {
  /** The error's name. */
  override name = "TmuxToolError";
}

/** Bad command-line or option input. Its message is always one line (see {@link oneLine}). */
export class UsageError extends TmuxToolError {
  /** The error's name. */
  override name = "UsageError";
  /**
   * Creates the error.
   * @param message What is wrong; line breaks in quoted input become spaces.
   */
  constructor(message: string) {
    super(oneLine(message));
  }
}

/** `tmux` could not be started because it is not on PATH. */
export class TmuxNotFoundError extends TmuxToolError {
  /** The error's name. */
  override name = "TmuxNotFoundError";
  /** Creates the error. */
  constructor() {
    super("tmux not found in PATH (install tmux, e.g. apt-get install -y tmux)");
  }
}

/** A tmux call ran past its time bound and was killed. */
export class TmuxTimeoutError extends TmuxToolError {
  /** The error's name. */
  override name = "TmuxTimeoutError";
  /**
   * Creates the error.
   * @param subcommand The subcommand.
   * @param timeoutMs The timeoutMs.
   */
  constructor(readonly subcommand: string, readonly timeoutMs: number) {
    super(`tmux ${subcommand} did not answer within ${timeoutMs} ms`);
  }
}

/** A tmux call exited non-zero. */
export class TmuxCommandError extends TmuxToolError {
  /** The error's name. */
  override name = "TmuxCommandError";
  /**
   * Creates the error.
   * @param subcommand The subcommand.
   * @param stderr The stderr.
   * @param exitCode The exitCode.
   */
  constructor(
    readonly subcommand: string,
    readonly stderr: string,
    readonly exitCode: number,
  ) {
    // Exit 0 is tmux reporting success while doing nothing: no "(exit 0)" then.
    super(
      `tmux ${subcommand} failed` + (exitCode === 0 ? "" : ` (exit ${exitCode})`) +
        (stderr ? `: ${stderr.trim().split("\n")[0]}` : ""),
    );
  }
}

/** No tmux server answers on the socket. */
export class ServerNotRunningError extends TmuxToolError {
  /** The error's name. */
  override name = "ServerNotRunningError";
  /**
   * Creates the error.
   * @param socket The socket.
   */
  constructor(readonly socket: string | undefined) {
    super(
      socket
        ? `tmux server is not running on socket: ${socket}`
        : "tmux server is not running on socket",
    );
  }
}

/** A tmux session of that name already exists, or the name is registered. */
export class SessionExistsError extends TmuxToolError {
  /** The error's name. */
  override name = "SessionExistsError";
  /**
   * Creates the error.
   * @param session The session.
   * @param where The where.
   * @param socket The socket the tmux session is on (named in the message).
   */
  constructor(readonly session: string, where: "registry" | "tmux", socket?: string) {
    super(
      where === "registry"
        ? `Session '${session}' already exists in registry`
        : socket === undefined
        ? `Session '${session}' already exists on the tmux server`
        : `Tmux session '${session}' already exists on socket ${socket}`,
    );
  }
}

/** The registry file cannot be used (not JSON, wrong version, bad shape). */
export class RegistryInvalidError extends TmuxToolError {
  /** The error's name. */
  override name = "RegistryInvalidError";
  /**
   * Creates the error.
   * @param file The file.
   * @param problem The problem.
   */
  constructor(readonly file: string, readonly problem: string) {
    super(`Registry ${file} is unusable: ${problem} (left unchanged)`);
  }
}

/** The registry lock was not acquired within `LOCK_TIMEOUT`. */
export class RegistryLockTimeoutError extends TmuxToolError {
  /** The error's name. */
  override name = "RegistryLockTimeoutError";
  /**
   * Creates the error.
   * @param lockFile The lockFile.
   * @param timeoutSeconds The timeoutSeconds.
   */
  constructor(readonly lockFile: string, readonly timeoutSeconds: number, detail = "") {
    super(
      `Timed out after ${timeoutSeconds}s waiting for registry lock ${lockFile}` +
        (detail ? ` (${detail})` : ""),
    );
  }
}

/**
 * The registry (or its lock) could not be written: a read-only or full
 * filesystem, a folder that can't be created, a dangling lock symlink.
 * Writers fail with it; look-ups never do (they only read).
 */
export class RegistryWriteError extends TmuxToolError {
  /** The error's name. */
  override name = "RegistryWriteError";
  /**
   * Creates the error.
   * @param role What could not be written (`registry`, `registry lock`).
   * @param path Its path.
   * @param problem Why, on one line.
   */
  constructor(readonly role: string, readonly path: string, readonly problem: string) {
    super(oneLine(`Cannot write ${role} ${path}: ${problem}`));
  }
}

/** A registry entry a tool can't act on (not an object, or no `socket` or `target`). */
export class InvalidEntryError extends TmuxToolError {
  /** The error's name. */
  override name = "InvalidEntryError";
  /**
   * Creates the error.
   * @param session The entry's name.
   * @param file The registry file.
   * @param problem What is wrong with the entry.
   */
  constructor(readonly session: string, readonly file: string, readonly problem: string) {
    super(
      oneLine(`Session '${session}' in registry ${file} is not usable: ${problem}`),
    );
  }
}

/** A registry or socket path that is unsafe to trust or use. */
export class UnsafePathError extends TmuxToolError {
  /** The error's name. */
  override name = "UnsafePathError";
}

/** `-s NAME` names a session that is not in the registry. */
export class SessionNotFoundError extends TmuxToolError {
  /** The error's name. */
  override name = "SessionNotFoundError";
  /**
   * Creates the error.
   * @param session The session.
   */
  constructor(readonly session: string) {
    super(`Session '${session}' not found in registry`);
  }
}

/** Auto-detection found no registered session. */
export class NoSessionsError extends TmuxToolError {
  /** The error's name. */
  override name = "NoSessionsError";
  /** Creates the error. */
  constructor() {
    super("No sessions found in registry");
  }
}

/** Auto-detection found several registered sessions. */
export class AmbiguousSessionError extends TmuxToolError {
  /** The error's name. */
  override name = "AmbiguousSessionError";
  /**
   * Creates the error.
   * @param names The names.
   */
  constructor(readonly names: string[]) {
    super(
      `Multiple sessions found (${names.length} total)`,
    );
  }
}

/** The target pane (or its session) does not exist. */
export class PaneNotFoundError extends TmuxToolError {
  /** The error's name. */
  override name = "PaneNotFoundError";
  /**
   * Creates the error.
   * @param target The target.
   * @param sessionExists The sessionExists.
   */
  constructor(readonly target: string, readonly sessionExists: boolean) {
    super(
      sessionExists
        ? `Pane does not exist (target: ${target})`
        : `Session does not exist (target: ${target})`,
    );
  }
}

/** A pattern that is not a valid POSIX extended regular expression. */
export class InvalidPatternError extends UsageError {
  /** The error's name. */
  override name = "InvalidPatternError";
  /**
   * Creates the error.
   * @param pattern The pattern as given.
   * @param reason Why it is invalid.
   */
  constructor(readonly pattern: string, readonly reason: string) {
    super(`Invalid regex pattern: ${pattern} (${reason})`);
  }
}

/** A duration that is not `N` followed by `s`, `m`, `h` or `d`. */
export class InvalidDurationError extends UsageError {
  /** The error's name. */
  override name = "InvalidDurationError";
  /** The accepted form, shown on a line of its own. */
  readonly hint = "Use format like: 30m, 2h, 1d";
  /**
   * Creates the error.
   * @param duration The rejected text.
   */
  constructor(readonly duration: string) {
    super(`Invalid duration format: ${duration}`);
  }
}

/** Sending text to a pane failed on every attempt. */
export class SendFailedError extends TmuxToolError {
  /** The class name. */
  override name = "SendFailedError";
  /** How many attempts were made. */
  readonly attempts: number;
  /** Why the last attempt failed. */
  readonly lastError: Error;
  /** Says how many attempts failed; `lastError` is the last one's failure. */
  constructor(attempts: number, lastError: Error) {
    super(`Failed to send command after ${attempts} attempts`);
    this.attempts = attempts;
    this.lastError = lastError;
  }
}

/** A library operation ran past the `timeoutMs` its caller gave it. */
export class OperationTimeoutError extends TmuxToolError {
  /** The class name. */
  override name = "OperationTimeoutError";
  /**
   * Creates the error.
   * @param operation What timed out (`createSession`, ...).
   * @param timeoutMs The bound that was exceeded.
   */
  constructor(readonly operation: string, readonly timeoutMs: number) {
    super(`${operation} did not finish within ${timeoutMs} ms`);
  }
}

/** A long-lived face (the MCP server) refuses to act on this socket or pane. */
export class AccessDeniedError extends TmuxToolError {
  /** The class name. */
  override name = "AccessDeniedError";
}
