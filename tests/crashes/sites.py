import json
import sys


def parse(text):
    return json.loads(text)  # site "a": the error is raised inside json, the site is here


def divide(n):
    return 10 / n  # site "b"


def main(which):
    if which == "a":
        parse("{")
    divide(0)


main(sys.argv[1])
