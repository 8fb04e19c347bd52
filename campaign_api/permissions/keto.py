"""Ory Keto as the permission engine: its read API (port 4466) and write API (port 4467) over httpx.

Checks go to ``POST /relation-tuples/batch/check`` in de-duplicated chunks of Keto's batch limit
(``limit.max_batch_check_size``, 10), at most ``max_concurrent_batches`` chunks at a time. Failing closed:

- a result carrying ``error`` is UNAVAILABLE for that check alone;
- a connection error, a timeout, a 5xx or a body that is not a batch answer is UNAVAILABLE for every check of the
  chunk, once the retries are spent (transport errors and 5xx only; a 4xx is an answer and is never retried);
- each request to Keto, retries and back-off included, ends by ``timeout_seconds`` (a batch check of many chunks
  gives each chunk its own, from when the concurrency bound lets it start);
- after ``failure_threshold`` consecutive failures the circuit breaker opens: checks answer UNAVAILABLE without a
  request until the cool-down is over and one probe succeeds.

Writes. Keto keeps duplicate tuples, and a PATCH applies all of its inserts before any of its deletes, whatever their
order in the body (``TransactRelationTuples`` in Keto's SQL persister). So "delete then insert" in one PATCH would
delete the tuple it means to write. Instead ``write()`` first asks which of the tuples to insert are already stored
(one exact listing each) and sends one PATCH that inserts only the missing ones, with the deletes. Repeating a write
adds no copy; two writers racing on the same new tuple can still store it twice, which changes no answer (a delete
removes every copy). Writes are not retried here: their caller (the outbox relay) retries, at one layer only.

httpx's exceptions are translated into ``PermissionServiceUnavailable`` here and nowhere else.
"""

from __future__ import annotations

import asyncio
import logging
import random as random_module
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any, TypeVar

import httpx

from campaign_api.permissions.circuit_breaker import CircuitBreaker
from campaign_api.permissions.engine import PermissionServiceUnavailable, TuplePage, Verdict
from campaign_api.permissions.tuples import RelationTuple, Subject, SubjectSet, TupleQuery

logger = logging.getLogger("campaign_api.permissions")

KETO_MAX_BATCH_SIZE = 10  # Keto's limit.max_batch_check_size
BATCH_CHECK_PATH = "/relation-tuples/batch/check"
LIST_PATH = "/relation-tuples"
ADMIN_PATH = "/admin/relation-tuples"

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


class _Failure(Exception):
    """Keto did not answer usably: a transport error, a 5xx, or a body that is not what the API promises."""


class _Malformed(_Failure):
    pass


class _Refused(Exception):
    """A 4xx: Keto is up and read the request, and will not do it. Never retried."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


@dataclass(frozen=True, slots=True)
class _Api:
    """One of Keto's two ports: its pooled client and the breaker that guards it."""

    name: str
    client: httpx.AsyncClient
    breaker: CircuitBreaker


