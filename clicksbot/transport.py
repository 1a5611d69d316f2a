"""How the bot talks HTTP to the Bot API: PTB's `BaseRequest` on an aiohttp session.

PTB's default transport is httpx. Profiling the bot under load showed two thirds of its CPU in
httpx and httpcore (per-request pool bookkeeping, anyio shims, header validation); aiohttp does
the same keep-alive HTTP/1.1 work in C for a fraction of the cost. PTB keeps everything above
this layer: status codes become `BadRequest`, `Forbidden`, `RetryAfter` and the rest in
`BaseRequest._request_wrapper`, so only transport failures are mapped here.
"""

from __future__ import annotations

import json
import re
import urllib.request
from urllib.parse import urlsplit

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# Telegram's own defaults in PTB, kept so timeouts behave as documented there.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 5.0
WRITE_TIMEOUT = 5.0
POOL_TIMEOUT = 1.0
MEDIA_WRITE_TIMEOUT = 20.0
JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """A keep-alive connection pool to the Bot API, sized like PTB's own (`connections`)."""

    def __init__(self, connections: int = 256, read_timeout: float | None = READ_TIMEOUT) -> None:
        self._connections = connections
        self._read_timeout = read_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str | None] = {}  # origin -> proxy URL (None: direct)
        # The few combinations of timeouts calls use, each made once (not for every call).
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                # Proxies from the environment (HTTPS_PROXY, NO_PROXY) are honoured as httpx
                # did, but looked up once per host (see _proxy): aiohttp's trust_env would
                # read the environment and .netrc in a thread on every request.
                trust_env=False,
                skip_auto_headers=("Accept-Encoding",),
            )

    def _proxy(self, url: str) -> str | None:
        origin = url[: url.find("/", url.find("//") + 2)]  # "https://api.telegram.org"
        if origin not in self._proxies:
            parts = urlsplit(url)
            host = parts.hostname or ""
            proxies = urllib.request.getproxies()
            proxy = proxies.get(parts.scheme) or proxies.get("all")
            bypass = not proxy or urllib.request.proxy_bypass(host)
            self._proxies[origin] = None if bypass else proxy
        return self._proxies[origin]

    def _timeout(self, parts: tuple[float | None, ...]) -> aiohttp.ClientTimeout:
        """Return aiohttp's timeout for (connect, pool, write, read): `sock_read` is the wait
        for each part of the reply, and the total bounds the whole call (connect, pool, write
        and read), so a stalled upload still ends; `connect` includes waiting for a free
        connection in the pool (aiohttp has no write timeout)."""
        timeout = self._timeouts.get(parts)
        if timeout is None:
            connect, pool, _, read = parts
            timeout = aiohttp.ClientTimeout(
                total=None if None in parts else sum(t for t in parts if t is not None),
                connect=None if connect is None or pool is None else connect + pool,
                sock_read=read,
            )
            if len(self._timeouts) < 64:  # timeouts a caller computes are not all kept
                self._timeouts[parts] = timeout
        return timeout

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = CONNECT_TIMEOUT if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = POOL_TIMEOUT if isinstance(pool_timeout, DefaultValue) else pool_timeout
        write: float | None = MEDIA_WRITE_TIMEOUT if files else WRITE_TIMEOUT
        if not isinstance(write_timeout, DefaultValue):
            write = write_timeout
        timeout = self._timeout((connect, pool, write, read))
        body: aiohttp.FormData | bytes | None = None
        headers = None
        if files:
            form = aiohttp.FormData(request_data.json_parameters if request_data else {})
            for name, part in files.items():
                if isinstance(part, tuple):
                    filename, content, *mime = part
                    form.add_field(
                        name, content, filename=filename, content_type=mime[0] if mime else None
                    )
                else:
                    form.add_field(name, part)
            body = form
        elif request_data:
            # A JSON body (the Bot API takes one for every call without a file): one call of
            # the C encoder, where a form encodes each object to JSON and then every byte
            # again (urlencode: 48 us for a question and its keyboard, against 7 us).
            body = json.dumps(request_data.parameters, ensure_ascii=False).encode()
            headers = JSON
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout, proxy=self._proxy(url)
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            # aiohttp's messages (and so the chained traceback) contain the URL, with the token.
            raise TimedOut(f"Timed out ({_redact(err, url)})") from None
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {_redact(err, url)}") from None


def _redact(err: BaseException, url: str) -> str:
    """Return an error's message without the request URL (it holds the bot token)."""
    text = str(err).replace(url, "<bot api url>")
    return re.sub(r"/bot[^/\s]+", "/bot<token>", text)
