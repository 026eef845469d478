"""A crash whose locals take the packed forms (FORMAT.md): a dict of strings, and
lists and a dict of plain objects written as record tables, one object shared."""


class Row:
    def __init__(self, i):
        self.sku = f"sku-{i}"
        self.price = i * 0.25
        self.stock = i % 17


def handler(request_id):
    headers = {f"x-header-{i}": f"value-{i}" for i in range(20)}
    rows = [Row(i) for i in range(12)]
    catalog = {f"c-{i}": Row(i) for i in range(10)}  # noqa: F841 - locals for the dump
    big = [Row(i) for i in range(1100)]  # noqa: F841
    picked = rows[7]
    return request_id + picked.stock + headers["x-header-3"]


handler(7)
