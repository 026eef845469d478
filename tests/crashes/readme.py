def inner():
    a = 1
    b = "2"
    c = a + b
    return c


def outer():
    d = 4
    return inner() + d


outer()
