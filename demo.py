"""See stscreds work without an AWS account: init -> auth -> read -> status -> a role profile,
against a local moto server.

Everything happens in a throwaway HOME that is deleted at the end; your own ~/.aws is not
read or touched. Run it from a venv where `pip install '.[demo]'` installed stscreds.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

STSCREDS = str(Path(sys.executable).parent / "stscreds")
SECRETS = ("aws_secret_access_key", "aws_session_token")
BOLD, PLAIN = ("\033[1m", "\033[0m") if sys.stdout.isatty() else ("", "")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def step(title: str, args: list[str], env: dict[str, str], stdin: str | None = None, shorten: bool = False) -> str:
    print(f"\n{BOLD}# {title}{PLAIN}\n$ stscreds {' '.join(args)}", flush=True)
    done = subprocess.run([STSCREDS, *args], input=stdin, capture_output=True, text=True, env=env, timeout=60)
    for line in done.stderr.splitlines():
        print(f"  (stderr) {line}")
    for line in done.stdout.splitlines():
        print(f"  (stdout) {line[:40] + '…' if shorten and len(line) > 40 else line}")
    if done.returncode != 0:
        sys.exit(f"demo failed: stscreds {args[0]} exited {done.returncode}")
    return done.stdout


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request log
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    home = tempfile.mkdtemp(prefix="stscreds-demo-")
    try:
        endpoint = f"http://127.0.0.1:{port}"
        # An IAM user with an access key and an MFA device, as an administrator would set up.
        admin = boto3.client(
            "iam",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="admin",
            aws_secret_access_key="admin",
        )
        admin.create_user(UserName="alice")
        key = admin.create_access_key(UserName="alice")["AccessKey"]
        device = admin.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]
        admin.enable_mfa_device(
            UserName="alice",
            SerialNumber=device["SerialNumber"],
            AuthenticationCode1="123456",
            AuthenticationCode2="654321",
        )
        aws_dir = Path(home) / ".aws"
        aws_dir.mkdir()
        (aws_dir / "credentials").write_text(
            "; hand-written profile, left exactly as it is\n[work]\nregion=eu-west-1\n"
        )

        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(HOME=home, AWS_ENDPOINT_URL=endpoint)
        print(f"moto (a local AWS look-alike) is serving on {endpoint}; HOME is {home}")
        print("Answers that a person would type are piped in here.")

        step(
            "Once: store the long-term key pair (checked with iam:GetUser)",
            ["init"],
            env,
            f"{key['AccessKeyId']}\n{key['SecretAccessKey']}\n",
        )
        step("Each morning: trade an MFA code for a 12-hour session", ["auth"], env, "123456\n")
        token = step(
            "In .bashrc: read one value (no network while the session is valid)",
            ["read", "aws_session_token"],
            env,
            shorten=True,  # a secret: show only its start
        ).strip()

        step("Any time: who, which file, how long left (no network, no prompt)", ["status"], env)

        # A role in another account, as the AWS CLI would have it in ~/.aws/config.
        (aws_dir / "config").write_text(
            "[profile prod]\nrole_arn = arn:aws:iam::222222222222:role/Deploy\nsource_profile = default\n"
        )
        step(
            "A role profile: assumed with the MFA session, no code of its own, cached in ~/.stscreds/cache",
            ["read", "aws_access_key_id", "--profile", "prod"],
            env,
        )
        step("Renew roles now, in parallel (one line per role)", ["assume", "--all"], env)

        print(f"\n{BOLD}# {aws_dir / 'credentials'} now reads (secrets shortened):{PLAIN}")
        for line in (aws_dir / "credentials").read_text().splitlines():
            name, sep, value = line.partition(" = ")
            print(f"  {name}{sep}{value[:12] + '…' if name in SECRETS else value}")

        os.environ.update(env)
        seen = boto3.Session().get_credentials()
        assert seen is not None and seen.token == token
        print("\nboto3 (like the AWS CLI and every SDK) now finds the session token in [default]. Done.")
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
