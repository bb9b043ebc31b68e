"""Put first on PYTHONPATH (conftest.cli_env), this hides the real awscrt from the process:
botocore then runs without CRT, as for most boto3 and AWS CLI v1 users, and does not pay the
~55 ms awscrt's import costs in each of the suite's hundreds of processes. Tests of
botocore's own `login` provider, which needs awscrt, start their processes without it."""

raise ImportError("awscrt is hidden from this test process (tests/without_crt)")
