"""`stscreds exec`: run a command with a profile's credentials, as fixed keys in its
environment or (`--server`) from a local endpoint that renews them.

Either way the command runs as it would have without stscreds: with the signal dispositions
the person's shell gave stscreds (`inherited_ignored`), its own exit code, and, when it cannot
start, the one line and exit code a shell gives (126, or 127 when it is not found), found
before any MFA prompt where that can be known beforehand (`find_command`)."""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping

from stscreds import ini, ini_edit, outputs
from stscreds.answers import MARGINS, region
from stscreds.broker import Broker
from stscreds.config import load_config
from stscreds.credentials import RENEW_MARGIN_SECONDS, parse_expiration
from stscreds.errors import EXIT_CANNOT_RUN, EXIT_NOT_FOUND, StscredsError
from stscreds.resolve import PROFILE_VARIABLES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stscreds.credentials import Credentials


class CommandNotFoundError(StscredsError):
    """No such command: 127, as shells say."""

    exit_code = EXIT_NOT_FOUND


class CannotRunError(StscredsError):
    """The command exists but cannot be started: 126, as shells say."""

    exit_code = EXIT_CANNOT_RUN


def exec_environment(profile: str, broker: Broker, environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` for the command `stscreds exec` runs: the credentials in, and the profile
    variables out (they would send an SDK looking for a profile instead of the keys), and the
    profile's region as `env` gives it."""
    credentials = broker.get(profile, MARGINS["exec"])
    kept = {name: value for name, value in environ.items() if name not in PROFILE_VARIABLES}
    return {**kept, **outputs.environment(credentials, region(profile))}


# --- which profile the command's shell is for --------------------------------------------------

# What `stscreds exec` tells the command besides the keys, as `env` tells a shell (see
# outputs.shell_script): which profile they are for (aws-vault's AWS_VAULT), and when a prompt
# hook must renew them. The README's shell lines read them, so that a shell started by
# `exec --profile prod` stays prod's instead of taking default's keys again.
PROFILE_VARIABLE = "STSCREDS_PROFILE"
RENEW_AT_VARIABLE = "STSCREDS_RENEW_AT"
# Under --server the endpoint renews and the command holds no keys: a prompt hook has nothing
# to renew, ever (2038-01-19, the largest time every shell's arithmetic holds).
NEVER = str(2**31 - 1)


def command_environment(profile: str, broker: Broker, environ: Mapping[str, str]) -> dict[str, str]:
    """exec_environment, and the variables of the prompt hook: the profile, and when to run
    `stscreds env` again (the renewal margin before the keys' end, as `env` says it)."""
    environment = exec_environment(profile, broker, environ)
    end = parse_expiration(environment["AWS_CREDENTIAL_EXPIRATION"]) or 0.0
    environment[PROFILE_VARIABLE] = profile
    environment[RENEW_AT_VARIABLE] = str(int(end - RENEW_MARGIN_SECONDS))
    return environment


def nested_profile(profile: str, flag: str | None, environ: Mapping[str, str]) -> str | None:
    """The profile of the shell stscreds runs in when `exec` is about to run another one that
    nobody named: `stscreds exec -- cmd` inside `stscreds exec --profile prod -- bash` gets
    default's credentials (botocore's choice, AWS_PROFILE being gone), which a person in prod's
    shell may not expect. A profile named with --profile is the person's choice: no note
    (every shell of the README's lines has STSCREDS_PROFILE set, so one would come each time)."""
    inherited = environ.get(PROFILE_VARIABLE)
    if flag is not None or not inherited or inherited == profile:
        return None
    return inherited


def login_shell(environ: Mapping[str, str]) -> str:
    """What `exec` runs when given no command: $SHELL (as aws-vault does), else the user's
    login shell, else sh."""
    if environ.get("SHELL"):
        return environ["SHELL"]
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_shell or "/bin/sh"
    except (ImportError, KeyError):
        return "/bin/sh"


# --- finding and starting the command ----------------------------------------------------------


def find_command(name: str, environ: Mapping[str, str]) -> str:
    """The file `name` runs, found as a shell finds it (on PATH unless it has a slash), and
    checked as far as can be without running it, so that a typo, a file without the x bit or
    a script whose #! interpreter is missing costs no MFA code: the same line and exit code as
    when exec itself fails (`cannot_run`)."""
    import shutil

    if "/" in name:
        if not os.path.lexists(name):
            raise CommandNotFoundError(f"{name}: no such file or directory")
        path = name
    else:
        search = environ.get("PATH", os.defpath)
        found = shutil.which(name, path=search)
        if found is None:
            for folder in search.split(os.pathsep):
                candidate = os.path.join(folder or ".", name)
                if os.path.isfile(candidate):  # there, but not executable: a shell says so (126)
                    raise cannot_run(name, PermissionError(13, os.strerror(13)))
            raise CommandNotFoundError(f"{name}: command not found")
        path = found
    if os.path.isdir(path):
        raise CannotRunError(f"could not run {name}: it is a folder")
    if not os.access(path, os.X_OK):
        raise cannot_run(name, PermissionError(13, os.strerror(13)))
    interpreter = _interpreter(path)
    if interpreter is not None and not os.access(interpreter, os.X_OK):
        raise CannotRunError(f"could not run {name}: its #! interpreter {interpreter} is missing or not executable")
    return path


def _interpreter(path: str) -> str | None:
    """The interpreter a script's #! line names, when it names one stscreds can read."""
    try:
        with open(path, "rb") as script:
            head = script.read(256)  # what the kernel reads of a #! line (BINPRM_BUF_SIZE)
    except OSError:
        return None  # executable but unreadable (0711): only exec can tell
    if not head.startswith(b"#!"):
        return None
    words = head[2:].split(b"\n", 1)[0].split()
    return os.fsdecode(words[0]) if words else None


def cannot_run(name: str, error: OSError) -> StscredsError:
    """The one line, and exit code 126, for a command that exists but would not start: the
    same whether `exec` replaces stscreds with it or `exec --server` starts it."""
    return CannotRunError(f"could not run {name}: {error.strerror or error}")


# Python ignores SIGPIPE and SIGXFSZ (SIGXFZ where it exists) for itself when it starts, and
# ignored signals stay ignored across exec: a command run from Python inherits that (`yes |
# head -1` says "Broken pipe" and exits 1, not 141). What the command gets must be what the
# person's shell gave stscreds instead.
PYTHON_IGNORED = tuple(getattr(signal, name) for name in ("SIGPIPE", "SIGXFSZ", "SIGXFZ") if hasattr(signal, name))
# Shells whose children get the dispositions the shell itself has for these signals: POSIX
# shells ignore neither for themselves, so one that does was told to (`trap '' PIPE`, or it
# inherited it) and passes that on. Other parents tell nothing: Python, fish, node and Rust
# programs ignore SIGPIPE for themselves and give their children the default.
POSIX_SHELLS = frozenset("sh bash rbash dash ash zsh ksh ksh93 mksh lksh pdksh oksh yash posh".split())


def inherited_ignored(proc: str = "/proc") -> frozenset[int]:
    """Which of PYTHON_IGNORED stscreds was started with ignored. Python set them before any
    of stscreds' code ran, so this process cannot tell; its parent can, when the parent is a
    POSIX shell, through Linux's /proc (its SigIgn mask). Anything else (no /proc, another
    parent, a parent gone) means the default, which is what a command normally gets."""
    parent = os.getppid()
    try:
        name = os.path.basename(os.readlink(f"{proc}/{parent}/exe")).removesuffix(" (deleted)")
        if name == "busybox":  # one binary for every applet: the name it runs as says which
            raise OSError
    except OSError:
        try:
            with open(f"{proc}/{parent}/comm") as comm:
                name = comm.read().strip()
        except OSError:
            return frozenset()
    if name.lstrip("-") not in POSIX_SHELLS:
        return frozenset()
    try:
        with open(f"{proc}/{parent}/status") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
        mask = int(fields["SigIgn"].strip(), 16)
    except (OSError, KeyError, ValueError):
        return frozenset()
    return frozenset(number for number in PYTHON_IGNORED if mask >> (number - 1) & 1)


def become(path: str, argv: list[str], environment: Mapping[str, str]) -> None:
    """Replace this process with the command: its exit code and signals are stscreds' from
    then on. Returns only by raising CannotRunError."""
    ignored = inherited_ignored()
    for number in PYTHON_IGNORED:
        signal.signal(number, signal.SIG_IGN if number in ignored else signal.SIG_DFL)
    try:
        os.execve(path, argv, environment)
    except OSError as error:
        for number in PYTHON_IGNORED:  # stscreds goes on to say why, on a stderr that may be a closed pipe
            signal.signal(number, signal.SIG_IGN)
        raise cannot_run(argv[0], error) from None


# --- exec --server -----------------------------------------------------------------------------

# What the command of `exec --server` keeps of the profile's settings: how to reach AWS and
# how to show things, never where credentials come from. An allow-list: a setting botocore
# learns next year (`login_session` was one) must not send the command around the endpoint.
SERVER_KEPT_SETTINGS = frozenset(
    "region output endpoint_url ignore_configure_endpoint_urls services retry_mode max_attempts ca_bundle "
    "parameter_validation tcp_keepalive s3 sts_regional_endpoints use_dualstack_endpoint use_fips_endpoint "
    "defaults_mode disable_request_compression request_min_compression_size_bytes sdk_ua_app_id "
    "account_id_endpoint_mode request_checksum_calculation response_checksum_validation auth_scheme_preference "
    "sigv4a_signing_region_set endpoint_discovery_enabled api_versions".split()
)
SERVER_KEPT_PREFIXES = ("cli_",)  # the AWS CLI's own: pager, timestamps, binary format...
# Variables an SDK would take credentials from before the endpoint, or that would redirect it.
SERVER_HIDDEN_VARIABLES = (
    *PROFILE_VARIABLES,
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
)
# Passed on to the command: what a person or a supervisor sends stscreds is meant for it.
FORWARDED_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")
)
# Sent to stscreds' threads when one reads or writes the terminal while the command holds it
# (a shell under exec --server): blocked, the read fails instead of stopping stscreds.
TERMINAL_STOPS = (signal.SIGTTIN, signal.SIGTTOU)
SI_KERNEL = 0x80  # Linux's si_code for a signal the kernel sent: the terminal's ^C, ^\, a hang-up
_CAN_WAIT_FOR_SIGNALS = hasattr(signal, "sigtimedwait")  # Linux, the BSDs; not macOS


