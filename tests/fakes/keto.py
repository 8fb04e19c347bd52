"""A fake Ory Keto: the project's EmbeddedEngine behind Keto's REST wire format, over real HTTP.

Two uvicorn servers on free loopback ports, as Keto has two: the read API (``read_url``) and the write API
(``write_url``). Tuples live in the test's database (the embedded engine's ``relation_tuples`` table) and checks are
answered by ``EmbeddedEngine`` with the project's OPL model, so the fake decides exactly as the embedded engine does.
What it copies from Keto's source (v26.2.0) rather than from its docs:

- read: ``GET|POST /relation-tuples/check`` answer 200 ``{"allowed":true}`` or 403 ``{"allowed":false}``; the
  ``/check/openapi`` variants always 200. ``POST /relation-tuples/batch/check`` takes ``{"tuples":[...]}``, refuses
  more than ``max_batch_size`` with 400 "batch exceeds max size of N", and answers ``{"results":[...]}`` in input
  order, where a tuple Keto cannot map (no subject, an unknown namespace) gets its own ``error`` instead of failing
  the batch. ``GET /relation-tuples`` lists stored tuples with ``page_size``/``page_token``/``next_page_token``.
  ``max-depth`` that is missing, <= 0 or above the global limit means the global limit (5).
- write: ``PUT /admin/relation-tuples`` (201, the tuple), ``PATCH`` (204) and ``DELETE`` by query (204, namespace
  required, no other parameters than a relation query's).
- Keto has no unique constraint: inserting a tuple twice stores it twice, and a delete removes every copy. A PATCH
  applies all its inserts first and then all its deletes, whatever their order in the body. The embedded table keeps
  one row per tuple, so the fake counts copies beside it (``copies()``), from the writes it received.
- subjects: exactly one of ``subject_id`` / ``subject_set``, and a subject set names namespace, object and relation
  (in a URL query ``subject_set.relation=`` must be there even when empty); anything else is 400 with Keto's herodot
  body ``{"error":{"code":400,"status":"Bad Request","message":...,"reason":...}}``. (Keto itself, reading a JSON
  body with both subjects, silently takes ``subject_id``; the fake is stricter.)

Modes for failure tests, switchable while it runs: ``stop()`` (Keto is down: connections are refused), ``slow``
(every API answer waits ``slow_seconds`` first), ``delay_seconds`` (a short wait, to make requests overlap),
``fail_status`` (every API call answers that status), ``malformed`` (200 with a body that is not JSON) and
``item_errors`` (those tuples get an ``error`` in batch results). Thread-safe bookkeeping: ``calls`` per
``"METHOD /path"``, the highest number of API requests in flight at once (``max_in_flight``), the size of every
batch check and every PATCH body.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from campaign_api.db.database import Database
from campaign_api.permissions.embedded import EmbeddedEngine
from campaign_api.permissions.engine import DEFAULT_MAX_DEPTH, Verdict
from campaign_api.permissions.opl import Model, load_model
from campaign_api.permissions.tuples import RelationTuple, Subject, SubjectSet, TupleQuery
from tests.fakes.kratos import AsgiServer, serve_asgi

KETO_MAX_BATCH_SIZE = 10  # limit.max_batch_check_size
KETO_DEFAULT_PAGE_SIZE = 100
RELATION_QUERY_KEYS = frozenset(
    {"namespace", "object", "relation", "subject_id", "subject_set.namespace", "subject_set.object",
     "subject_set.relation"}
)  # fmt: skip
_SUBJECT_SET_KEYS = ("subject_set.namespace", "subject_set.object", "subject_set.relation")
_STATUS_TEXT = {400: "Bad Request", 404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable"}


class KetoError(Exception):
    """Answered as Keto's herodot error body."""

    def __init__(self, code: int, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.reason = code, message, reason

    def response(self) -> JSONResponse:
        error: dict[str, Any] = {"code": self.code, "status": _STATUS_TEXT.get(self.code, "Error")}
        error |= {"message": self.message} | ({"reason": self.reason} if self.reason else {})
        return JSONResponse({"error": error}, status_code=self.code)


MALFORMED = "The request was malformed or contained invalid parameters"  # herodot's ErrBadRequest


def bad_request(message: str = MALFORMED, reason: str = "") -> KetoError:
    return KetoError(400, message, reason)


def unknown_namespace(name: str) -> KetoError:
    """As a real Keto words it (a 404 for a listing; a batch item's ``error`` is the message alone)."""
    return KetoError(404, "The requested resource could not be found", f"Unknown namespace with name {name!r}.")


# --------------------------------------------------------------------------------------------------------------------
# Keto's encodings: JSON bodies and URL queries


def _string(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise bad_request('incomplete tuple, provide "namespace", "object", "relation", and a subject', f"{key}?")
    return value


def subject_from_json(body: dict[str, Any]) -> Subject:
    has_id, subject_set = "subject_id" in body, body.get("subject_set")
    if has_id and subject_set is not None:
        raise bad_request(
            "exactly one of subject_set or subject_id has to be provided", "send subject_id or subject_set, not both"
        )
    if has_id:
        if not isinstance(body["subject_id"], str):
            raise bad_request("subject_id must be a string")
        return body["subject_id"]
    if subject_set is None:
        raise bad_request("subject is not allowed to be nil", "Please provide a subject.")
    if not isinstance(subject_set, dict) or not all(
        isinstance(subject_set.get(key), str) for key in ("namespace", "object", "relation")
    ):
        raise bad_request(
            'incomplete subject, provide "subject_id" or a complete "subject_set.*"',
            "a subject set names its namespace, object and relation (empty for a user)",
        )
    return SubjectSet(subject_set["namespace"], subject_set["object"], subject_set["relation"])


def tuple_from_json(body: Any) -> RelationTuple:
    if not isinstance(body, dict):
        raise bad_request("could not unmarshal json: a relation tuple is a JSON object")
    namespace, object_, relation = (_string(body, key) for key in ("namespace", "object", "relation"))
    return RelationTuple(namespace, object_, relation, subject_from_json(body))


def query_from_params(params: Any) -> TupleQuery:
    """``RelationQuery.FromURLQuery``: every field optional, but a subject is complete and only one kind."""
    if "subject" in params:
        raise bad_request(reason='provide "subject_id" or "subject_set.*"; support for "subject" was dropped')
    has_set_keys = [key for key in _SUBJECT_SET_KEYS if key in params]
    subject: Subject | None = None
    if "subject_id" in params and has_set_keys:
        raise bad_request(
            "exactly one of subject_set or subject_id has to be provided", "send subject_id or subject_set.*, not both"
        )
    if "subject_id" in params:
        subject = params["subject_id"]
    elif len(has_set_keys) == len(_SUBJECT_SET_KEYS):
        subject = SubjectSet(*(params[key] for key in _SUBJECT_SET_KEYS))
    elif has_set_keys:
        raise bad_request(
            'incomplete subject, provide "subject_id" or a complete "subject_set.*"',
            "subject_set.relation= must be sent even when it is empty",
        )
    return TupleQuery(params.get("namespace"), params.get("object"), params.get("relation"), subject)


def tuple_from_params(params: Any) -> RelationTuple:
    query = query_from_params(params)
    if query.subject is None:
        raise bad_request("subject is not allowed to be nil", "Please provide a subject.")
    if query.namespace is None or query.object is None or query.relation is None:
        raise bad_request('incomplete tuple, provide "namespace", "object", "relation", and a subject')
    return RelationTuple(query.namespace, query.object, query.relation, query.subject)


def max_depth_from_params(params: Any, global_depth: int) -> int:
    if "max-depth" not in params:
        return global_depth
    try:
        depth = int(params["max-depth"])
    except ValueError:
        text = params["max-depth"]
        raise bad_request(
            f"unable to parse 'max-depth' query parameter to int: strconv.ParseInt: parsing {json.dumps(text)}: "
            "invalid syntax"
        ) from None
    return global_depth if depth <= 0 or depth > global_depth else depth


# --------------------------------------------------------------------------------------------------------------------
# The fake


class _Storage:
    """The tuples as one server's event loop sees them: database connections belong to the loop that opened them."""

    def __init__(self, database_url: str, model: Model) -> None:
        self.loop = asyncio.get_running_loop()
        self.database = Database(database_url)
        self.model = model
        self._engines: dict[int, EmbeddedEngine] = {}

    def engine(self, max_depth: int = DEFAULT_MAX_DEPTH) -> EmbeddedEngine:
        if max_depth not in self._engines:
            self._engines[max_depth] = EmbeddedEngine(self.database, self.model, max_depth=max_depth)
        return self._engines[max_depth]


Handler = Callable[[Request, _Storage], Awaitable[Response]]


class FakeKeto:
    """The state of one fake Keto; ``running_fake_keto()`` serves it."""

    def __init__(
        self, database_url: str, *, model: Model | None = None, max_batch_size: int = KETO_MAX_BATCH_SIZE
    ) -> None:
        self.database_url = database_url
        self.model = model or load_model()
        self._default_max_batch_size = max_batch_size
        self.max_depth = DEFAULT_MAX_DEPTH  # limit.max_read_depth
        self.read_url = ""
        self.write_url = ""
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._generation = 0
        self._storages: dict[str, _Storage] = {}
        self._copies: Counter[RelationTuple] = Counter()
        self._servers: list[AsgiServer] = []
        self._in_flight = 0
        self.reset()
        self.read_app = Starlette(
            routes=[
                Route("/relation-tuples/check", self._endpoint("read", self._check), methods=["GET", "POST"]),
                Route("/relation-tuples/check/openapi", self._endpoint("read", self._check), methods=["GET", "POST"]),
                Route("/relation-tuples/batch/check", self._endpoint("read", self._batch_check), methods=["POST"]),
                Route("/relation-tuples", self._endpoint("read", self._list), methods=["GET"]),
                *self._health_routes(),
            ]
        )
        self.write_app = Starlette(
            routes=[
                Route("/admin/relation-tuples", self._endpoint("write", self._put), methods=["PUT"]),
                Route("/admin/relation-tuples", self._endpoint("write", self._patch), methods=["PATCH"]),
                Route("/admin/relation-tuples", self._endpoint("write", self._delete), methods=["DELETE"]),
                *self._health_routes(),
            ]
        )

    # -- test helpers ------------------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget the calls and go back to prompt, healthy answers (the stored tuples and their copies stay)."""
        with self._lock:
            self._generation += 1  # ends the waits of slow answers still running
            self.calls: Counter[str] = Counter()
            self.patch_bodies: list[Any] = []
            self.batch_sizes: list[int] = []  # the number of tuples in each batch check received
            self.max_in_flight = 0  # (not the count in flight itself: answers of an earlier test may still be out)
        self.slow = False
        self.slow_seconds = 5.0
        self.delay_seconds = 0.0
        self.fail_status: int | None = None
        self.malformed = False
        self.item_errors: set[RelationTuple] = set()
        self.max_batch_size = self._default_max_batch_size

    def forget_stored(self) -> None:
        """Forget the copies counted: for a fake shared by tests whose database is emptied between them."""
        with self._lock:
            self._copies.clear()

    def call_count(self, method: str, path: str) -> int:
        with self._lock:
            return self.calls[f"{method} {path}"]

    @property
    def api_calls(self) -> int:
        """Every request to the read and write APIs (health checks excluded)."""
        with self._lock:
            return sum(count for key, count in self.calls.items() if "/health/" not in key)

    def copies(self, t: RelationTuple) -> int:
        """How many copies of ``t`` Keto would hold after the writes this fake received."""
        with self._lock:
            return self._copies[t]

    def stop(self) -> None:
        """Keto goes down: both ports stop listening (connections are refused). Safe to call twice."""
        self._closing.set()
        with self._lock:
            storages, self._storages = list(self._storages.values()), {}
        for storage in storages:
            if storage.loop.is_running():
                asyncio.run_coroutine_threadsafe(storage.database.dispose(), storage.loop).result(10)
        for server in self._servers:
            server.stop()
        self._servers.clear()

    # -- plumbing ----------------------------------------------------------------------------------------------------

    def _health_routes(self) -> list[Route]:
        async def health(request: Request) -> Response:
            with self._lock:
                self.calls[f"GET {request.url.path}"] += 1
            return JSONResponse({"status": "ok"})

        return [Route("/health/alive", health), Route("/health/ready", health)]

    def _storage(self, api: str) -> _Storage:
        with self._lock:
            if api not in self._storages:
                self._storages[api] = _Storage(self.database_url, self.model)
            return self._storages[api]

    async def _pause(self, seconds: float) -> None:
        deadline, generation = time.monotonic() + seconds, self._generation
        while not self._closing.is_set() and generation == self._generation:
            if (left := deadline - time.monotonic()) <= 0:
                return
            await asyncio.sleep(min(left, 0.02))

    def _endpoint(self, api: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            with self._lock:
                self.calls[f"{request.method} {request.url.path}"] += 1
                self._in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self._in_flight)
            try:
                if self.slow:
                    await self._pause(self.slow_seconds)
                elif self.delay_seconds:
                    await self._pause(self.delay_seconds)
                if self._closing.is_set():  # going down: touch no storage that is being closed
                    return KetoError(503, "shutting down (fake Keto)").response()
                if self.fail_status is not None:
                    return KetoError(self.fail_status, "forced failure (fake Keto)").response()
                if self.malformed:
                    return Response("<html>502 from a proxy</html>", media_type="text/html")
                return await handler(request, self._storage(api))
            except KetoError as error:
                return error.response()
            finally:
                with self._lock:
                    self._in_flight -= 1

        return endpoint

    def _known(self, t: RelationTuple) -> None:
        """Keto maps every namespace a tuple names; an unknown one is a 404 (a per-item error in a batch)."""
        namespaces = [t.namespace] + ([t.subject.namespace] if isinstance(t.subject, SubjectSet) else [])
        for namespace in namespaces:
            if namespace not in self.model.namespaces:
                raise unknown_namespace(namespace)

    @staticmethod
    async def _json(request: Request) -> Any:
        try:
            return json.loads(await request.body())
        except ValueError as error:
            raise bad_request(f"could not unmarshal json: {error}") from None

    # -- the read API ------------------------------------------------------------------------------------------------

    async def _check(self, request: Request, storage: _Storage) -> Response:
        depth = max_depth_from_params(request.query_params, self.max_depth)
        if request.method == "GET":
            t = tuple_from_params(request.query_params)
        else:
            t = tuple_from_json(await self._json(request))
        try:
            self._known(t)
        except KetoError:
            allowed = False  # a single check of an unknown namespace is a plain denial
        else:
            [verdict] = await storage.engine(depth).check([t])
            if verdict is Verdict.UNAVAILABLE:
                raise bad_request(reason=f"could not evaluate {t}")  # the embedded engine's error: an unknown relation
            allowed = verdict is Verdict.ALLOWED
        mirror_status = not request.url.path.endswith("/openapi")
        return JSONResponse({"allowed": allowed}, status_code=403 if mirror_status and not allowed else 200)

    async def _batch_check(self, request: Request, storage: _Storage) -> Response:
        depth = max_depth_from_params(request.query_params, self.max_depth)
        body = await self._json(request)
        items = body.get("tuples") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise bad_request('could not unmarshal json: expected {"tuples": [...]}')
        with self._lock:
            self.batch_sizes.append(len(items))
        if len(items) > self.max_batch_size:
            raise bad_request(f"batch exceeds max size of {self.max_batch_size}")
        results: list[dict[str, Any] | None] = [None] * len(items)
        to_check: list[tuple[int, RelationTuple]] = []
        for index, item in enumerate(items):
            try:
                t = tuple_from_json(item)
                self._known(t)
            except KetoError as error:
                results[index] = {"allowed": False, "error": error.message}
                continue
            if t in self.item_errors:
                results[index] = {"allowed": False, "error": "forced per-item error (fake Keto)"}
            else:
                to_check.append((index, t))
        verdicts = await storage.engine(depth).check([t for _, t in to_check])
        for (index, _), verdict in zip(to_check, verdicts, strict=True):
            if verdict is Verdict.UNAVAILABLE:
                results[index] = {"allowed": False, "error": MALFORMED}  # what Keto says of an unknown relation
            else:
                results[index] = {"allowed": verdict is Verdict.ALLOWED}
        return JSONResponse({"results": results})

    async def _list(self, request: Request, storage: _Storage) -> Response:
        params = request.query_params
        query = query_from_params(params)
        if query.namespace is not None and query.namespace not in self.model.namespaces:
            raise unknown_namespace(query.namespace)
        try:
            page_size = int(params.get("page_size", KETO_DEFAULT_PAGE_SIZE))
        except ValueError:
            raise bad_request("page_size must be an integer") from None
        if not 1 <= page_size <= 1000:
            raise bad_request("page_size must be between 1 and 1000")
        try:
            page = await storage.engine().list(query, page_size=page_size, page_token=params.get("page_token", ""))
        except ValueError:
            raise bad_request("decode token: not a page token this fake issued") from None
        return JSONResponse(
            {"relation_tuples": [t.to_json() for t in page.tuples], "next_page_token": page.next_page_token}
        )

    # -- the write API -----------------------------------------------------------------------------------------------

    async def _apply(self, storage: _Storage, inserts: list[RelationTuple], deletes: list[RelationTuple]) -> None:
        """Keto's ``TransactRelationTuples``: every insert (a new copy each), then every delete (all copies)."""
        with self._lock:
            self._copies.update(inserts)
            for t in deletes:
                self._copies.pop(t, None)
        deleted = set(deletes)
        stored = list(dict.fromkeys(t for t in inserts if t not in deleted))
        await storage.engine().write(insert=stored, delete=list(deleted))

    async def _put(self, request: Request, storage: _Storage) -> Response:
        t = tuple_from_json(await self._json(request))
        self._known(t)
        await self._apply(storage, [t], [])
        return JSONResponse(t.to_json(), status_code=201)

    async def _patch(self, request: Request, storage: _Storage) -> Response:
        body = await self._json(request)
        if not isinstance(body, list):
            raise bad_request("could not unmarshal json: expected a list of patch deltas")
        inserts: list[RelationTuple] = []
        deletes: list[RelationTuple] = []
        for delta in body:
            if not isinstance(delta, dict) or delta.get("relation_tuple") is None:
                raise bad_request("relation_tuple is missing")
            t = tuple_from_json(delta["relation_tuple"])
            if delta.get("action") not in ("insert", "delete"):
                raise bad_request(f"unknown action {delta.get('action')}")
            self._known(t)
            (inserts if delta["action"] == "insert" else deletes).append(t)
        with self._lock:
            self.patch_bodies.append(body)
        await self._apply(storage, inserts, deletes)
        return Response(status_code=204)

    async def _delete(self, request: Request, storage: _Storage) -> Response:
        params = request.query_params
        if extra := sorted(set(params) - RELATION_QUERY_KEYS):
            raise bad_request(f"unexpected query parameters: {', '.join(extra)}")
        if "namespace" not in params:
            raise bad_request(reason="query parameters must specify at least one of the following: namespace")
        if await request.body():
            raise bad_request("the request body must be empty")
        query = query_from_params(params)
        if query.namespace not in self.model.namespaces:
            raise unknown_namespace(query.namespace)
        with self._lock:
            for t in [t for t in self._copies if query.matches(t)]:
                del self._copies[t]
        await storage.engine().delete_matching(query)
        return Response(status_code=204)


@contextmanager
def running_fake_keto(
    database_url: str, *, model: Model | None = None, max_batch_size: int = KETO_MAX_BATCH_SIZE
) -> Iterator[FakeKeto]:
    """A fake Keto on two free ports (``read_url``, ``write_url``), storing tuples in that database."""
    fake = FakeKeto(database_url, model=model, max_batch_size=max_batch_size)
    with serve_asgi(fake.read_app) as read_server, serve_asgi(fake.write_app) as write_server:
        fake._servers = [read_server, write_server]
        fake.read_url, fake.write_url = read_server.url, write_server.url
        try:
            yield fake
        finally:
            fake.stop()
