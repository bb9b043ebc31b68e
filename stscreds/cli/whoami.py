"""`stscreds whoami`."""

from __future__ import annotations

from stscreds import answers
from stscreds.cli.common import OptionalProfile, ProfileOption, app, make_api, print_out, run
from stscreds.commands.whoami import whoami as identity_of


@app.command()
def whoami(profile: OptionalProfile = ProfileOption) -> None:
    """Show the IAM user and MFA devices of the stored long-term keys.

    Calls iam:GetUser and iam:ListMFADevices with them.

    Example:
        stscreds whoami --profile work
    """
    identity = run(lambda: identity_of(answers.profile_for("whoami", profile), make_api))
    lines = [
        f"User:       {identity.user_name or '(root)'}",
        f"ARN:        {identity.arn}",
        f"Access key: {identity.access_key_id} (long-term)",
    ]
    lines += [f"MFA device: {serial}" for serial in identity.mfa_serials or ["(none: assign one in the IAM console)"]]
    print_out("".join(line + "\n" for line in lines))
