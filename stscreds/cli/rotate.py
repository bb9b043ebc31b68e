"""`stscreds rotate`."""

from __future__ import annotations

import typer

from stscreds import answers
from stscreds.cli.common import OptionalProfile, ProfileOption, app, broker, fail, run, say
from stscreds.commands.rotate import rotate as rotate_key
from stscreds.errors import EXIT_FAILURE


@app.command()
def rotate(
    profile: OptionalProfile = ProfileOption,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Replace your long-term access key with a new one, then delete the old one.

    Uses the MFA session (renewed first if need be): iam:CreateAccessKey (asked once, never
    retried), then iam:GetUser with the new pair until IAM accepts it, then stores it in every
    profile that holds the old key and deletes the old key. Never leaves a key that nobody has,
    and a store never names a deleted key: an interruption ends in a state the last line names.

    Examples:
        stscreds rotate
        stscreds rotate --profile work --yes        # no question: for a script
    """
    result = run(lambda: rotate_key(answers.profile_for("rotate", profile), broker(), yes))
    which = "profile" if len(result.profiles) == 1 else "profiles"
    say(
        f"Replaced {result.old_key} with {result.new_key} for IAM user {result.user} in {result.path} "
        f"({which} {', '.join(result.profiles)})."
    )
    if result.old_key_deleted is not None:
        fail(
            f"the new key is stored, but the old key {result.old_key} was not deleted ({result.old_key_deleted}): "
            f"delete it in the IAM console (user {result.user})",
            EXIT_FAILURE,
        )
    say(f"Deleted the old key {result.old_key}.")
    if not result.session_works:
        say("The current session no longer works: run `stscreds auth`.")
