"""A small service that crashes: the README's demo."""


class Order:
    def __init__(self, order_id, items):
        self.order_id = order_id
        self.items = items
        self.api_token = "tok-1234567890"


def price(item):
    return item["qty"] * item["unit_price"]


def total(order):
    subtotal = 0
    for item in order.items:
        subtotal += price(item)
    return subtotal


def handle(request):
    order = Order(request["id"], request["items"])
    return {"id": order.order_id, "total": total(order)}


if __name__ == "__main__":
    handle({"id": 42, "items": [{"qty": 2, "unit_price": 9.5}, {"qty": 1, "unit_price": None}]})