class KetoEngine:
    def __init__(
        self,
        read_url: str,
        write_url: str,
        *,
        max_batch_size: int = KETO_MAX_BATCH_SIZE,
        max_concurrent_batches: int = 5,
        max_depth: int | None = None,
        timeout_seconds: float = 1.0,
        retries: int = 2,
        backoff_base_seconds: float = 0.05,
        backoff_max_seconds: float = 0.5,
        failure_threshold: int = 5,
        cool_down_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        random: Callable[[], float] = random_module.random,
    ) -> None:
        """``max_depth`` None sends no ``max-depth`` (Keto's own ``limit.max_read_depth`` applies); ``clock`` drives
        the two circuit breakers (one per port); ``sleep`` and ``random`` drive the back-off."""
        if max_batch_size < 1 or max_concurrent_batches < 1:
            raise ValueError("max_batch_size and max_concurrent_batches must be at least 1")
        if retries < 0:
            raise ValueError("retries must not be negative")
        self.max_batch_size = max_batch_size
        self.max_concurrent_batches = max_concurrent_batches
        self.max_depth = max_depth
        self.timeout_seconds = timeout_seconds
        self.retries = retries
        self.backoff_base_seconds = backoff_base_seconds
        self.backoff_max_seconds = backoff_max_seconds
        self.calls = 0  # HTTP requests sent, retries included, for the counting tests and metrics
        self._sleep = sleep
        self._random = random

        def breaker() -> CircuitBreaker:
            return CircuitBreaker(failure_threshold=failure_threshold, cool_down_seconds=cool_down_seconds, clock=clock)

        self._read = _Api("read", self._client(read_url, transport), breaker())
        self._write = _Api("write", self._client(write_url, transport), breaker())

    def _client(self, base_url: str, transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(self.timeout_seconds),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
            transport=transport,
            headers={"Accept": "application/json"},
        )

    @property
    def read_breaker(self) -> CircuitBreaker:
        return self._read.breaker

    @property
    def write_breaker(self) -> CircuitBreaker:
        return self._write.breaker

    # -- checks ------------------------------------------------------------------------------------------------------

    async def check(self, checks: Sequence[RelationTuple]) -> list[Verdict]:
        if not checks:
            return []
        unique = list(dict.fromkeys(checks))
        chunks = [unique[start : start + self.max_batch_size] for start in range(0, len(unique), self.max_batch_size)]
        bound = asyncio.Semaphore(self.max_concurrent_batches)
        answers = await asyncio.gather(*(self._check_chunk(chunk, bound) for chunk in chunks))
        verdicts = dict(zip(unique, chain.from_iterable(answers), strict=True))
        return [verdicts[check] for check in checks]

    async def _check_chunk(self, chunk: list[RelationTuple], bound: asyncio.Semaphore) -> list[Verdict]:
        params = {} if self.max_depth is None else {"max-depth": str(self.max_depth)}
        body = {"tuples": [t.to_json() for t in chunk]}
        try:
            async with bound:
                return await self._call(
                    self._read,
                    "POST",
                    BATCH_CHECK_PATH,
                    params=params,
                    json=body,
                    parse=lambda response: _batch_verdicts(response, len(chunk)),
                    retries=self.retries,
                    # Each batch request has its own deadline, from when it may start: a long list waits for its
                    # turn under the concurrency bound without eating the time of the requests after it.
                    deadline=self._deadline(),
                )
        except PermissionServiceUnavailable:
            return [Verdict.UNAVAILABLE] * len(chunk)

    # -- writes ------------------------------------------------------------------------------------------------------

    async def write(self, *, insert: Sequence[RelationTuple] = (), delete: Sequence[RelationTuple] = ()) -> None:
        """Insert the missing tuples of ``insert`` and delete those of ``delete`` in one PATCH (a tuple in both ends
        up stored, as with the embedded engine). Raises ``PermissionServiceUnavailable``."""
        to_insert = list(dict.fromkeys(insert))
        inserted = set(to_insert)
        to_delete = [t for t in dict.fromkeys(delete) if t not in inserted]
        if not to_insert and not to_delete:
            return
        bound = asyncio.Semaphore(self.max_concurrent_batches)
        stored = await asyncio.gather(*(self._is_stored(t, bound) for t in to_insert))
        missing = [t for t, is_stored in zip(to_insert, stored, strict=True) if not is_stored]
        deltas = [{"action": "insert", "relation_tuple": t.to_json()} for t in missing]
        deltas += [{"action": "delete", "relation_tuple": t.to_json()} for t in to_delete]
        if deltas:
            await self._call(
                self._write, "PATCH", ADMIN_PATH, json=deltas, parse=_no_content, retries=0, deadline=self._deadline()
            )

    async def _is_stored(self, t: RelationTuple, bound: asyncio.Semaphore) -> bool:
        params = _query_params(TupleQuery(t.namespace, t.object, t.relation, t.subject)) | {"page_size": "1"}
        async with bound:
            page = await self._call(
                self._read, "GET", LIST_PATH, params=params, parse=_tuple_page, retries=0, deadline=self._deadline()
            )
        return bool(page.tuples)

    async def delete_matching(self, query: TupleQuery) -> None:
        """Delete every stored tuple the query matches (every copy). Keto requires the namespace."""
        if query.namespace is None:
            raise ValueError("Keto deletes by query only within a namespace: set TupleQuery.namespace")
        await self._call(
            self._write,
            "DELETE",
            ADMIN_PATH,
            params=_query_params(query),
            parse=_no_content,
            retries=0,
            deadline=self._deadline(),
        )

    # -- listing -----------------------------------------------------------------------------------------------------

    async def list(self, query: TupleQuery, *, page_size: int = 100, page_token: str = "") -> TuplePage:
        params = _query_params(query) | {"page_size": str(page_size)}
        if page_token:
            params["page_token"] = page_token
        return await self._call(
            self._read,
            "GET",
            LIST_PATH,
            params=params,
            parse=_tuple_page,
            retries=self.retries,
            deadline=self._deadline(),
        )

    async def aclose(self) -> None:
        await self._read.client.aclose()
        await self._write.client.aclose()

    # -- one call, with its breaker, deadline and retries ------------------------------------------------------------

    def _deadline(self) -> float:
        return asyncio.get_running_loop().time() + self.timeout_seconds

    async def _call(
        self,
        api: _Api,
        method: str,
        path: str,
        *,
        parse: Callable[[httpx.Response], T],
        retries: int,
        deadline: float,
        params: dict[str, str] | None = None,
        json: Any = None,
    ) -> T:
        """The parsed answer of a 2xx. Raises ``PermissionServiceUnavailable`` when the breaker is open, when Keto
        fails (the breaker counts it), or when Keto refuses the request with a 4xx (it answered: not a failure)."""
        if asyncio.get_running_loop().time() >= deadline:
            raise PermissionServiceUnavailable("The permission service did not answer in time.")
        if not api.breaker.allow():
            raise PermissionServiceUnavailable("The permission service is failing; it is not being asked for now.")
        try:
            async with asyncio.timeout_at(deadline):
                response = await self._attempts(api, method, path, params, json, retries)
            if not response.is_success:
                raise _Refused(response)
            value = parse(response)
        except _Refused as refused:
            api.breaker.record_success()  # Keto is up: it read the request and said no
            message = _error_message(refused.response)
            logger.warning("Keto %s API refused %s %s: %s", api.name, method, path, message)
            raise PermissionServiceUnavailable(f"The permission service refused the request: {message}") from None
        except (_Failure, TimeoutError, httpx.HTTPError) as exc:
            api.breaker.record_failure()
            reason = "no answer in time" if isinstance(exc, TimeoutError) else str(exc) or type(exc).__name__
            logger.warning("Keto %s API: %s %s failed: %s", api.name, method, path, reason)
            raise PermissionServiceUnavailable() from exc
        except asyncio.CancelledError:
            api.breaker.abandon()  # the caller went away: this says nothing about Keto
            raise
        api.breaker.record_success()
        return value

    async def _attempts(
        self, api: _Api, method: str, path: str, params: dict[str, str] | None, json: Any, retries: int
    ) -> httpx.Response:
        """Send, retrying transport errors and 5xx with capped exponential back-off and full jitter."""
        failure = _Failure("not sent")
        for attempt in range(retries + 1):
            if attempt:
                ceiling = min(self.backoff_max_seconds, self.backoff_base_seconds * 2 ** (attempt - 1))
                await self._sleep(self._random() * ceiling)
            self.calls += 1
            try:
                response = await api.client.request(method, path, params=params, json=json)
            except httpx.TransportError as exc:
                failure = _Failure(f"{type(exc).__name__}: {exc}")
                failure.__cause__ = exc
                continue
            if response.status_code < 500:
                return response
            failure = _Failure(f"answered {_error_message(response)}")
        raise failure


