def handler(request_id):
    headers = {f"x-header-{i}": f"value-{i}" for i in range(40)}
    alias = headers  # noqa: F841 - a local for the dump
    state = {"session": "s" * 20, **{f"c{i}": f"v{i}" for i in range(20)}}  # noqa: F841
    return request_id + headers["x-header-3"]


handler(7)
