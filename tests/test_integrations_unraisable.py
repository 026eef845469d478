"""sys.unraisablehook integration: exceptions in __del__, weakref callbacks, finalizers."""

from __future__ import annotations

from conftest import assert_same_behaviour, notices


def test_del_and_weakref_callback(compare, body):
    hooked, plain, dumps = compare("""
        import gc, weakref
        class Resource:
            def __init__(self, name):
                self.name = name
            def __del__(self):
                closing = self.name
                raise OSError(f"close {closing}")
        Resource("db")
        class Target:
            pass
        t = Target()
        def on_dead(ref):
            ref_note = "gone"
            raise KeyError("weakref callback")
        r = weakref.ref(t, on_dead)
        del t
        gc.collect()
        print("finished")
    """)
    assert_same_behaviour(hooked, plain)
    assert hooked.stderr.count("Exception ignored in") == 2
    assert len(dumps) == 2 and len(notices(hooked.stderr)) == 2
    by_type = {body(d)["exception"]["type"]["qualname"]: body(d) for d in dumps}
    closing = by_type["OSError"]
    assert closing["meta"]["reason"] == "unraisable"
    assert closing["exception"]["frames"][-1]["locals"]["closing"] == "db"
    assert by_type["KeyError"]["exception"]["frames"][-1]["locals"]["ref_note"] == "gone"


def test_previous_hook_still_called(compare):
    hooked, plain, dumps = compare("""
        import sys
        def mine(unraisable):
            print("MY HOOK", type(unraisable.exc_value).__name__)
        sys.unraisablehook = mine
        import pydumpling_hook
        pydumpling_hook.install()
        class C:
            def __del__(self):
                raise ValueError("x")
        C()
        pydumpling_hook.uninstall()
        print(sys.unraisablehook is mine)
    """)
    assert_same_behaviour(hooked, plain)
    assert "MY HOOK ValueError\nTrue" in hooked.stdout
    assert len(dumps) == 1
