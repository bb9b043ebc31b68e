"""The package's layers, as README's layout lists them: each module imports only modules of
its own layer or of the layers below, and module-level imports have no cycle. Imports inside
functions (made late, for speed) and under TYPE_CHECKING count too: a late import upwards is
still an upward dependency. And the fast path loads only its own short list of modules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import cli_env, write_credentials

PACKAGE = Path(__file__).resolve().parent.parent / "stscreds"

# Lowest first. A module's layer is that of its longest listed prefix.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "values",
        (
            *("stscreds.version", "stscreds.errors", "stscreds.credentials", "stscreds.paths"),
            *("stscreds.outputs", "stscreds.exports"),
        ),
    ),
    ("files", ("stscreds.ini", "stscreds.ini_edit", "stscreds.atomic", "stscreds.lock")),
    ("config and stores", ("stscreds.config", "stscreds.credentials_file", "stscreds.cache", "stscreds.keystore")),
    (
        "AWS calls and the person",
        (
            "stscreds.aws",
            "stscreds.sso",
            "stscreds.signin",
            "stscreds.federation",
            "stscreds.prompts",
            "stscreds.browser",
        ),
    ),
    ("deciding", ("stscreds.sources", "stscreds.resolve", "stscreds.broker")),
    ("use cases", ("stscreds.answers", "stscreds.status", "stscreds.listing", "stscreds.server", "stscreds.commands")),
    # The package itself is the library's front: its names are the library's, loaded on first use.
    ("edges", ("stscreds.cli", "stscreds.__main__", "stscreds.library", "stscreds")),
]

# What `read`, `env`, `credential-process`, `status` and `list` may load while they answer from
# the stores: these modules of stscreds', and nothing of the standard library that the interpreter
# has not loaded for itself already.
FAST_PATH_MODULES = {
    "stscreds", "stscreds.__main__", "stscreds.answers", "stscreds.resolve", "stscreds.config", "stscreds.ini",
    "stscreds.paths", "stscreds.credentials", "stscreds.outputs", "stscreds.keystore",
    "stscreds.credentials_file", "stscreds.cache", "stscreds.status", "stscreds.exports", "stscreds.listing",
    # `from __future__ import annotations` loads this tiny module (no imports of its own) where
    # site has not (a non-editable install): it is the cost of one annotation style, not a feature.
    "__future__",
}  # fmt: skip


def layer_of(module: str) -> int:
    best, found = -1, None
    for number, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            inside = module.startswith(prefix + ".") and prefix != "stscreds"  # the package: itself only
            if (module == prefix or inside) and len(prefix) > best:
                best, found = len(prefix), number
    assert found is not None, f"{module} is in no layer: add it to LAYERS and to README's layout"
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    relative = Path(*name.split("."))
    return (PACKAGE.parent / relative).with_suffix(".py").exists() or (
        PACKAGE.parent / relative / "__init__.py"
    ).exists()


def imports(path: Path) -> tuple[set[str], set[str]]:
    """The stscreds modules `path` imports: (at module level, anywhere)."""
    tree = ast.parse(path.read_text(), str(path))
    top_level = {id(node) for node in tree.body}
    for node in tree.body:  # `if TYPE_CHECKING:` blocks are module level too
        if isinstance(node, ast.If):
            top_level.update(id(child) for child in node.body)
    found: set[str] = set()
    at_top: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                names.append(candidate if is_module(candidate) else node.module)
        names = [name for name in names if name == "stscreds" or name.startswith("stscreds.")]
        found.update(names)
        if id(node) in top_level:
            at_top.update(names)
    return at_top, found


def graph() -> dict[str, tuple[set[str], set[str]]]:
    return {module_name(path): imports(path) for path in sorted(PACKAGE.rglob("*.py"))}


def test_every_import_goes_down_or_sideways() -> None:
    upward = []
    for module, (_, everywhere) in graph().items():
        for target in everywhere:
            if target != module and layer_of(target) > layer_of(module):
                upward.append(
                    f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
                )
    assert upward == []


def test_module_level_imports_have_no_cycle() -> None:
    edges = {module: {t for t in top if t != module} for module, (top, _) in graph().items()}
    # A module also loads its package's __init__ first.
    for module in list(edges):
        parent = module.rpartition(".")[0]
        if parent and parent != "stscreds" and parent in edges:
            edges[module].add(parent)
    state: dict[str, int] = {}

    def visit(module: str, stack: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                pytest.fail("a cycle of module-level imports: " + " -> ".join([*stack[stack.index(target) :], target]))
            if target not in state:
                visit(target, [*stack, target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])


def test_every_module_is_in_a_layer_and_in_the_readme() -> None:
    readme = (PACKAGE.parent / "README.md").read_text()
    for name, _ in LAYERS:
        assert f"**{name}**" in readme, f"README's layout does not list the layer {name!r}"
    for module in graph():
        layer_of(module)
        short = module.removeprefix("stscreds.").split(".")[0]
        if module != "stscreds":
            assert f"`{short}" in readme, f"README's layout does not name {module}"


CHECK_FAST = """
import sys
before = set(sys.modules)
from stscreds.__main__ import fast_answer
answers = [fast_answer(args.split()) for args in sys.argv[1:]]
assert all(answer is not None for answer in answers), answers
print(" ".join(sorted(set(sys.modules) - before)))
"""


def test_the_fast_path_loads_only_its_own_modules(isolated_env: Path) -> None:
    write_credentials(
        isolated_env,
        "[default]\naws_access_key_id = ASIAEXAMPLEEXAMPLE01\naws_secret_access_key = s\naws_session_token = t\n"
        "x_security_token_expires = 2099-01-01T00:00:00Z\n",
    )
    store = isolated_env / ".stscreds" / "credentials"
    store.parent.mkdir()
    store.write_text("[default]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = s\n")
    (isolated_env / ".aws" / "config").write_text(
        "[profile prod]\nrole_arn = arn:aws:iam::222222222222:role/Deploy\nsource_profile = default\n"
        # A login profile (stscreds login): its credentials are served without JSON or cryptography.
        "[profile signin]\nlogin_session = arn:aws:iam::123456789012:user/alice\n"
    )
    (isolated_env / ".stscreds" / "cache").write_text(
        "[prod]\naws_access_key_id = ASIAROLEROLEROLEROLE\naws_secret_access_key = s\naws_session_token = t\n"
        "x_security_token_expires = 2099-01-01T00:00:00Z\nrole_arn = arn:aws:iam::222222222222:role/Deploy\n"
        "source_profile = default\nroot = session.default\n"
        "[signin]\naws_access_key_id = ASIALOGINLOGINLOGIN1\naws_secret_access_key = s\naws_session_token = t\n"
        "x_security_token_expires = 2099-01-01T00:00:00Z\nlogin_session = arn:aws:iam::123456789012:user/alice\n"
        "root = login-session.arn:aws:iam::123456789012:user/alice\n"
    )
    commands = [
        *("read aws_session_token", "env", "credential-process", "status", "status --json", "env -p prod"),
        *("env --format process", "env --format fish -p prod", "env --unset", "list", "list --json"),
        *("credential-process -p signin", "status -p signin"),
    ]
    done = subprocess.run(
        [sys.executable, "-c", CHECK_FAST, *commands], capture_output=True, text=True, env=cli_env(isolated_env)
    )
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert loaded - FAST_PATH_MODULES == set()
