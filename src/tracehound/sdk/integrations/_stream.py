"""Stream proxies shared by the integrations: yield the provider's chunks, end the span with the stream.

An integration supplies an accumulator (``add`` each chunk, ``finish_ok`` at the end or on close,
``finish_error`` on a failure); the proxies forward everything else to the wrapped stream.
"""

from __future__ import annotations

from typing import Any, Protocol


class Accumulator(Protocol):
    def add(self, chunk: Any) -> None: ...

    def finish_ok(self) -> None: ...

    def finish_error(self, exc: BaseException) -> None: ...


class StreamProxy:
    """Wraps a sync stream (``openai.Stream``, ``anthropic.Stream``)."""

    def __init__(self, stream: Any, acc: Accumulator) -> None:
        self._stream = stream
        self._acc = acc

    def __iter__(self) -> Any:
        try:
            for chunk in self._stream:
                self._acc.add(chunk)
                yield chunk
        except GeneratorExit:
            self._acc.finish_ok()
            raise
        except BaseException as exc:
            self._acc.finish_error(exc)
            raise
        self._acc.finish_ok()

    def __next__(self) -> Any:
        try:
            chunk = next(self._stream)
        except StopIteration:
            self._acc.finish_ok()
            raise
        except BaseException as exc:
            self._acc.finish_error(exc)
            raise
        self._acc.add(chunk)
        return chunk

    def __enter__(self) -> StreamProxy:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        self._stream.close()
        self._acc.finish_ok()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class AsyncStreamProxy:
    """Wraps an async stream the same way."""

    def __init__(self, stream: Any, acc: Accumulator) -> None:
        self._stream = stream
        self._acc = acc

    async def __aiter__(self) -> Any:
        try:
            async for chunk in self._stream:
                self._acc.add(chunk)
                yield chunk
        except GeneratorExit:
            self._acc.finish_ok()
            raise
        except BaseException as exc:
            self._acc.finish_error(exc)
            raise
        self._acc.finish_ok()

    async def __anext__(self) -> Any:
        try:
            chunk = await self._stream.__anext__()
        except StopAsyncIteration:
            self._acc.finish_ok()
            raise
        except BaseException as exc:
            self._acc.finish_error(exc)
            raise
        self._acc.add(chunk)
        return chunk

    async def __aenter__(self) -> AsyncStreamProxy:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    async def close(self) -> None:
        await self._stream.close()
        self._acc.finish_ok()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
