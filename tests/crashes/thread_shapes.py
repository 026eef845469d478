import threading

from main_shapes import run

t = threading.Thread(target=run, name="shapes")
t.start()
t.join()
