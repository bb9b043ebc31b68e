"""`stscreds clear`."""

from __future__ import annotations

import typer

from stscreds import answers
from stscreds.cli.common import OptionalProfile, ProfileOption, app, run, say
from stscreds.commands.clear import Cleared
from stscreds.commands.clear import clear as clear_cached
from stscreds.errors import UsageError


@app.command()
def clear(
    profile: OptionalProfile = ProfileOption,
    everything: bool = typer.Option(False, "--all", help="Every profile's session and cached credentials."),
) -> None:
    """Forget cached credentials, so that the next use gets new ones.

    Removes the profile's MFA session from ~/.aws/credentials (its four keys; every other byte
    stays, and the section goes only if stscreds added it and nothing else is in it), and the role
    and IAM Identity Center role credentials cached for it and for every profile that rests on it.
    Never your long-term keys, never an IAM Identity Center or AWS Sign-In login (`stscreds sso
    logout` and `stscreds logout --login` end those).
    Says on stderr what it removed.

    Example:

        stscreds clear                  # the next `stscreds read` asks for an MFA code

        stscreds clear --profile prod   # prod assumes its role again at the next use
    """

    def forget() -> Cleared:
        if everything and profile is not None:
            raise UsageError("give --profile or --all, not both")
        name = None if everything else answers.profile_for("clear", profile)
        return clear_cached(name, everything)

    report(run(forget), everything)


def report(cleared: Cleared, everything: bool) -> None:
    if cleared.alias_of:
        say(f"That profile is an alias of {cleared.alias_of!r}: clearing what {cleared.alias_of!r} has.")
    for session in cleared.sessions:
        section = f", and the [{session.profile}] section stscreds had added" if session.section_removed else ""
        say(f"Forgot the session of {session.profile!r} ({session.access_key_id}) in {session.path}{section}.")
    if cleared.cached:
        names = ", ".join(repr(name) for name in cleared.cached)
        say(f"Forgot the cached credentials of {names} in {cleared.cache_path}.")
    if cleared.kept:
        say(f"Kept: {cleared.kept}.")
    if not cleared.sessions and not cleared.cached:
        say("Nothing to forget: no session and no cached credentials" + ("." if everything else " for that profile."))