def kept_setting(key: str) -> bool:
    return key in SERVER_KEPT_SETTINGS or key.startswith(SERVER_KEPT_PREFIXES)


def child_config(profile: str) -> str:
    """The AWS config file the command of `exec --server` sees: [default] holds the profile's
    settings (over [default]'s) that say how to reach AWS, none that says where credentials
    come from; the [services ...] sections its endpoints may name are kept."""
    config = load_config()
    merged = {**config.config_profiles.get("default", {}), **config.config_profiles.get(profile, {})}
    sections: dict[str, ini.Section] = {"default": {key: value for key, value in merged.items() if kept_setting(key)}}
    for name, values in config.sections.items():
        if name.startswith("services"):
            sections[name] = values
    return ini_edit.render(sections)


def _config_path(pid: int) -> str:
    from stscreds import paths

    return os.path.join(paths.stscreds_dir(), f"exec-{pid}.config")


def remove_stale_configs() -> None:
    """The config files of `exec --server`s that were killed (SIGKILL leaves no time to
    remove one): those whose process is gone."""
    from stscreds import atomic, paths

    try:
        names = os.listdir(paths.stscreds_dir())
    except OSError:
        return
    for name in names:
        pid = name[len("exec-") : -len(".config")]
        if not (name.startswith("exec-") and name.endswith(".config") and pid.isascii() and pid.isdigit()):
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            try:
                atomic.remove_file(_config_path(int(pid)), record=False)
            except StscredsError:
                pass
        except OSError:
            pass  # alive (another user's, even): not ours to judge


