"""logging integration: ERROR+ records with exc_info dump that exception, once."""

from __future__ import annotations

import pytest
from conftest import assert_same_behaviour, notices

HANDLER = """
import logging, logging.config, sys
{setup}
log = logging.getLogger("app.web")

def handle_request(user_id):
    order = {{"user": user_id, "cart": [1, 2, 3]}}
    return order["cart"][user_id]

def serve():
    for user_id in (1, 7):
        try:
            print("served", handle_request(user_id))
        except IndexError:
            log.exception("request for %s failed", user_id)
    log.error("plain error, no exc_info")
    try:
        {{}}["missing"]
    except KeyError:
        log.warning("a warning with exc_info", exc_info=True)
    print("still serving")

serve()
"""


def _frames(data: dict) -> dict:
    return {f["name"]: f for f in data["exception"]["frames"]}


@pytest.mark.parametrize("setup", [
    "logging.basicConfig(format='%(levelname)s %(name)s %(message)s')",
    "logging.basicConfig(level=logging.ERROR)\n"
    "logging.basicConfig(format='FORCED %(message)s', force=True)",
    "logging.config.dictConfig({'version': 1, 'disable_existing_loggers': True,"
    " 'handlers': {'h': {'class': 'logging.StreamHandler', 'stream': 'ext://sys.stdout'}},"
    " 'root': {'handlers': ['h'], 'level': 'INFO'}})",
], ids=["basicConfig", "force", "dictConfig"])
def test_logger_exception_leaves_one_dump(compare, body, setup):
    hooked, plain, dumps = compare(HANDLER.format(setup=setup))
    assert_same_behaviour(hooked, plain)
    assert "still serving" in hooked.stdout
    assert len(dumps) == 1 and dumps[0].name.endswith("-IndexError.dump")
    assert len(notices(hooked.stderr)) == 1
    data = body(dumps[0])
    assert data["meta"]["reason"] == "logging"
    assert data["meta"]["extra"]["logger"] == "app.web"
    assert data["meta"]["extra"]["log_message"] == "request for %s failed"
    frames = _frames(data)
    assert frames["handle_request"]["locals"]["user_id"] == 7
    assert frames["handle_request"]["locals"]["order"]["cart"] == [1, 2, 3]
    assert frames["serve"]["locals"]["user_id"] == 7


@pytest.mark.parametrize("how", ["env", "install"])
def test_logging_integration_can_be_switched_off(compare, how):
    setup = "logging.basicConfig()"
    env = {}
    if how == "env":
        env["PYDUMPLING_LOGGING"] = "0"
    else:
        setup = "import pydumpling_hook; pydumpling_hook.install(logging=False)\n" + setup
    hooked, plain, dumps = compare(HANDLER.format(setup=setup), env=env)
    assert_same_behaviour(hooked, plain)
    assert dumps == []


def test_logged_then_reraised_is_one_dump(compare, body):
    hooked, plain, dumps = compare("""
        import logging
        logging.basicConfig()
        def work():
            depth = 3
            raise ConnectionError("db down")
        try:
            work()
        except ConnectionError:
            logging.getLogger("jobs").exception("job failed")
            raise
    """)
    assert_same_behaviour(hooked, plain)
    assert hooked.returncode == 1
    assert len(dumps) == 1
    assert body(dumps[0])["meta"]["reason"] == "logging"


def test_silenced_records_do_not_dump(compare):
    hooked, plain, dumps = compare("""
        import logging
        logging.basicConfig()
        quiet = logging.getLogger("quiet")
        quiet.addFilter(lambda record: False)
        muted = logging.getLogger("muted")
        muted.setLevel(logging.CRITICAL)
        for log in (quiet, muted):
            try:
                1 / 0
            except ZeroDivisionError:
                log.exception("silenced")
        print("ok")
    """)
    assert_same_behaviour(hooked, plain)
    assert dumps == []


def test_logging_imported_before_install_is_patched(tmp_path, compare, body):
    hooked, plain, dumps = compare("""
        import logging
        logging.basicConfig()
        import pydumpling_hook
        pydumpling_hook.uninstall()
        pydumpling_hook.install()
        try:
            int("x")
        except ValueError:
            logging.error("bad", exc_info=True)
    """)
    assert_same_behaviour(hooked, plain)
    assert len(dumps) == 1


def test_dump_opens_in_pdb_at_the_crashing_frame(compare):
    pexpect = pytest.importorskip("pexpect")
    pytest.importorskip("pydumpling_hook.loader.cli")
    import sys

    hooked, plain, dumps = compare(HANDLER.format(setup="logging.basicConfig()"))
    child = pexpect.spawn(sys.executable, ["-m", "pydumpling_hook.loader.cli", str(dumps[0])],
                          encoding="utf-8", timeout=30)
    try:
        child.expect(r"\(Pdb\) ")
        child.sendline("p user_id, order['cart']")
        child.expect(r"\(7, \[1, 2, 3\]\)")
        child.sendline("where")
        child.expect("handle_request")
        child.sendline("q")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)


def test_unwritable_directory_costs_one_line_per_capture(tmp_path):
    from conftest import clean_env, run_python, strip_notice, write_script

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    script = write_script(tmp_path, HANDLER.format(setup="logging.basicConfig()"))
    hooked = run_python([str(script)], env=clean_env(PYDUMPLING_DIR=str(blocker / "dumps")))
    plain = run_python([str(script)])
    assert (hooked.returncode, hooked.stdout) == (plain.returncode, plain.stdout)
    assert strip_notice(hooked.stderr) == plain.stderr
    warnings = notices(hooked.stderr)
    assert len(warnings) == 1 and warnings[0].startswith("pydumpling: could not write crash dump")
