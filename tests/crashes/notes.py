import sys


def check(order):
    try:
        order["total"] / order["count"]
    except ZeroDivisionError as exc:
        if sys.version_info >= (3, 11):
            exc.add_note(f"order {order['id']} has no items")
            exc.add_note("multi\nline note")
        raise


check({"id": 7, "total": 10, "count": 0})
