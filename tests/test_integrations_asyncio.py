"""asyncio integration: unretrieved task exceptions and the loop's exception handler."""

from __future__ import annotations

from conftest import assert_same_behaviour, notices


def test_task_exception_never_retrieved_leaves_one_dump(compare, body):
    hooked, plain, dumps = compare("""
        import asyncio
        async def fetch(url):
            retries = 3
            await asyncio.sleep(0)
            raise ConnectionResetError(url)
        async def main():
            task = asyncio.ensure_future(fetch("http://example"))
            await asyncio.sleep(0.05)
            del task
            await asyncio.sleep(0.01)
            print("main done")
        asyncio.run(main())
    """)
    assert_same_behaviour(hooked, plain)
    assert "Task exception was never retrieved" in hooked.stderr
    assert len(dumps) == 1 and dumps[0].name.endswith("ConnectionResetError.dump")
    assert len(notices(hooked.stderr)) == 1
    data = body(dumps[0])
    assert data["meta"]["reason"] == "asyncio"
    assert data["meta"]["extra"]["coroutine"] == "fetch"
    assert data["meta"]["extra"]["asyncio_message"] == "Task exception was never retrieved"
    fetch = next(f for f in data["exception"]["frames"] if f["name"] == "fetch")
    assert fetch["locals"] == {"url": "http://example", "retries": 3}


def test_retrieved_exceptions_are_not_dumped_by_asyncio(compare):
    hooked, plain, dumps = compare("""
        import asyncio
        async def fail():
            raise ValueError("awaited")
        async def main():
            for attempt in range(3):
                try:
                    await asyncio.create_task(fail())
                except ValueError:
                    pass
            results = await asyncio.gather(fail(), return_exceptions=True)
            print(type(results[0]).__name__)
        asyncio.run(main())
    """)
    assert_same_behaviour(hooked, plain)
    assert dumps == []


def test_uncaught_in_asyncio_run_is_one_dump(compare, body):
    hooked, plain, dumps = compare("""
        import asyncio
        async def step(n):
            if n == 2:
                raise RuntimeError("step 2")
        async def main():
            for n in range(3):
                await step(n)
        asyncio.run(main())
    """)
    assert_same_behaviour(hooked, plain)
    assert hooked.returncode == 1
    assert len(dumps) == 1
    assert body(dumps[0])["meta"]["reason"] == "excepthook"


def test_app_handler_and_callbacks(compare, body):
    hooked, plain, dumps = compare("""
        import asyncio
        seen = []
        def on_error(loop, context):
            seen.append(context["message"].split("(")[0])
            loop.default_exception_handler(context)
        def callback(x):
            payload = {"x": x}
            raise LookupError(x)
        async def main():
            loop = asyncio.get_running_loop()
            loop.set_exception_handler(on_error)
            loop.call_soon(callback, 41)
            await asyncio.sleep(0.01)
            loop.call_exception_handler({"message": "no exception here"})
            print("handler saw", seen)
        asyncio.run(main())
    """)
    assert_same_behaviour(hooked, plain)
    assert "handler saw ['Exception in callback callback', 'no exception here']" in (
        hooked.stdout)
    assert len(dumps) == 1 and dumps[0].name.endswith("LookupError.dump")
    data = body(dumps[0])
    assert data["meta"]["reason"] == "asyncio"
    callback = next(f for f in data["exception"]["frames"] if f["name"] == "callback")
    assert callback["locals"]["payload"] == {"x": 41}


def test_loop_created_before_install(compare):
    hooked, plain, dumps = compare("""
        import asyncio
        loop = asyncio.new_event_loop()
        import pydumpling_hook
        pydumpling_hook.install()
        async def boom():
            raise OSError("late")
        task = loop.create_task(boom())
        loop.run_until_complete(asyncio.sleep(0.01))
        del task
        loop.close()
    """)
    assert_same_behaviour(hooked, plain)
    assert len(dumps) == 1