# -- Keto's wire format ----------------------------------------------------------------------------------------------


def _subject_params(subject: Subject) -> dict[str, str]:
    if isinstance(subject, SubjectSet):
        # A user is a subject set with an empty relation, and Keto still needs the key to see a complete set.
        return {
            "subject_set.namespace": subject.namespace,
            "subject_set.object": subject.object,
            "subject_set.relation": subject.relation,
        }
    return {"subject_id": subject}


def _query_params(query: TupleQuery) -> dict[str, str]:
    params = {
        key: value
        for key, value in (("namespace", query.namespace), ("object", query.object), ("relation", query.relation))
        if value is not None
    }
    return params | (_subject_params(query.subject) if query.subject is not None else {})


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise _Malformed(f"{response.request.url.path}: the answer is not JSON") from exc
    if not isinstance(body, dict):
        raise _Malformed(f"{response.request.url.path}: the answer is not a JSON object")
    return body


def _batch_verdicts(response: httpx.Response, expected: int) -> list[Verdict]:
    results = _json_object(response).get("results")
    if not isinstance(results, list) or len(results) != expected:
        raise _Malformed(f"a batch check of {expected} answered {results!r:.200}")
    verdicts = []
    for result in results:
        if not isinstance(result, dict) or not isinstance(result.get("allowed"), bool):
            raise _Malformed(f"not a check result: {result!r:.200}")
        if result.get("error"):
            verdicts.append(Verdict.UNAVAILABLE)  # Keto could not decide this one: deny, and say so
        else:
            verdicts.append(Verdict.ALLOWED if result["allowed"] else Verdict.DENIED)
    return verdicts


def _tuple_page(response: httpx.Response) -> TuplePage:
    body = _json_object(response)
    try:
        tuples = [RelationTuple.from_json(item) for item in body.get("relation_tuples") or []]
    except (KeyError, TypeError, AttributeError) as exc:
        raise _Malformed("the listing holds something that is not a relation tuple") from exc
    token = body.get("next_page_token") or ""
    if not isinstance(token, str):
        raise _Malformed("the listing's next_page_token is not a string")
    return TuplePage(tuples, token)


def _no_content(response: httpx.Response) -> None:
    return None


def _error_message(response: httpx.Response) -> str:
    """Keto's herodot error body, ``{"error": {"message", "reason", ...}}``, as one line."""
    try:
        error = response.json().get("error") or {}
        parts = [str(error[key]) for key in ("message", "reason") if error.get(key)]
    except (ValueError, AttributeError):
        parts = []
    return f"{response.status_code} " + ("; ".join(parts) if parts else response.reason_phrase)
