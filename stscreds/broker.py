"""The one credentials broker: "valid credentials for profile P, with at least M seconds left".

It looks in the source's store; if they are not there, it takes the source's lock, looks
again (another process may have renewed meanwhile), fetches from the source, stores, and
returns. Every consumer (`read`, `env`, `exec`, `credential-process`, the library) asks it,
and it is the only place that decides whether to renew. Sources (a session token, an assumed
role, an IAM Identity Center role, a login) slot in behind it without changing it.

The fast path needs none of this: it asks `resolve` for the source and reads its store.
"""

from __future__ import annotations

import time

from stscreds.credentials import RENEW_MARGIN_SECONDS, Credentials
from stscreds.errors import NoInputError, StscredsError, debug
from stscreds.resolve import resolve
from stscreds.sources import build

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from stscreds.aws import ApiFactory
    from stscreds.prompts import UI, MfaPrompter
    from stscreds.sources import Clock, Root, Source


class Broker:
    """Renews what must be renewed, with I/O given to it: a UI for messages and choices, where
    MFA codes come from (per stscreds profile), how to call AWS, and a clock."""

    def __init__(
        self,
        ui: UI,
        mfa_for: Callable[[str], MfaPrompter],
        make_api: ApiFactory | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.ui = ui
        self.mfa_for = mfa_for
        self._make_api = make_api
        self.clock = clock
        self.fetched: set[str] = set()  # the sources this broker has fetched from (lock names)

    @property
    def make_api(self) -> ApiFactory:
        if self._make_api is None:
            from stscreds.aws import AwsApi  # boto3 is slow to import: only renewals need it

            self._make_api = AwsApi
        return self._make_api

    def get(
        self, profile: str, min_seconds: float = RENEW_MARGIN_SECONDS, fallback_seconds: float | None = None
    ) -> Credentials:
        """Credentials for `profile` with more than `min_seconds` left, renewed if need be.
        When renewing needs an MFA code that nothing can give, credentials with more than
        `fallback_seconds` left do instead."""
        return self.get_from(build(resolve(profile)), min_seconds, fallback_seconds)

    def get_from(
        self, source: Source, min_seconds: float = RENEW_MARGIN_SECONDS, fallback_seconds: float | None = None
    ) -> Credentials:
        if source.renew_within is not None:
            min_seconds = min(min_seconds, source.renew_within)
        current = source.store.load()
        if current is not None and current.outlives(min_seconds, self.clock()):
            debug(__name__, "%s: valid until %s", source.store, current.expiration_text)
            return current
        debug(__name__, "%s: no credentials with %d s left", source.store, min_seconds)
        try:
            return self._renew(source, min_seconds)
        except NoInputError:
            if (
                fallback_seconds is not None
                and current is not None
                and current.outlives(fallback_seconds, self.clock())
            ):
                debug(__name__, "%s: cannot renew now; the current credentials will do", source.store)
                return current
            raise

    def get_many(
        self,
        names: list[str],
        min_seconds: float = RENEW_MARGIN_SECONDS,
        max_workers: int = 16,
        renew: bool = False,
    ) -> dict[str, Credentials | StscredsError]:
        """Credentials for each profile, fetched in parallel; each failure is that profile's
        alone. MFA sessions that must be renewed first are renewed here, one after another in
        this thread, before anything runs in parallel: at most one prompt per session, in the
        thread that Ctrl-C reaches. With `renew`, role credentials are fetched anew."""
        from concurrent.futures import ThreadPoolExecutor

        results: dict[str, Credentials | StscredsError] = {}
        sources: dict[str, Source] = {}
        for name in dict.fromkeys(names):
            try:
                sources[name] = build(resolve(name))
                sources[name].prepare(self)
            except StscredsError as error:
                results[name] = error
        roots: dict[str, tuple[Root, list[str]]] = {}
        for name, source in sources.items():
            root = source.root()
            roots.setdefault(root.lock_name, (root, []))[1].append(name)
        for root, dependents in roots.values():
            asked_for = any(sources[name].lock_name == root.lock_name for name in dependents)
            try:
                root.make_ready(self, max(min_seconds, RENEW_MARGIN_SECONDS) if asked_for else RENEW_MARGIN_SECONDS)
            except StscredsError as error:
                for name in dependents:
                    results[name] = error
                    del sources[name]

        def one(source: Source) -> Credentials | StscredsError:
            try:
                if renew and source.root().lock_name != source.lock_name:
                    return self._renew(source, None)
                return self.get_from(source, min_seconds)
            except StscredsError as error:
                return error

        with ThreadPoolExecutor(max(1, min(max_workers, len(sources)))) as pool:
            results.update(zip(sources, pool.map(one, sources.values())))
        return {name: results[name] for name in dict.fromkeys(names)}

    def renew(self, source: Source) -> Credentials:
        """New credentials from `source` now, whatever the store holds (`auth`)."""
        return self._renew(source, None)

    def _renew(self, source: Source, min_seconds: float | None) -> Credentials:
        """Fetch from `source` unless, once its lock is held, the store has credentials with
        `min_seconds` left. With None, fetch anyway (`auth`, `assume`), unless this broker
        fetched from it meanwhile: `assume a b` with b assumed from a renews a once."""
        from stscreds.lock import SourceLock

        source.prepare(self)  # before the lock: a broken file should not make others wait
        fetched_before = source.lock_name in self.fetched
        with SourceLock(source.lock_name, self.ui.say):
            current = source.store.load()  # renewed while we waited?
            if min_seconds is None:
                if current is not None and not fetched_before and source.lock_name in self.fetched:
                    return current  # another thread of this broker fetched it meanwhile
            elif current is not None and current.outlives(min_seconds, self.clock()):
                return current
            elif source.renewal_notice:
                self.ui.say(source.renewal_notice)
            credentials = source.fetch(self)
            source.store.save(credentials)
            self.fetched.add(source.lock_name)
            source.saved(self, credentials)
            return credentials
