def down(n):
    return down(n + 1)


def top():
    down(0)


top()
