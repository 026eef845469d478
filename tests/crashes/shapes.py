import sys


def compute(x, y, z):
    return x // y


class Outer:
    class Nested(Exception):
        pass


def brackets(data):
    return data["user"]["name"]


def multiline():
    value = compute(
        1,
        0,
        3,
    )
    return value


def parens(a, b):
    return (a) + (
        b)


def wide():
    text = "héllo wörld 数据"
    return text + 1


def empty():
    raise Outer.Nested()


def syntax():
    compile("x = (1,\n  2 3)", "<cfg>", "exec")


def multi_message():
    raise ValueError("first line\nsecond line")


which = sys.argv[1]
if which == "brackets":
    brackets({"user": {}})
elif which == "multiline":
    multiline()
elif which == "parens":
    parens(1, "x")
elif which == "wide":
    wide()
elif which == "empty":
    empty()
elif which == "syntax":
    syntax()
elif which == "multi_message":
    multi_message()
elif which == "assign":
    result = compute(1, 0, 2)
