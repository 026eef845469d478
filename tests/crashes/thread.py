import threading


def work(items):
    total = 0
    for item in items:
        total += item
    return total


t = threading.Thread(target=work, args=([1, None],), name="worker-1")
t.start()
t.join()
