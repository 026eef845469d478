def add(a, b):
    return (a) + b  # trailing comment


def lookup(data):
    return data["user"] ["name"]


def run():
    try:
        lookup({"user": {}})
    except KeyError:
        add(1, "x")


if __name__ == "__main__":
    run()