def server_environment(environ: Mapping[str, str], profile: str, url: str, token: str, config: str) -> dict[str, str]:
    environment = {k: v for k, v in environ.items() if k not in SERVER_HIDDEN_VARIABLES}
    environment.update(
        AWS_CONTAINER_CREDENTIALS_FULL_URI=url,
        AWS_CONTAINER_AUTHORIZATION_TOKEN=token,
        AWS_CONFIG_FILE=config,
        # botocore reads keys from a credentials file before it asks the endpoint;
        # /dev/null is no file to it (and an empty one to other SDKs).
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    environment[PROFILE_VARIABLE] = profile
    environment[RENEW_AT_VARIABLE] = NEVER
    return environment


def run_with_server(path: str, argv: list[str], profile: str, broker: Broker, environ: Mapping[str, str]) -> int:
    """Run the command with a credentials endpoint instead of fixed keys, for as long as the
    command runs; its exit code (128+N when a signal N ended it, as shells say)."""
    from stscreds import atomic, paths
    from stscreds.server import RENEW_BEFORE_SECONDS, CredentialsServer, RenewingCredentials

    first = broker.get(profile, RENEW_BEFORE_SECONDS)  # renew now, in the foreground, if it must be
    remove_stale_configs()
    config_path = _config_path(os.getpid())
    atomic.make_folders(paths.stscreds_dir(), enforce=True)
    atomic.write_file(config_path, child_config(profile).encode(ini.file_encoding()), record=False)
    try:

        def renew() -> Credentials:
            return broker.get(profile, RENEW_BEFORE_SECONDS)

        renewing = RenewingCredentials(renew, first, broker.ui.say, broker.clock)
        # Every signal meant for the command is blocked before any thread starts (they inherit
        # the mask), so that each comes to the loop in wait_forwarding and nowhere else.
        with _SignalsBlocked(), renewing, CredentialsServer(renewing.get, broker.ui.say) as server:
            environment = server_environment(environ, profile, server.url, server.token, config_path)
            return wait_forwarding(spawn(path, argv, environment))
    finally:
        atomic.remove_file(config_path, record=False)


def spawn(path: str, argv: list[str], environment: Mapping[str, str]) -> int:
    """Start the command as `become` would run it: no signal blocked, the dispositions the
    person's shell gave stscreds, stdin, stdout, stderr and any other descriptor stscreds
    was given (its own are close-on-exec). Its pid. (glibc's posix_spawn also leaves the two
    signals glibc keeps for itself, 32 and 33, ignored in the child, as in every child it
    starts: fish's, Rust's. No program can use them.)"""
    ignored = inherited_ignored()
    defaults = [number for number in PYTHON_IGNORED if number not in ignored]
    try:
        return os.posix_spawn(path, argv, environment, setsigmask=(), setsigdef=defaults)
    except OSError as error:
        raise cannot_run(argv[0], error) from None


class _SignalsBlocked:
    """Blocks the forwarded signals (where signals can be waited for with their sender), the
    child's end and the terminal's stops; afterwards, drops what was forwarded already and
    arrived after the command ended, and restores the mask."""

    def __init__(self) -> None:
        self.waited = (*FORWARDED_SIGNALS, signal.SIGCHLD) if _CAN_WAIT_FOR_SIGNALS else ()

    def __enter__(self) -> _SignalsBlocked:
        if self.waited and signal.getsignal(signal.SIGCHLD) == signal.SIG_IGN:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # ignored, the kernel reaps the command itself
        self.before = signal.pthread_sigmask(signal.SIG_BLOCK, (*self.waited, *TERMINAL_STOPS))
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.waited:
            while signal.sigtimedwait(self.waited, 0) is not None:
                pass  # the command has ended: nothing left to pass them on to
        signal.pthread_sigmask(signal.SIG_SETMASK, self.before)


def wait_forwarding(pid: int) -> int:
    """Wait for the command, passing on what is sent to stscreds, until it ends; its exit
    code. A signal the terminal sent (^C, ^\\, a hang-up) went to its whole foreground process
    group, the command included: passing it on would deliver it twice (two thread dumps from a
    JVM for one ^\\). Linux says who sent a signal; without that, ^C and ^\\ are not passed on
    while stscreds holds the terminal's foreground, and the rest are."""
    if _CAN_WAIT_FOR_SIGNALS:
        waited = (*FORWARDED_SIGNALS, signal.SIGCHLD)
        while True:
            info = signal.sigtimedwait(waited, 5.0)  # SIGCHLD ends the wait; 5 s in case it never comes
            if info is not None and info.si_signo != signal.SIGCHLD and info.si_code != SI_KERNEL:
                _send(pid, info.si_signo)
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return _exit_code(status)

    def forward(number: int, frame: object) -> None:
        if number not in (signal.SIGINT, signal.SIGQUIT) or not _holds_the_terminal():
            _send(pid, number)

    previous = {number: signal.signal(number, forward) for number in FORWARDED_SIGNALS}
    try:
        return _exit_code(os.waitpid(pid, 0)[1])
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _send(pid: int, number: int) -> None:
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass  # it has just ended


def _holds_the_terminal() -> bool:
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)


def _exit_code(status: int) -> int:
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)  # killed by signal N: 128+N, as shells say
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1
